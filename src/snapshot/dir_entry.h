// Directory objects and their entries (kopia-format.md §14.1–14.3): what a snapshot stores
// about every file, directory and symlink. JSON field names and order are kopia's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "manifest/rfc3339.h"

namespace ferry::snapshot {

inline constexpr char kTypeFile = 'f';
inline constexpr char kTypeDirectory = 'd';
inline constexpr char kTypeSymlink = 's';

// Go's os.FileMode flags kopia HEAD stores beside the permission bits (§14.2).
inline constexpr uint32_t kGoModeSetuid = 1u << 23;
inline constexpr uint32_t kGoModeSetgid = 1u << 22;
inline constexpr uint32_t kGoModeSticky = 1u << 20;

struct EntryError {
  std::string path;
  std::string error;
};

struct DirectorySummary {
  int64_t total_size = 0;    // "size"
  int64_t files = 0;
  int64_t symlinks = 0;      // directly in this directory (kopia 0.12.1 does not propagate)
  int64_t dirs = 0;          // including itself
  UnixTime max_time;         // "maxTime"
  std::string incomplete;    // omitempty
  int64_t num_failed = 0;
  int64_t num_ignored_errors = 0;  // omitempty
  std::vector<EntryError> errors;  // omitempty, at most 10, sorted by path
};

// An optional value kept on the heap, with value semantics (copies copy the value). A backup
// holds a DirEntry for every entry of the directories it is working through, and only
// directories have a summary: inline, std::optional cost every file 128 bytes.
template <typename T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(std::nullopt_t) {}  // NOLINT: implicit, like std::optional
  Boxed(const T& v) : p_(std::make_unique<T>(v)) {}  // NOLINT
  Boxed(T&& v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(std::nullopt_t) {
    p_.reset();
    return *this;
  }
  Boxed& operator=(const T& v) {
    p_ = std::make_unique<T>(v);
    return *this;
  }
  Boxed& operator=(T&& v) {
    p_ = std::make_unique<T>(std::move(v));
    return *this;
  }

  explicit operator bool() const { return p_ != nullptr; }
  bool has_value() const { return p_ != nullptr; }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  void reset() { p_.reset(); }

 private:
  std::unique_ptr<T> p_;
};

struct DirEntry {
  std::string name;
  char type = 0;       // 'f', 'd', 's'; anything else is unknown
  uint32_t mode = 0;   // permission bits (+ Go setuid/setgid/sticky flags)
  int64_t size = 0;
  UnixTime mtime;      // omitted from JSON only when exactly the Unix epoch
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string object_id;                   // "obj"
  Boxed<DirectorySummary> summary;  // "summ", directories only

  bool is_dir() const { return type == kTypeDirectory; }
  bool is_file() const { return type == kTypeFile; }
  bool is_symlink() const { return type == kTypeSymlink; }
  // POSIX permission bits incl. 04000/02000/01000 from the Go flags.
  uint32_t PosixMode() const;
};

struct DirectoryManifest {
  std::vector<DirEntry> entries;
  std::optional<DirectorySummary> summary;
};

// Compact JSON for one entry / summary, exactly as kopia writes them.
std::string DirEntryJson(const DirEntry& e);
std::string DirectorySummaryJson(const DirectorySummary& s);

// {"stream":"kopia:directory","entries":[...],"summary":{...}} + "\n". Entries are written in
// the given order (kopia's: directories first, then by name); an empty list is written as null.
std::string SerializeDirectory(const DirectoryManifest& dir);

// Requires "stream":"kopia:directory". Names must be unique; names that could escape a restore
// target (empty, ".", "..", containing '/' or NUL) are refused with Corruption.
Result<DirectoryManifest> ParseDirectory(ByteView json);

// Parses a single entry / summary (e.g. a snapshot's rootEntry); used by the manifest code.
Result<DirEntry> ParseDirEntryJson(std::string_view json);

// kopia's order: directories first, then byte-wise by name.
void SortEntries(std::vector<DirEntry>* entries);

// True if `name` is safe to create inside a directory.
bool IsSafeEntryName(std::string_view name);

}  // namespace ferry::snapshot
