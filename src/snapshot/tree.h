// Reading snapshot trees: finding an entry from what a user typed, and walking directories
// lazily (each directory object is read only when the walk reaches it).
//
// IDs (kopia's FilesystemEntryFromIDWithPath):
//   3d3bed13be8d01166562d0382d59c3dd            a snapshot manifest: its root entry
//   3d3bed13be8d01166562d0382d59c3dd/big/x.bin  an entry inside that snapshot
//   k694b57263a12408c18d3cb4380c0e80c[/path]    a directory object; when a snapshot has this root
//                                               object, its root entry (mode, mtime, owner) is used
//   Ix0124…, d929…                              a file object (size = the object's length)
// Object IDs with a `k` content (also `Ik…`) are directories; anything else is a file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "manifest/manifest_manager.h"
#include "object/object_manager.h"
#include "snapshot/dir_entry.h"
#include "snapshot/snapshot_manifest.h"

namespace ferry::snapshot {

struct ResolvedEntry {
  DirEntry entry;
  // The snapshot the ID started from (by manifest ID or by root object ID), if any.
  std::optional<SnapshotManifest> snapshot;
  // True when `entry` was made up for a bare object ID that no snapshot has as its root: its
  // mode, mtime and owner are placeholders that a restore should not apply.
  bool synthetic = false;
};

// Resolves ID[/path]. NotFound names the missing path element; InvalidArgument when the first
// element is neither a snapshot manifest ID nor an object ID, or a path goes through a
// non-directory. Empty path elements ("a//b", a trailing "/") are ignored.
Result<ResolvedEntry> ResolveEntry(const object::ObjectManager& objects,
                                   manifest::ManifestManager* manifests, std::string_view id_with_path);

// Reads and parses a directory entry's object. Errors name the object.
Result<DirectoryManifest> ReadDirectory(const object::ObjectManager& objects, const DirEntry& dir);

// The entry named `name` in `dir`, or NotFound.
Result<DirEntry> FindChild(const object::ObjectManager& objects, const DirEntry& dir,
                           std::string_view name);

// "parent/name", or just name when parent is empty.
std::string JoinPath(std::string_view parent, std::string_view name);

struct WalkCallbacks {
  // Every entry, parents before children, children in stored order (kopia's: directories first,
  // then by name). Returning false skips a directory's children; an error stops the walk and is
  // returned by WalkTree.
  std::function<Result<bool>(const std::string& path, const DirEntry& entry)> visit;
  // A directory that could not be read or parsed. Returning OK continues with its siblings; an
  // error stops the walk. When unset, the read error itself stops the walk.
  std::function<Status(const std::string& path, const DirEntry& entry, const Status& error)> on_error;
};

// Depth-first walk from `root` (visited as `root_path`). Iterative: a crafted repository with a
// very deep tree cannot exhaust the stack; memory is one parsed directory per level.
Status WalkTree(const object::ObjectManager& objects, const DirEntry& root, const std::string& root_path,
                const WalkCallbacks& callbacks);

// Go's os.FileMode.String() for an entry, as kopia's `ls -l` and `diff` print it:
// "drwxr-xr-x", "-rw-r--r--", "Lrwxrwxrwx", "urwxr-xr-x" (setuid), "?---------" (unknown type).
std::string GoModeString(const DirEntry& e);

}  // namespace ferry::snapshot
