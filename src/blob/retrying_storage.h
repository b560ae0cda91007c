// RetryingStorage: retries operations of the wrapped storage that fail with a transient error
// (StatusCode::kIOError: the OS or network hiccuped) with exponential backoff and jitter, as
// kopia's repo/blob/retrying does. Every other code is returned at once: NotFound,
// InvalidArgument (bad ID or range), Authentication, Corruption, ... cannot get better by
// waiting.
//
// Put and Delete are safe to retry (whole-blob replace; deleting a missing blob is OK). A listing
// is retried only if it failed before the callback saw any blob, because the callback must not
// see a blob twice; an error returned by the callback itself is never retried.
//
// Thread-safe if the wrapped storage is. Shares ownership of the wrapped storage and closes it on
// Close().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>

#include "blob/storage.h"

namespace ferry::blob {

struct RetryOptions {
  int max_attempts = 10;  // total tries, including the first
  std::chrono::microseconds initial_delay = std::chrono::milliseconds(100);
  std::chrono::microseconds max_delay = std::chrono::seconds(10);
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [(1 - jitter) * d, d], so that many clients failing
  // together do not retry in lock step.
  double jitter = 0.5;
  // How to wait; tests may substitute a fake. Null means std::this_thread::sleep_for.
  std::function<void(std::chrono::microseconds)> sleep;
};

// True for the codes RetryingStorage retries (only kIOError).
bool IsTransient(const Status& status);

class RetryingStorage final : public Storage {
 public:
  RetryingStorage(std::shared_ptr<Storage> inner, RetryOptions options = {});

  // Number of retries performed so far (attempts beyond the first), for tests and statistics.
  int64_t retries() const { return retries_.load(std::memory_order_relaxed); }

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
  // Runs `attempt` until it returns a non-transient status, `may_retry` says no, or attempts
  // run out. `what` names the operation in the final error.
  Status Run(std::string_view what, const std::function<Status()>& attempt,
             const std::function<bool()>& may_retry = nullptr);
  std::chrono::microseconds Delay(int retry);

  const std::shared_ptr<Storage> inner_;
  const RetryOptions options_;
  std::atomic<int64_t> retries_{0};
  std::mutex rng_mu_;
  std::minstd_rand rng_;  // guarded by rng_mu_
};

}  // namespace ferry::blob
