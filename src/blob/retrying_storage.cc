#include "blob/retrying_storage.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <utility>

namespace ferry::blob {

bool IsTransient(const Status& status) { return status.code() == StatusCode::kIOError; }

RetryingStorage::RetryingStorage(std::shared_ptr<Storage> inner, RetryOptions options)
    : inner_(std::move(inner)), options_(std::move(options)), rng_(std::random_device{}()) {}

std::chrono::microseconds RetryingStorage::Delay(int retry) {
  double base = static_cast<double>(options_.initial_delay.count()) *
                std::pow(std::max(options_.multiplier, 1.0), retry);
  base = std::min(base, static_cast<double>(options_.max_delay.count()));
  double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  double u;
  {
    std::lock_guard lock(rng_mu_);
    u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  return std::chrono::microseconds(static_cast<int64_t>(base * (1.0 - jitter * u)));
}

Status RetryingStorage::Run(std::string_view what, const std::function<Status()>& attempt,
                            const std::function<bool()>& may_retry) {
  const int max_attempts = std::max(options_.max_attempts, 1);
  for (int i = 0;; ++i) {
    Status s = attempt();
    if (s.ok() || !IsTransient(s) || (may_retry && !may_retry())) return s;
    if (i + 1 >= max_attempts) {
      return s.WithContext(std::string(what) + " failed after " + std::to_string(max_attempts) +
                           " attempts");
    }
    retries_.fetch_add(1, std::memory_order_relaxed);
    auto delay = Delay(i);
    if (options_.sleep) {
      options_.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
  }
}

Status RetryingStorage::DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) {
  return Run("PutBlob(" + std::string(id) + ")",
             [&] { return inner_->PutBlob(id, data, options); });
}

Status RetryingStorage::DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) {
  return Run("GetBlob(" + std::string(id) + ")",
             [&] { return inner_->GetBlob(id, offset, length, out); });
}

Result<BlobMetadata> RetryingStorage::DoGetMetadata(std::string_view id) {
  BlobMetadata m;
  Status s = Run("GetMetadata(" + std::string(id) + ")", [&] {
    auto r = inner_->GetMetadata(id);
    if (!r.ok()) return r.status();
    m = std::move(*r);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return m;
}

Status RetryingStorage::DoDeleteBlob(std::string_view id) {
  return Run("DeleteBlob(" + std::string(id) + ")", [&] { return inner_->DeleteBlob(id); });
}

Status RetryingStorage::DoListBlobs(std::string_view prefix, const ListCallback& callback) {
  bool delivered = false;
  bool callback_failed = false;
  ListCallback counting = [&](const BlobMetadata& m) {
    delivered = true;
    Status s = callback(m);
    if (!s.ok()) callback_failed = true;
    return s;
  };
  return Run(
      "ListBlobs(" + std::string(prefix) + ")", [&] { return inner_->ListBlobs(prefix, counting); },
      [&] { return !delivered && !callback_failed; });
}

}  // namespace ferry::blob
