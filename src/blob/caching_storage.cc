#include "blob/caching_storage.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace ferry::blob {

CachingStorage::CachingStorage(std::shared_ptr<Storage> inner, CacheOptions options)
    : inner_(std::move(inner)), options_(std::move(options)) {}

std::string CachingStorage::Key(std::string_view id, int64_t offset, int64_t length) {
  // Blob IDs never contain NUL, so the key is unambiguous.
  std::string key(id);
  key.push_back('\0');
  key += std::to_string(offset);
  key.push_back(':');
  key += std::to_string(length);
  return key;
}

bool CachingStorage::Cacheable(std::string_view id) const {
  if (options_.prefixes.empty()) return true;
  return std::any_of(options_.prefixes.begin(), options_.prefixes.end(),
                     [id](const std::string& p) { return id.starts_with(p); });
}

std::atomic<uint64_t>& CachingStorage::Generation(std::string_view id) {
  return generations_[std::hash<std::string_view>{}(id) % generations_.size()];
}

CacheStats CachingStorage::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void CachingStorage::Clear() {
  std::lock_guard lock(mu_);
  lru_.clear();
  by_key_.clear();
  keys_by_id_.clear();
  stats_.bytes = 0;
  stats_.entries = 0;
}

std::shared_ptr<const Bytes> CachingStorage::Lookup(const std::string& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->data;
}

void CachingStorage::EraseBlob(std::string_view id) {
  auto ids = keys_by_id_.find(std::string(id));
  if (ids == keys_by_id_.end()) return;
  for (const std::string& key : ids->second) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) continue;
    stats_.bytes -= static_cast<int64_t>(it->second->data->size());
    stats_.entries--;
    lru_.erase(it->second);
    by_key_.erase(it);
  }
  keys_by_id_.erase(ids);
}

void CachingStorage::Insert(std::string_view id, int64_t offset, int64_t length, const Bytes& data,
                            uint64_t generation) {
  const auto size = static_cast<int64_t>(data.size());
  if (size > options_.max_bytes) return;
  // Copy before taking the lock; most inserts succeed.
  auto copy = std::make_shared<const Bytes>(data);
  std::string key = Key(id, offset, length);
  std::lock_guard lock(mu_);
  // A put or delete of this blob finished while we were reading: what we read may be stale.
  if (Generation(id).load(std::memory_order_acquire) != generation) return;
  if (by_key_.contains(key)) return;  // a concurrent miss got here first
  lru_.push_front(Entry{std::string(id), offset, length, std::move(copy)});
  by_key_.emplace(key, lru_.begin());
  keys_by_id_[std::string(id)].push_back(std::move(key));
  stats_.bytes += size;
  stats_.entries++;
  while (stats_.bytes > options_.max_bytes && !lru_.empty()) {
    Entry& victim = lru_.back();
    std::string victim_key = Key(victim.id, victim.offset, victim.length);
    auto ids = keys_by_id_.find(victim.id);
    if (ids != keys_by_id_.end()) {
      std::erase(ids->second, victim_key);
      if (ids->second.empty()) keys_by_id_.erase(ids);
    }
    by_key_.erase(victim_key);
    stats_.bytes -= static_cast<int64_t>(victim.data->size());
    stats_.entries--;
    stats_.evictions++;
    lru_.pop_back();
  }
}

void CachingStorage::Invalidate(std::string_view id) {
  // Order matters: bump first, then erase under the lock (see Insert).
  Generation(id).fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard lock(mu_);
  EraseBlob(id);
}

Status CachingStorage::DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) {
  if (!Cacheable(id)) return inner_->GetBlob(id, offset, length, out);
  const uint64_t generation = Generation(id).load(std::memory_order_acquire);

  std::shared_ptr<const Bytes> exact;
  std::shared_ptr<const Bytes> whole;
  {
    std::lock_guard lock(mu_);
    exact = Lookup(Key(id, offset, length));
    if (!exact && !(offset == 0 && length < 0)) whole = Lookup(Key(id, 0, -1));
    if (exact || whole) {
      stats_.hits++;
    } else {
      stats_.misses++;
    }
  }
  if (exact) {
    out->assign(exact->begin(), exact->end());
    return Status::OK();
  }
  if (whole) {
    FERRY_ASSIGN_OR_RETURN(int64_t n,
                           ResolveRange(id, static_cast<int64_t>(whole->size()), offset, length));
    out->assign(whole->begin() + offset, whole->begin() + offset + n);
    return Status::OK();
  }

  FERRY_RETURN_IF_ERROR(inner_->GetBlob(id, offset, length, out));
  Insert(id, offset, length, *out, generation);
  return Status::OK();
}

Status CachingStorage::DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) {
  Status s = inner_->PutBlob(id, data, options);
  // Even a failed put may have replaced the blob (the error may have come after the rename).
  Invalidate(id);
  return s;
}

Status CachingStorage::DoDeleteBlob(std::string_view id) {
  Status s = inner_->DeleteBlob(id);
  Invalidate(id);
  return s;
}

Status CachingStorage::DoClose() {
  Clear();
  return inner_->Close();
}

}  // namespace ferry::blob
