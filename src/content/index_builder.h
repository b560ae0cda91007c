// Builds index blobs in kopia's v1 or v2 binary layout (kopia-format.md §9.2, §9.3): entries
// sorted by key, pack and format tables in first-appearance order. The output is what kopia's
// BuildStable produces, byte for byte.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "content/index_entry.h"

namespace ferry::content {

class IndexBuilder {
 public:
  // Adds or replaces (by content ID) an entry. The pack blob ID is copied.
  void Add(const IndexEntry& entry);
  // Appends an entry whose ID is greater than every ID added so far (a merge's output): kept
  // in a flat vector, so a million entries cost ~90 MB rather than a map's ~200 MB. A builder
  // is filled either with Add or with AppendSorted, not both (InvalidArgument at Build).
  Status AppendSorted(const IndexEntry& entry);
  size_t size() const { return entries_.size() + sorted_.size(); }
  bool empty() const { return size() == 0; }

  // Builds an index from entries sorted by ID without duplicates (InvalidArgument otherwise),
  // without copying them: the content manager's pack and session indexes. Their pack IDs must
  // stay valid until it returns. Same rules as Build.
  static Result<Bytes> BuildSorted(const std::vector<IndexEntry>& sorted, int version);
  // The same from an accessor of entry i (0 <= i < count), called twice per entry: the caller
  // keeps its entries in whatever compact form it has (a session's index blob of 40 000
  // contents would otherwise need 4 MB of IndexEntry copies while it is built).
  // spare_capacity: room reserved after the index, so the caller can append that much without
  // the vector moving (a pack's local index gets 32 random bytes).
  static Result<Bytes> BuildSorted(size_t count, const std::function<IndexEntry(size_t)>& entry_at, int version,
                                   size_t spare_capacity = 0);

  // version 1 or 2. An empty builder is refused for v2 (kopia never writes empty indexes);
  // compression in a v1 index is refused (v1 cannot express it).
  Result<Bytes> Build(int version) const;

 private:
  struct Stored {
    IndexEntry entry;  // entry.pack_blob_id points into pack_ids_
  };
  using EntryAt = std::function<IndexEntry(size_t)>;
  static Result<Bytes> BuildV1(size_t count, const EntryAt& entry_at, size_t spare_capacity);
  static Result<Bytes> BuildV2(size_t count, const EntryAt& entry_at, size_t spare_capacity);

  std::map<ContentId, IndexEntry> entries_;
  std::vector<IndexEntry> sorted_;
  std::map<std::string, int, std::less<>> pack_ids_;  // owns the pack ID strings
};

}  // namespace ferry::content
