#include "blob/memory_storage.h"

#include "compression/crc32c.h"

#include <chrono>
#include <mutex>
#include <utility>
#include <vector>

namespace ferry::blob {

MemoryStorage::MemoryStorage(std::string name, Clock clock)
    : name_(std::move(name)), clock_(std::move(clock)) {}

void MemoryStorage::SetClock(Clock clock) {
  std::unique_lock lock(mu_);
  clock_ = std::move(clock);
}

Status MemoryStorage::SetBlobTimestamp(std::string_view id, int64_t timestamp_unix_nanos) {
  std::unique_lock lock(mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) return BlobNotFound(id);
  it->second.timestamp = timestamp_unix_nanos;
  return Status::OK();
}

size_t MemoryStorage::BlobCount() const {
  std::shared_lock lock(mu_);
  return blobs_.size();
}

int64_t MemoryStorage::TotalBytes() const {
  std::shared_lock lock(mu_);
  int64_t total = 0;
  for (const auto& [id, e] : blobs_) total += static_cast<int64_t>(e.data->size());
  return total;
}

std::string MemoryStorage::DisplayName() const { return "Memory: " + name_; }

std::map<std::string, std::string> MemoryStorage::Config() const {
  return {{"type", "memory"}, {"name", name_}};
}

// Caller holds mu_ (either mode).
int64_t MemoryStorage::Now() const {
  if (clock_) return clock_();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status MemoryStorage::DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) {
  // As S3 does with x-amz-checksum-crc32c: a body that does not match the CRC it came with is
  // refused (BadDigest), which is how tests catch a wrong CRC from the content layer.
  if (options.body_crc32c && *options.body_crc32c != compression::crc32c::Value(data.data(), data.size())) {
    return Status::Corruption("blob " + std::string(id) + ": the body does not match its CRC-32C (BadDigest)");
  }
  // Copy outside the lock: large blobs must not stall readers.
  auto copy = std::make_shared<const Bytes>(data.begin(), data.end());
  std::unique_lock lock(mu_);
  Entry& e = blobs_[std::string(id)];
  e.data = std::move(copy);
  e.timestamp = Now();
  return Status::OK();
}

Status MemoryStorage::DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) {
  std::shared_ptr<const Bytes> data;
  {
    std::shared_lock lock(mu_);
    auto it = blobs_.find(id);
    if (it == blobs_.end()) return BlobNotFound(id);
    data = it->second.data;
  }
  FERRY_ASSIGN_OR_RETURN(int64_t n,
                         ResolveRange(id, static_cast<int64_t>(data->size()), offset, length));
  out->assign(data->begin() + offset, data->begin() + offset + n);
  return Status::OK();
}

Result<BlobMetadata> MemoryStorage::DoGetMetadata(std::string_view id) {
  std::shared_lock lock(mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) return BlobNotFound(id);
  return BlobMetadata{std::string(id), static_cast<int64_t>(it->second.data->size()),
                      it->second.timestamp};
}

Status MemoryStorage::DoDeleteBlob(std::string_view id) {
  std::unique_lock lock(mu_);
  auto it = blobs_.find(id);
  if (it != blobs_.end()) blobs_.erase(it);
  return Status::OK();
}

Status MemoryStorage::DoListBlobs(std::string_view prefix, const ListCallback& callback) {
  // Snapshot first so the callback runs without the lock (it may call back into this store).
  std::vector<BlobMetadata> matching;
  {
    std::shared_lock lock(mu_);
    for (auto it = blobs_.lower_bound(prefix); it != blobs_.end(); ++it) {
      if (!std::string_view(it->first).starts_with(prefix)) break;
      matching.push_back(
          {it->first, static_cast<int64_t>(it->second.data->size()), it->second.timestamp});
    }
  }
  for (const BlobMetadata& m : matching) FERRY_RETURN_IF_ERROR(callback(m));
  return Status::OK();
}

}  // namespace ferry::blob
