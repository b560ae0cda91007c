// A parsed, read-only index blob (v1 or v2) searched in place: the decrypted bytes are kept as
// they are and binary-searched, so an index of a million contents costs ~35 MB, not a map.
//
// A large view can instead be spilled (Parse with an IndexSpillFile): its entries move to that
// unlinked local file and memory keeps the Bloom filter (12 bits per entry, ~0.4 % false
// positives), the first key of every ~4 KiB block of entries (0.13 bytes per entry) and the
// pack and format tables; a lookup that passes the filter reads one block (pread). A backup of
// a million small files then keeps ~1.6 bytes per content in memory instead of ~35.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "content/index_entry.h"
#include "content/index_spill.h"

namespace ferry::content {

class IndexView {
 public:
  // Validates the header and tables; any inconsistency is Status::Corruption naming `name`.
  // With `spill`, a view of at least spill->min_entries() entries moves them there (if writing
  // the spill file fails, the view stays in memory: slower to grow, never wrong).
  static Result<std::shared_ptr<const IndexView>> Parse(Bytes data, std::string name,
                                                        std::shared_ptr<IndexSpillFile> spill = nullptr);
  // The same from bytes the caller keeps: a view that spills copies only what it keeps in
  // memory (filter, fences, tables), one that does not copies them all.
  static Result<std::shared_ptr<const IndexView>> ParseCopy(ByteView data, std::string name,
                                                            std::shared_ptr<IndexSpillFile> spill = nullptr);

  const std::string& name() const { return name_; }
  int version() const { return version_; }
  size_t size() const { return count_; }
  size_t key_size() const { return key_size_; }
  // Whether the entries live in the spill file rather than in memory.
  bool spilled() const { return spill_ != nullptr; }
  size_t memory_bytes() const { return data_.size() + filter_.size() * sizeof(FilterBlock) + fences_.size(); }

  // False when `id` is certainly not in this index (a split-block Bloom filter of ~10 bits per
  // entry, built at Parse: ~1 % false positives; 12 bits and ~0.4 % for a spilled view). A backup looks
  // every new content up in every index blob (the repository's and the ones it writes itself
  // every few thousand contents), and nearly all of those lookups miss: the filter turns each
  // into one memory access.
  bool MayContain(const ContentId& id) const;

  // Binary search (of the fences and then one block read back, when spilled). Returns false if
  // absent (or if the ID's length differs from this index's); an error only if the spill file
  // cannot be read. Entry strings point into this view.
  Result<bool> Find(const ContentId& id, IndexEntry* out) const;

  // Visits entries in key order; stops at and returns the first error of `visit`.
  Status ForEach(const std::function<Status(const IndexEntry&)>& visit) const;

  // Entry number i (0 <= i < size()), in key order.
  Result<IndexEntry> EntryAt(size_t i) const;

  // Views kept whole in memory (not spilled) only: the blob's bytes, and entry i's key bytes
  // (prefix byte, then hash).
  ByteView bytes() const { return spill_ ? ByteView() : ByteView(data_); }
  ByteView KeyAt(size_t i) const { return ByteView(data_.data() + entries_offset_ + i * stride(), key_size_); }

 private:
  IndexView() = default;
  Status Load(ByteView src, std::string name, const std::shared_ptr<IndexSpillFile>& spill);
  Status Validate(ByteView src);
  // Decodes the entry at `e` (key then value, wherever it was read into).
  Status Decode(const uint8_t* e, IndexEntry* out) const;
  // The byte at `offset` of the blob (past the entries when spilled).
  const uint8_t* At(size_t offset) const { return data_.data() + (offset - tail_offset_); }
  size_t stride() const { return key_size_ + value_size_; }
  size_t entries_end() const { return entries_offset_ + count_ * stride(); }
  // Whether every pack name lies after the entries (what kopia and ferry write), so that the
  // entries can leave memory without them.
  bool CanSpill(ByteView src) const;
  void BuildFilter(ByteView src, size_t bits_per_entry);
  Status Spill(ByteView src, const std::shared_ptr<IndexSpillFile>& spill);
  size_t BlockEntries(size_t block) const;
  Status ReadBlock(size_t block, uint8_t* out) const;

  struct alignas(64) FilterBlock {  // one cache line
    uint64_t word[8] = {};
  };
  bool FilterMayContain(const uint8_t* key) const;
  std::vector<FilterBlock> filter_;  // split-block Bloom filter: one block per key

  // In memory: the whole blob. Spilled: its bytes from entries_end() on (pack and format
  // tables, pack names), tail_offset_ = entries_end().
  Bytes data_;
  size_t tail_offset_ = 0;
  size_t blob_size_ = 0;
  // Spilled only: where the entries are, and the first key of every block of block_entries_.
  std::shared_ptr<IndexSpillFile> spill_;
  uint64_t spill_offset_ = 0;
  size_t block_entries_ = 0;
  Bytes fences_;
  // The last block EntryAt read (merges walk each view in order).
  mutable std::mutex block_cache_mu_;
  mutable Bytes block_cache_;
  mutable size_t block_cache_index_ = SIZE_MAX;

  std::string name_;
  int version_ = 0;
  size_t key_size_ = 0;
  size_t value_size_ = 0;
  size_t count_ = 0;
  size_t entries_offset_ = 0;
  // v2 only
  size_t pack_count_ = 0;
  size_t packs_offset_ = 0;
  size_t format_count_ = 0;
  size_t formats_offset_ = 0;
  uint32_t base_timestamp_ = 0;
};

}  // namespace ferry::content
