// ObjectWriter: turns a byte stream into an object (kopia-format.md §13.3).
//
// The stream is cut by a splitter (a fresh one per object, so that boundaries depend only on the
// object's bytes — this is what makes ferry's chunks deduplicate with kopia's). Each chunk becomes
// one content: WriteContent(chunk, prefix, compression). One chunk: the object ID is that content.
// Several: the writer stores an indirect list (indirect_list.h) as a new object with the same
// prefix (or `x` when the object has none) and zstd-fastest metadata compression, and the ID is
// `I` + that object's ID — recursively `II…` if the list itself splits. An empty stream is one
// empty content.
//
// Memory: the writer holds at most one chunk (≤ the splitter's max_segment_size), in one buffer
// reused for every chunk, plus the list of chunk entries (~60 bytes each). Chunks that lie wholly
// inside one Write call are stored straight from the caller's bytes, without a copy.
//
// Thread-safety: none. An ObjectWriter belongs to one thread; use several writers (and
// ObjectManager::Concatenate) to write one large file in parallel.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "compression/compression.h"
#include "content/content_manager.h"
#include "object/indirect_list.h"
#include "object/object_id.h"
#include "splitter/splitter.h"

namespace ferry::object {

// The prefix of indirect-list contents of objects that have no prefix themselves (kopia's
// indirectContentPrefix): it keeps the lists in `q` (metadata) packs.
inline constexpr char kIndirectContentPrefix = 'x';
// Compression of metadata (indirect lists; also what directories and manifests use).
inline constexpr compression::HeaderId kMetadataCompression = 0x1101;  // zstd-fastest

struct WriterOptions {
  char prefix = 0;  // content prefix: 0 for file data, 'k' for directories, any 'g'..'z'
  compression::HeaderId compression = compression::kNoCompression;  // for the data chunks
  std::string description;  // for error messages ("FILE:/home/a/b.txt")
};

class ObjectWriter {
 public:
  // `splitter` cuts this object; `list_splitter_factory` makes the splitters of its indirect
  // lists (kopia uses the repository splitter for them). `contents` must outlive the writer.
  ObjectWriter(content::ContentManager* contents, std::unique_ptr<splitter::Splitter> splitter,
               splitter::SplitterFactory list_splitter_factory, WriterOptions options);
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  // Appends bytes to the object; chunks completed by them are stored now. After an error the
  // writer is unusable (every later call returns the same error).
  Status Write(ByteView data);

  // Stores the final chunk (and the indirect list if needed) and returns the object's ID. Later
  // calls return the same result; Write after Result is an error.
  ferry::Result<ObjectId> Result();

  // Bytes written so far.
  int64_t length() const { return length_; }

 private:
  Status StoreChunk(ByteView chunk);
  void AppendToBuffer(ByteView data);

  content::ContentManager* const contents_;
  std::unique_ptr<splitter::Splitter> splitter_;
  splitter::SplitterFactory list_splitter_factory_;
  const WriterOptions options_;

  Bytes buffer_;  // the unfinished chunk
  std::vector<IndirectEntry> entries_;
  int64_t length_ = 0;
  Status error_;
  std::optional<ObjectId> result_;
};

// Stores `entries` as an indirect list object with prefix `prefix` (or `x` for 0) and returns
// `I` + its ID. Used by ObjectWriter and ObjectManager::Concatenate. entries must not be empty.
ferry::Result<ObjectId> WriteIndirectObject(content::ContentManager* contents,
                                            const splitter::SplitterFactory& splitter_factory,
                                            const std::vector<IndirectEntry>& entries, char prefix,
                                            std::string_view description);

}  // namespace ferry::object
