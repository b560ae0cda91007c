// Helpers shared by the blob tests (and by later backends' conformance runs): temporary
// directories, deterministic test data, small file utilities. Test-only code.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::blob::testutil {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// `n` pseudo-random bytes, the same for the same seed.
Bytes PatternBytes(size_t n, uint64_t seed);

// Recursively copies `from` to `to` (like cp -r) and makes the copy writable by its owner, so
// that read-only fixtures can be opened and later deleted.
Status CopyTree(const std::string& from, const std::string& to);

bool FileExists(const std::string& path);
Result<std::string> ReadFileToString(const std::string& path);
Status WriteStringToFile(const std::string& path, std::string_view data);
// Permission bits (07777) of `path`, or -1 if it cannot be stat'ed.
int ModeOf(const std::string& path);
// Every regular file under `dir`, relative to it ("p/012/abc.f").
std::vector<std::string> ListFilesRecursively(const std::string& dir);

}  // namespace ferry::blob::testutil
