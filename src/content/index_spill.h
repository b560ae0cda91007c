// An unlinked temporary file that large index views move their entries into, so that a backup
// of millions of contents keeps only each view's filter and a sparse fence of keys in memory
// (see IndexView). Pages written here live in the page cache, not in the process: reading an
// entry back is one pread of a small block. The file disappears when the last view using it
// goes (it is never linked into a directory).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::content {

class IndexSpillFile {
 public:
  // Views of at least this many entries are spilled by default: smaller ones cost ~33 bytes per
  // entry in memory, which is less than a block read per hit is worth.
  static constexpr size_t kDefaultMinEntries = 4096;

  // A new unlinked file in `dir` ($TMPDIR, else /tmp, when empty): O_TMPFILE where the file
  // system has it, else mkstemp + unlink. Views of at least min_entries entries are spilled.
  static Result<std::shared_ptr<IndexSpillFile>> Create(const std::string& dir = "",
                                                        size_t min_entries = kDefaultMinEntries);
  ~IndexSpillFile();
  IndexSpillFile(const IndexSpillFile&) = delete;
  IndexSpillFile& operator=(const IndexSpillFile&) = delete;

  size_t min_entries() const { return min_entries_; }

  // Appends `data` at the end of the file and returns its offset. Thread-safe.
  Result<uint64_t> Append(ByteView data);
  // Reads exactly out.size() bytes at `offset`. Thread-safe (pread).
  Status ReadAt(uint64_t offset, MutableByteView out) const;
  // Bytes appended so far.
  uint64_t size() const;

 private:
  IndexSpillFile(int fd, std::string dir, size_t min_entries)
      : fd_(fd), dir_(std::move(dir)), min_entries_(min_entries) {}

  const int fd_;
  const std::string dir_;  // for messages
  const size_t min_entries_;
  mutable std::mutex mu_;
  uint64_t end_ = 0;
};

}  // namespace ferry::content
