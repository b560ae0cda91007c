// A parsed, read-only index blob (v1 or v2) searched in place: the decrypted bytes are kept as
// they are and binary-searched, so an index of a million contents costs ~35 MB, not a map.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "content/index_entry.h"

namespace ferry::content {

class IndexView {
 public:
  // Validates the header and tables; any inconsistency is Status::Corruption naming `name`.
  static Result<std::shared_ptr<const IndexView>> Parse(Bytes data, std::string name);

  const std::string& name() const { return name_; }
  int version() const { return version_; }
  size_t size() const { return count_; }
  size_t key_size() const { return key_size_; }
  size_t memory_bytes() const { return data_.size() + filter_.size() * sizeof(uint64_t); }

  // False when `id` is certainly not in this index (a Bloom filter of ~10 bits per entry, built
  // at Parse: ~2 % false positives). A backup looks every new content up in every index blob
  // (the repository's and the ones it writes itself every few thousand contents), and nearly
  // all of those lookups miss: the filter turns each into one memory access.
  bool MayContain(const ContentId& id) const;

  // Binary search. Returns false if absent (or if the ID's length differs from this index's).
  // Entry strings point into this view.
  bool Find(const ContentId& id, IndexEntry* out) const;

  // Visits entries in key order; stops at and returns the first error of `visit`.
  Status ForEach(const std::function<Status(const IndexEntry&)>& visit) const;

  // Entry number i (0 <= i < size()), in key order.
  Result<IndexEntry> EntryAt(size_t i) const;

 private:
  IndexView() = default;
  Status Validate();
  Status Decode(size_t i, IndexEntry* out) const;
  void BuildFilter();

  std::vector<uint64_t> filter_;  // blocked Bloom filter: one 64-bit word per key

  Bytes data_;
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
