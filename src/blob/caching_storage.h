// CachingStorage: an in-memory LRU read cache in front of another storage, for blobs that are
// read repeatedly (index blobs `x`, metadata packs `q`, `kopia.*` configuration). Whole-blob
// reads and range reads are cached as separate entries; a range is also served from a cached
// whole blob.
//
// Coherence: PutBlob and DeleteBlob through this wrapper drop every entry of that blob, and a read
// that overlapped such a write does not populate the cache, so callers of this wrapper always read
// their own writes. Writes that bypass the wrapper (another process, or the wrapped storage used
// directly) are not seen until the entry is evicted: cache only blobs that never change once
// written (kopia's content-addressed packs and indexes) or that only this process writes.
//
// Metadata and listings are not cached. Thread-safe (one mutex; copies happen outside it).
// Shares ownership of the wrapped storage and closes it on Close().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "blob/storage.h"

namespace ferry::blob {

struct CacheOptions {
  // Upper bound of cached blob bytes; least recently used entries are evicted beyond it. A single
  // read larger than this is not cached.
  int64_t max_bytes = 64 << 20;
  // Only blobs whose ID starts with one of these are cached; empty means every blob.
  std::vector<std::string> prefixes;
};

struct CacheStats {
  int64_t hits = 0;
  int64_t misses = 0;  // reads of cacheable blobs that went to the wrapped storage
  int64_t evictions = 0;
  int64_t bytes = 0;  // currently cached
  int64_t entries = 0;
};

class CachingStorage final : public Storage {
 public:
  CachingStorage(std::shared_ptr<Storage> inner, CacheOptions options = {});

  CacheStats Stats() const;
  // Drops every cached entry.
  void Clear();

  std::string DisplayName() const override { return inner_->DisplayName(); }
  bool small_reads_are_costly() const override { return inner_->small_reads_are_costly(); }
  std::map<std::string, std::string> Config() const override { return inner_->Config(); }

 protected:
  Status DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) override;
  Status DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) override;
  Result<BlobMetadata> DoGetMetadata(std::string_view id) override {
    return inner_->GetMetadata(id);
  }
  Status DoDeleteBlob(std::string_view id) override;
  Status DoListBlobs(std::string_view prefix, const ListCallback& callback) override {
    return inner_->ListBlobs(prefix, callback);
  }
  Status DoSync() override { return inner_->Sync(); }
  Result<TemporaryCleanup> DoDeleteStaleTemporaries(int64_t older_than_unix_nanos) override {
    return inner_->DeleteStaleTemporaries(older_than_unix_nanos);
  }
  Status DoClose() override;

 private:
  struct Entry {
    std::string id;
    int64_t offset;
    int64_t length;  // -1: whole blob
    std::shared_ptr<const Bytes> data;
  };
  using Lru = std::list<Entry>;  // front = most recently used

  static std::string Key(std::string_view id, int64_t offset, int64_t length);
  bool Cacheable(std::string_view id) const;
  std::atomic<uint64_t>& Generation(std::string_view id);
  // Both require mu_.
  std::shared_ptr<const Bytes> Lookup(const std::string& key);
  void EraseBlob(std::string_view id);
  void Insert(std::string_view id, int64_t offset, int64_t length, const Bytes& data,
              uint64_t generation);
  void Invalidate(std::string_view id);

  const std::shared_ptr<Storage> inner_;
  const CacheOptions options_;

  // Bumped (per hash bucket of the ID) by every put/delete, so that a read that started before a
  // write cannot store what it read after the write invalidated the cache.
  std::array<std::atomic<uint64_t>, 64> generations_{};

  mutable std::mutex mu_;
  Lru lru_;                                                               // guarded by mu_
  std::unordered_map<std::string, Lru::iterator> by_key_;                 // guarded by mu_
  std::unordered_map<std::string, std::vector<std::string>> keys_by_id_;  // guarded by mu_
  CacheStats stats_;                                                      // guarded by mu_
};

}  // namespace ferry::blob
