// Diff: what changed between two snapshot trees (or any two directory entries), like kopia's
// `diff`. Entries with the same object ID are identical (content addressing) and are neither
// read nor descended into; everything else is compared by name, directory by directory.
//
// Attributes compared: mode (Go's FileMode string, as kopia prints it), size (for directories
// the summary's total file size), mtime (the recorded one, also for directories — see
// restore.h), owner user and group. With compare_files, changed files are read and compared byte
// by byte (chunks with the same object ID at the same offset are skipped without reading).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "object/object_manager.h"
#include "snapshot/dir_entry.h"

namespace ferry::snapshot {

enum class DiffKind { kAdded, kRemoved, kChanged };

struct DiffEntry {
  DiffKind kind;
  std::string path;  // "." for the roots, "./small/x.txt" below (kopia's form)
  DirEntry old_entry;  // empty for kAdded
  DirEntry new_entry;  // empty for kRemoved
  // For kChanged: one line per differing attribute, kopia's wording:
  // "modes differ:  -rw-r--r-- -rwxr-xr-x", "sizes differ:  1000 1001",
  // "modification times differ:  2022-10-12 00:00:00 +0000 UTC 2022-10-13 00:00:00 +0000 UTC",
  // "owner users differ:  0 1000", "owner groups differ:  0 1000", "type changed: file -> directory".
  std::vector<std::string> attributes;
  // With compare_files, for changed files: "contents identical" or
  // "contents differ: N bytes differ, first at offset X".
  std::string contents;
};

struct DiffOptions {
  bool compare_files = false;
  // Called for every difference, parents before children.
  std::function<void(const DiffEntry&)> emit;
};

struct DiffStats {
  int64_t added = 0, removed = 0, changed = 0;
};

Result<DiffStats> Diff(const object::ObjectManager& objects, const DirEntry& old_root, const DirEntry& new_root,
                       const DiffOptions& options);

// Go's time.Time.String() in UTC: "2022-10-13 00:00:00 +0000 UTC", with up to 9 fraction
// digits when not whole seconds ("2022-10-11 23:59:59.999999999 +0000 UTC").
std::string GoTimeString(UnixTime t);

}  // namespace ferry::snapshot
