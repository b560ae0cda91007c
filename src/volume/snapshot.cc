// The ferry.local snapshot drivers.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "volume/tree_copy.h"
#include "volume/volume.h"

namespace ferry::volume {

namespace {

namespace fs = std::filesystem;

Status CheckName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return Status::InvalidArgument("invalid snapshot name \"" + name + "\" (one path component)");
  }
  return Status::OK();
}

// Reflink needs support in the filesystem that holds the copies: probe it with two small files,
// so that a tree without regular files does not "succeed" on ext4.
Status ProbeReflink(const std::string& source, const std::string& dir) {
  std::string a = dir + "/.ferry-reflink-probe-a." + std::to_string(::getpid());
  std::string b = dir + "/.ferry-reflink-probe-b." + std::to_string(::getpid());
  int fa = ::open(a.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int fb = fa >= 0 ? ::open(b.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
  Status s;
  if (fa < 0 || fb < 0) {
    s = Status::IOError("cannot write in snapshot directory " + dir + ": " + std::strerror(errno));
  } else {
    char block[4096] = {1};
    if (::write(fa, block, sizeof(block)) != ssize_t(sizeof(block))) {
      s = Status::IOError("cannot write in snapshot directory " + dir);
    } else if (::ioctl(fb, FICLONE, fa) != 0) {
      int err = errno;
      // Name the volume's filesystem when it is the one without reflink, else the target's.
      std::string where = FilesystemTypeName(source) == FilesystemTypeName(dir) ? source : dir;
      s = ReflinkError(where, dir, err);
    }
  }
  if (fa >= 0) ::close(fa);
  if (fb >= 0) ::close(fb);
  ::unlink(a.c_str());
  ::unlink(b.c_str());
  return s;
}

}  // namespace

bool IsSnapshotDriver(std::string_view driver) {
  return driver == kReflinkDriver || driver == kCopyDriver || driver == kLiveDriver;
}

Result<SnapshotHandle> TakeSnapshot(std::string_view driver, const std::string& source_path, VolumeMode mode,
                                    const std::string& snapshot_root, const std::string& name) {
  if (!IsSnapshotDriver(driver)) {
    return Status::InvalidArgument("unknown snapshot driver \"" + std::string(driver) + "\" (ferry.local/reflink, " +
                                   "ferry.local/copy or ferry.local/live)");
  }
  struct stat st;
  if (::stat(source_path.c_str(), &st) != 0) {
    return Status::NotFound("volume " + source_path + " does not exist: " + std::strerror(errno));
  }
  if (mode == VolumeMode::kFilesystem && !S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("volume " + source_path + " is not a directory (volumeMode Filesystem)");
  }
  if (mode == VolumeMode::kBlock && !S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("volume " + source_path +
                                   " is neither a block device nor an image file (volumeMode Block)");
  }

  SnapshotHandle h;
  h.driver = std::string(driver);
  h.mode = mode;
  h.source_path = source_path;
  if (driver == kLiveDriver) {
    h.path = source_path;
    h.owns_copy = false;
    if (mode == VolumeMode::kBlock) {
      FERRY_ASSIGN_OR_RETURN(h.size_bytes, BlockVolumeSize(source_path));
    } else {
      FERRY_ASSIGN_OR_RETURN(h.size_bytes, DirectoryDataSize(source_path));
    }
    return h;
  }

  FERRY_RETURN_IF_ERROR(CheckName(name));
  std::error_code ec;
  fs::create_directories(snapshot_root, ec);
  if (ec) return Status::IOError("cannot create snapshot directory " + snapshot_root + ": " + ec.message());
  h.path = (fs::path(snapshot_root) / name).string();
  if (fs::exists(fs::symlink_status(h.path, ec))) return Status::AlreadyExists("snapshot " + h.path + " already exists");
  h.owns_copy = true;
  DataCopy how = driver == kReflinkDriver ? DataCopy::kReflink : DataCopy::kCopy;
  if (how == DataCopy::kReflink && !(mode == VolumeMode::kBlock && S_ISBLK(st.st_mode))) {
    FERRY_RETURN_IF_ERROR(ProbeReflink(source_path, snapshot_root));
  }

  Status s;
  if (mode == VolumeMode::kFilesystem) {
    s = CopyTree(source_path, h.path, how, &h.size_bytes);
  } else {
    auto size = CopyBlockVolume(source_path, h.path, how);
    if (size.ok()) h.size_bytes = *size;
    s = size.status();
  }
  if (!s.ok()) {
    if (s.code() != StatusCode::kAlreadyExists) fs::remove_all(h.path, ec);
    return s.WithContext(std::string(driver) + " snapshot of " + source_path);
  }
  return h;
}

Status DeleteSnapshot(const SnapshotHandle& handle) {
  if (!handle.owns_copy || handle.driver == kLiveDriver) return Status::OK();
  if (handle.path.empty() || handle.path == handle.source_path) {
    return Status::InvalidArgument("refusing to delete " + handle.path + ": it is the volume, not a copy");
  }
  std::error_code ec;
  fs::remove_all(handle.path, ec);
  if (ec) return Status::IOError("cannot delete snapshot " + handle.path + ": " + ec.message());
  return Status::OK();
}

}  // namespace ferry::volume
