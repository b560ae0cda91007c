// Filesystem storage: a repository in a local (or mounted network) directory, laid out exactly as
// kopia's repo/blob/filesystem does so that `kopia repository connect filesystem` opens it.
//
// Layout: blob ID -> <root>/<shard dirs>/<rest of ID>.f, sharded by <root>/.shards (see
// sharding.h). Writes go to "<final>.tmp.<16 hex random>", are fsync'ed and renamed into place, so
// a reader sees the old blob or the new one, never a partial file. Directories are created on
// demand. Listing walks the shard tree and reports only files ending in ".f"; the blob timestamp
// is the file's mtime (nanoseconds).
//
// Thread-safe: the sharding parameters are fixed at open, every operation is a few independent
// system calls, and rename(2) makes concurrent puts of the same ID last-writer-wins.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "blob/sharding.h"
#include "blob/storage.h"

namespace ferry::blob {

struct FilesystemOptions {
  // Create the directory (and parents) if it does not exist. When the directory is new or empty
  // and has no `.shards`, it gets kopia's current layout ([1,3]) and a `.shards` saying so.
  // Without this flag a missing directory is NotFound.
  bool create_if_missing = false;

  // Permission bits of blob files and of directories ferry creates (kopia: 0600 / 0700).
  // Applied exactly (the umask does not narrow them).
  mode_t file_mode = 0600;
  mode_t dir_mode = 0700;

  // fsync each blob file before renaming it into place (HEAD kopia does). Only tests that
  // measure something else should turn this off.
  bool sync_writes = true;

  // When sync_writes is off: whether Sync() flushes the filesystem (syncfs). Off means no
  // durability beyond the page cache (what kopia 0.12.1 does); for benchmarks and tests.
  bool sync_on_request = true;

  // Blobs whose IDs start with one of these are never rewritten in place once written (kopia's
  // packs: a fresh random ID each), so a read may keep their file open for the next read of the
  // same blob (a restore reads many small contents from a few packs). Puts and deletes through
  // this store drop the open file first.
  std::vector<std::string> keep_open_prefixes = {"p", "q"};
};

// Opens the repository directory `path`.
//
// Sharding: read from `<path>/.shards` (Corruption if malformed). If it is missing: a directory
// this call created, or an empty one opened with create_if_missing, gets ShardingParameters::
// Default(); any other directory is an existing repository from before `.shards` existed and gets
// ShardingParameters::Legacy() ([3,3]), as kopia does. In both cases the chosen parameters are
// written to `.shards` (best effort for the legacy case: a read-only repository stays readable).
//
// Errors: NotFound (directory missing, message names the path), InvalidArgument (path exists but
// is not a directory), Corruption (bad `.shards`), IOError.
Result<std::unique_ptr<Storage>> OpenFilesystemStorage(const std::string& path,
                                                       const FilesystemOptions& options);

// OpenFilesystemStorage with create_if_missing = true.
Result<std::unique_ptr<Storage>> CreateFilesystemStorage(const std::string& path,
                                                         FilesystemOptions options = {});

}  // namespace ferry::blob
