// Counters an upload updates as it goes; the CLI's progress bar, `--progress=json` and the data
// mover's DataUpload status read them. Bytes reused from the parent snapshot count as done
// (Velero did not count them for years, so incremental backups looked stuck until the end).
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry::snapshot {

struct UploadProgress {
  std::atomic<int64_t> hashed_bytes{0};   // read and hashed
  std::atomic<int64_t> cached_bytes{0};   // taken from the parent snapshot without reading
  std::atomic<int64_t> read_bytes{0};     // actually read from the source (holes are not)
  std::atomic<int64_t> hashed_files{0};
  std::atomic<int64_t> cached_files{0};
  std::atomic<int64_t> directories{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> ignored_errors{0};
  std::atomic<int64_t> total_bytes{-1};   // up-front estimate; -1 while unknown
  std::atomic<int64_t> total_files{-1};

  int64_t done_bytes() const { return hashed_bytes.load() + cached_bytes.load(); }
  int64_t done_files() const { return hashed_files.load() + cached_files.load(); }
};

}  // namespace ferry::snapshot
