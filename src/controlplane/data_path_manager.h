// DataPathManager: the node's transfer slots (Velero's pkg/datapath/manager.go). Each running
// transfer (an upload or a download) owns a thread, a cancel flag and its latest progress; the
// number of slots is the node's loadConcurrency. Transfers never touch the Store: the reconcile
// thread reads their progress and collects their outcome (Take Finished), so a Store handle is
// only used from one thread.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "datapath/datapath.h"

namespace ferry::controlplane {

// What a transfer thread reports when it ends.
struct TransferOutcome {
  Status status;            // OK, kCancelled, or the error
  std::string snapshot_id;  // uploads: the snapshot (also a partial one on failure when known)
  int64_t total_bytes = 0;
  bool resumed = false;
};

// Handed to the transfer function: its cancel flag and where to put progress.
class TransferContext {
 public:
  const std::atomic<bool>* cancel_flag() const { return &cancel_; }
  bool cancelled() const { return cancel_.load(); }
  void ReportProgress(const datapath::Progress& p);

 private:
  friend class DataPathManager;
  std::atomic<bool> cancel_{false};
  std::mutex mutex_;
  datapath::Progress progress_;
  bool has_progress_ = false;
};

class DataPathManager {
 public:
  explicit DataPathManager(int slots);
  ~DataPathManager();  // cancels and joins every transfer

  using TransferFn = std::function<TransferOutcome(TransferContext&)>;

  // Starts fn on its own thread under `key` ("DataUpload/ns/name") when a slot is free and key is
  // not running already. False when all slots are busy (the caller stays Prepared and retries).
  bool TryStart(const std::string& key, TransferFn fn);

  bool IsRunning(const std::string& key) const;  // started and not yet taken by TakeFinished
  void Cancel(const std::string& key);
  void CancelAll();
  std::optional<datapath::Progress> LatestProgress(const std::string& key) const;

  struct Finished {
    std::string key;
    TransferOutcome outcome;
  };
  // Outcomes of transfers that ended since the last call; frees their slots.
  std::vector<Finished> TakeFinished();
  // Blocks up to timeout_ms for a transfer to end (returns early when one already has).
  void WaitForFinished(int timeout_ms);

  int slots() const;
  void set_slots(int slots);
  int running() const;  // transfers holding a slot

 private:
  struct Entry {
    std::unique_ptr<TransferContext> context;
    std::thread thread;
    bool done = false;
    TransferOutcome outcome;
  };
  mutable std::mutex mutex_;
  std::condition_variable finished_cv_;
  int slots_;
  std::map<std::string, Entry> entries_;
};

}  // namespace ferry::controlplane
