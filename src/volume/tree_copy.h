// Copying trees and files for the snapshot drivers (internal to the volume layer).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace ferry::volume {

enum class DataCopy {
  kReflink,  // FICLONE: share the source's blocks (XFS reflink=1, btrfs)
  kCopy,     // copy the bytes, keeping holes
};

// Copies the directory tree `source` to `target` (which must not exist): directories, regular
// files, symlinks, FIFOs and (as root) device nodes, with modes, owners (as root), atimes and
// mtimes; directories get theirs after their contents. Hard links become separate files;
// sockets are skipped. *data_bytes gets the bytes of regular-file data. The first error stops
// the copy and is returned (the caller removes the partial target).
Status CopyTree(const std::string& source, const std::string& target, DataCopy how, int64_t* data_bytes);

// Copies a block device or image file into a new sparse image file `target` (blocks of zeros
// become holes), or reflinks an image file. Returns the size.
Result<int64_t> CopyBlockVolume(const std::string& source, const std::string& target, DataCopy how);

// The message for a failed FICLONE of `source` (errno `err`): which filesystems support reflink
// and what `source` is on.
Status ReflinkError(const std::string& source, const std::string& target, int err);

}  // namespace ferry::volume
