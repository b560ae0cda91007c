// The ferry.local/hostpath provisioner and volume helpers.
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "volume/volume.h"

namespace ferry::volume {

namespace fs = std::filesystem;

Result<VolumeMode> ParseVolumeMode(std::string_view text) {
  if (text.empty() || text == "Filesystem") return VolumeMode::kFilesystem;
  if (text == "Block") return VolumeMode::kBlock;
  return Status::InvalidArgument("invalid volumeMode \"" + std::string(text) + "\" (Filesystem or Block)");
}

std::string_view VolumeModeName(VolumeMode mode) { return mode == VolumeMode::kBlock ? "Block" : "Filesystem"; }

Result<ProvisionedVolume> Provision(const std::string& root, const std::string& name, VolumeMode mode,
                                    int64_t size_bytes) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return Status::InvalidArgument("invalid volume name \"" + name + "\" (one path component)");
  }
  if (size_bytes < 0 || (mode == VolumeMode::kBlock && size_bytes == 0)) {
    return Status::InvalidArgument("a " + std::string(VolumeModeName(mode)) + " volume needs a positive size, not " +
                                   std::to_string(size_bytes));
  }
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::IOError("cannot create volume root " + root + ": " + ec.message());
  ProvisionedVolume v;
  v.path = (fs::path(root) / name).string();
  v.mode = mode;
  v.size_bytes = size_bytes;
  if (mode == VolumeMode::kFilesystem) {
    if (::mkdir(v.path.c_str(), 0777) != 0) {
      if (errno == EEXIST) return Status::AlreadyExists("volume " + v.path + " already exists");
      return Status::IOError("cannot create volume " + v.path + ": " + std::strerror(errno));
    }
    return v;
  }
  int fd = ::open(v.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists("volume " + v.path + " already exists");
    return Status::IOError("cannot create volume image " + v.path + ": " + std::strerror(errno));
  }
  bool ok = ::ftruncate(fd, size_bytes) == 0;  // sparse: no blocks until written
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(v.path.c_str());
    return Status::IOError("cannot size volume image " + v.path + ": " + std::strerror(err));
  }
  return v;
}

Status DeleteProvisioned(const ProvisionedVolume& volume) {
  if (volume.path.empty() || volume.path == "/") return Status::InvalidArgument("no volume path to delete");
  std::error_code ec;
  fs::remove_all(volume.path, ec);
  if (ec) return Status::IOError("cannot delete volume " + volume.path + ": " + ec.message());
  return Status::OK();
}

Result<int64_t> BlockVolumeSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound("cannot stat " + path + ": " + std::strerror(errno));
  if (S_ISREG(st.st_mode)) return int64_t(st.st_size);
  if (!S_ISBLK(st.st_mode)) return Status::InvalidArgument(path + " is neither a block device nor an image file");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  uint64_t bytes = 0;
  int rc = ::ioctl(fd, BLKGETSIZE64, &bytes);
  ::close(fd);
  if (rc != 0) return Status::IOError("cannot read the size of " + path);
  return int64_t(bytes);
}

Result<int64_t> DirectoryDataSize(const std::string& path) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code sec;
    auto st = it->symlink_status(sec);
    if (!sec && fs::is_regular_file(st)) total += int64_t(it->file_size(sec));
  }
  if (ec) return Status::IOError("cannot walk " + path + ": " + ec.message());
  return total;
}

std::string FilesystemTypeName(const std::string& path) {
  struct statfs s;
  std::string p = path;
  // A path that does not exist yet: ask its nearest existing parent.
  while (::statfs(p.c_str(), &s) != 0) {
    auto parent = fs::path(p).parent_path().string();
    if (parent.empty() || parent == p) return "an unknown filesystem";
    p = parent;
  }
  switch (static_cast<unsigned long>(s.f_type)) {
    case XFS_SUPER_MAGIC: return "xfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case EXT4_SUPER_MAGIC: return "ext4";
    case TMPFS_MAGIC: return "tmpfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlay";
    case NFS_SUPER_MAGIC: return "nfs";
    case 0x2fc12fc1: return "zfs";
    case 0x65735546: return "fuse";
    case 0xca451a4e: return "bcachefs";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof(hex), "filesystem type 0x%lx", static_cast<unsigned long>(s.f_type));
      return hex;
    }
  }
}

}  // namespace ferry::volume
