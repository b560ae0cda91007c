// Volumes in standalone mode (control-plane spec §9.5): what CSI drivers and provisioners do in a
// cluster, done on local paths. A volume is a directory (volumeMode Filesystem) or a block device
// node / image file (volumeMode Block).
//
// Snapshot drivers (a VolumeSnapshotClass's `driver`):
//   ferry.local/reflink  point-in-time copy sharing the data blocks: FICLONE of every file of a
//                        directory, or of the whole image file of a Block volume. Needs XFS
//                        (mkfs.xfs -m reflink=1) or btrfs, with the snapshot root on the same
//                        filesystem as the volume; a block device node cannot be reflinked.
//   ferry.local/copy     a full copy: directories with modes, owners, mtimes and symlinks (hard
//                        links become separate files, xattrs and ACLs are not copied); Block
//                        volumes into a sparse image file. Works on any filesystem.
//   ferry.local/live     no copy: the snapshot is the volume itself, for volumes the user has
//                        quiesced. Deleting it never touches the volume.
//
// Provisioner ferry.local/hostpath: a new empty directory, or a sparse image file of the
// requested size, under a root directory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::volume {

enum class VolumeMode { kFilesystem, kBlock };

// "Filesystem" (also the default for "") or "Block", as PersistentVolume.spec.volumeMode.
Result<VolumeMode> ParseVolumeMode(std::string_view text);
std::string_view VolumeModeName(VolumeMode mode);

inline constexpr std::string_view kReflinkDriver = "ferry.local/reflink";
inline constexpr std::string_view kCopyDriver = "ferry.local/copy";
inline constexpr std::string_view kLiveDriver = "ferry.local/live";
inline constexpr std::string_view kHostPathProvisioner = "ferry.local/hostpath";

bool IsSnapshotDriver(std::string_view driver);

// A snapshot as the exposer hands it to the data path: where to read it from.
struct SnapshotHandle {
  std::string path;         // directory (Filesystem) or image file / device (Block) to back up
  std::string driver;
  VolumeMode mode = VolumeMode::kFilesystem;
  std::string source_path;  // the volume it was taken of
  bool owns_copy = false;   // path is a copy DeleteSnapshot removes (false for live)
  int64_t size_bytes = 0;   // bytes of file data (Filesystem) or of the device/image (Block)
};

// Takes a snapshot of `source_path` into `<snapshot_root>/<name>` (a directory for Filesystem
// volumes, an image file for Block). The snapshot root is created if missing; an existing
// `<snapshot_root>/<name>` is AlreadyExists. A failed snapshot leaves nothing behind.
// Errors name the driver and the path; an unknown driver lists the known ones.
Result<SnapshotHandle> TakeSnapshot(std::string_view driver, const std::string& source_path, VolumeMode mode,
                                    const std::string& snapshot_root, const std::string& name);

// Removes a snapshot's copy (OK when already gone). Never removes the live volume.
Status DeleteSnapshot(const SnapshotHandle& handle);

struct ProvisionedVolume {
  std::string path;
  VolumeMode mode = VolumeMode::kFilesystem;
  int64_t size_bytes = 0;
};

// ferry.local/hostpath: creates `<root>/<name>`: an empty directory (Filesystem; size_bytes is
// recorded, not enforced) or a sparse image file of exactly size_bytes (Block; > 0). An existing
// path is AlreadyExists.
Result<ProvisionedVolume> Provision(const std::string& root, const std::string& name, VolumeMode mode,
                                    int64_t size_bytes);
// Removes what Provision created (OK when already gone).
Status DeleteProvisioned(const ProvisionedVolume& volume);

// Size of a Block volume: a block device's size (BLKGETSIZE64) or an image file's length.
Result<int64_t> BlockVolumeSize(const std::string& path);
// Bytes of regular-file data under a directory (what a Filesystem backup reads).
Result<int64_t> DirectoryDataSize(const std::string& path);
// The filesystem `path` is on, by name ("xfs", "btrfs", "ext4", "tmpfs", "overlay", ...).
std::string FilesystemTypeName(const std::string& path);

}  // namespace ferry::volume
