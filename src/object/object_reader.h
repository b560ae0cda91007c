// Reading objects (kopia-format.md §13): direct objects (one content), legacy `Z` objects
// (content = compression header || stream) and indirect objects `I…X`, whose indirect list is
// read from object X and whose chunks are fetched lazily, one at a time, as the reader reaches
// them.
//
// Checks: every chunk's decoded length must equal the list's `l` (Corruption otherwise, as in
// kopia); lists must be contiguous from offset 0 (see ParseIndirectList).
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "content/content_manager.h"
#include "object/indirect_list.h"
#include "object/object_id.h"

namespace ferry::object {

// A seekable byte stream over one object. Holds the indirect list and the current chunk (one
// buffer, reused). Not thread-safe; open one reader per thread. Movable.
class ObjectReader {
 public:
  // Opens `id`: reads the indirect list (for `I…`) or the content (for a direct object; so a
  // missing content is reported here, as NotFound). `contents` must outlive the reader.
  static ferry::Result<ObjectReader> Open(content::ContentManager* contents, const ObjectId& id);

  ObjectReader(ObjectReader&&) = default;
  ObjectReader& operator=(ObjectReader&&) = default;

  // Fills `out` from the current position, crossing chunk boundaries; returns the byte count,
  // which is less than out.size() only at the end of the object (0 once there).
  ferry::Result<size_t> Read(MutableByteView out);

  // Moves the position to `offset` (0 <= offset; offsets at or past the end read nothing). The
  // chunk there is fetched by the next Read.
  Status Seek(int64_t offset);

  int64_t Length() const { return length_; }
  int64_t position() const { return position_; }
  const ObjectId& id() const { return id_; }

 private:
  ObjectReader() = default;
  // Index of the chunk holding `offset` (< length_).
  size_t FindChunk(int64_t offset) const;
  Status LoadChunk(size_t index);

  content::ContentManager* contents_ = nullptr;
  ObjectId id_;
  std::vector<IndirectEntry> chunks_;  // a direct object is one chunk
  int64_t length_ = 0;
  int64_t position_ = 0;
  static constexpr size_t kNoChunk = static_cast<size_t>(-1);
  size_t loaded_ = kNoChunk;  // which chunk `data_` holds
  Bytes data_;
};

// The whole object in memory (directories, lists, small files).
ferry::Result<Bytes> ReadObject(content::ContentManager* contents, const ObjectId& id);

// The entries of the indirect list stored in object `list_id` (the ID without its leading `I`).
ferry::Result<std::vector<IndirectEntry>> LoadIndirectList(content::ContentManager* contents,
                                                           const ObjectId& list_id);

// Checks that every content backing `id` (list objects included) exists and is not deleted,
// without reading chunk data. Returns those content IDs, each once, in first-seen order.
ferry::Result<std::vector<content::ContentId>> VerifyObject(content::ContentManager* contents,
                                                            const ObjectId& id);

}  // namespace ferry::object
