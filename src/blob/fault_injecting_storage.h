// FaultInjectingStorage: a test wrapper that makes the wrapped storage misbehave on purpose, to
// check that the layers above (retries, pack writers, index recovery) cope with a flaky backend.
//
// Faults, checked in this order on every call while enabled:
//   1. Scripted faults, kept in a queue in the order added: the first one whose operation and ID
//      prefix match and that has count left fires ("fail the next 3 puts", "fail every get of
//      blobs starting with x").
//   2. Random faults: each call of an operation fails with a set probability, drawn from an RNG
//      seeded at construction, so a test run is reproducible for a given sequence of calls.
// A fault either returns its error without calling the wrapped storage, or, for a torn write,
// first stores only a prefix of the data under the blob ID and then returns IOError (what a
// non-atomic backend could leave behind after a crash: a short blob readers must detect).
// Latency is added before every call of an operation. SetEnabled(false) turns all of it off.
//
// Thread-safe. Shares ownership of the wrapped storage and closes it on Close().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "blob/storage.h"

namespace ferry::blob {

enum class Op { kPut = 0, kGet, kGetMetadata, kDelete, kList };
inline constexpr size_t kOpCount = 5;
std::string_view OpName(Op op);

struct Fault {
  Op op = Op::kPut;
  // Matches blob IDs starting with this (for kList: listing prefixes starting with it); empty
  // matches every call.
  std::string id_prefix;
  // How many matching calls fail; -1 means all of them, forever.
  int count = 1;
  // What the failed call returns (a torn write always returns IOError).
  StatusCode code = StatusCode::kIOError;
  // kPut only: when >= 0, a torn write storing floor(size * torn_fraction) bytes (at most
  // size - 1) before failing.
  double torn_fraction = -1;
};

struct FaultCounters {
  std::array<int64_t, kOpCount> calls{};     // calls that reached this wrapper
  std::array<int64_t, kOpCount> injected{};  // calls failed on purpose (torn writes included)
  int64_t torn_writes = 0;

  int64_t Calls(Op op) const { return calls[static_cast<size_t>(op)]; }
  int64_t Injected(Op op) const { return injected[static_cast<size_t>(op)]; }
  int64_t TotalInjected() const;
};

class FaultInjectingStorage final : public Storage {
 public:
  explicit FaultInjectingStorage(std::shared_ptr<Storage> inner, uint64_t seed = 1);

  void SetEnabled(bool enabled);
  bool enabled() const;

  // Scripted faults.
  void AddFault(Fault fault);
  void FailNext(Op op, int n, StatusCode code = StatusCode::kIOError);
  void FailMatching(Op op, std::string id_prefix, int n = -1,
                    StatusCode code = StatusCode::kIOError);
  void TearNextPuts(int n, double fraction = 0.5);

  // Random faults (probability in [0, 1]).
  void SetFailureProbability(Op op, double probability, StatusCode code = StatusCode::kIOError);
  void SetTornWriteProbability(double probability, double fraction = 0.5);

  void SetLatency(Op op, std::chrono::microseconds latency);

  // Removes scripted and random faults and latencies (counters are kept).
  void ClearFaults();
  FaultCounters Counters() const;
  void ResetCounters();

  std::string DisplayName() const override { return inner_->DisplayName(); }
  bool small_reads_are_costly() const override { return inner_->small_reads_are_costly(); }
  std::map<std::string, std::string> Config() const override { return inner_->Config(); }

 protected:
  Status DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) override;
  Status DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) override;
  Result<BlobMetadata> DoGetMetadata(std::string_view id) override;
  Status DoDeleteBlob(std::string_view id) override;
  Status DoListBlobs(std::string_view prefix, const ListCallback& callback) override;
  Status DoSync() override { return inner_->Sync(); }
  Result<TemporaryCleanup> DoDeleteStaleTemporaries(int64_t older_than_unix_nanos) override {
    return inner_->DeleteStaleTemporaries(older_than_unix_nanos);
  }
  Status DoClose() override { return inner_->Close(); }

 private:
  struct Decision {
    bool fail = false;
    StatusCode code = StatusCode::kIOError;
    double torn_fraction = -1;
  };
  // Counts the call, sleeps for the configured latency and decides whether it fails.
  Decision Enter(Op op, std::string_view id);
  static Status Injected(Op op, std::string_view id, StatusCode code);

  const std::shared_ptr<Storage> inner_;

  mutable std::mutex mu_;
  bool enabled_ = true;                                        // guarded by mu_
  std::deque<Fault> scripted_;                                 // guarded by mu_
  std::array<double, kOpCount> probability_{};                 // guarded by mu_
  std::array<StatusCode, kOpCount> probability_code_{};        // guarded by mu_
  double torn_probability_ = 0;                                // guarded by mu_
  double torn_probability_fraction_ = 0.5;                     // guarded by mu_
  std::array<std::chrono::microseconds, kOpCount> latency_{};  // guarded by mu_
  std::mt19937_64 rng_;                                        // guarded by mu_
  FaultCounters counters_;                                     // guarded by mu_
};

}  // namespace ferry::blob
