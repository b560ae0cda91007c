#include "volume/tree_copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "volume/volume.h"

namespace ferry::volume {

namespace {

constexpr size_t kBlockBuffer = 1 << 20;

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

Status Errno(const std::string& what, const std::string& path, int err = errno) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  if (err == EEXIST) return Status::AlreadyExists(msg);
  return Status::IOError(msg);
}

std::string Join(const std::string& a, const std::string& b) { return a + "/" + b; }

bool AllZero(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// Writes [offset, offset + length) of `in` to the same place in `out`.
Status CopyRange(int in, int out, int64_t offset, int64_t length, const std::string& path) {
  loff_t in_off = offset, out_off = offset;
  int64_t left = length;
  while (left > 0) {
    ssize_t n = ::copy_file_range(in, &in_off, out, &out_off, size_t(std::min<int64_t>(left, 1 << 30)), 0);
    if (n > 0) {
      left -= n;
      continue;
    }
    if (n == 0) break;  // the source shrank
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) {
      return Errno("cannot copy", path);
    }
    // Not supported between these files: plain reads and writes.
    std::vector<char> buf(kBlockBuffer);
    while (left > 0) {
      ssize_t r = ::pread(in, buf.data(), size_t(std::min<int64_t>(left, int64_t(buf.size()))), in_off);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Errno("cannot read", path);
      if (r == 0) break;
      ssize_t w = 0;
      while (w < r) {
        ssize_t k = ::pwrite(out, buf.data() + w, size_t(r - w), out_off + w);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return Errno("cannot write copy of", path);
        w += k;
      }
      in_off += r;
      out_off += r;
      left -= r;
    }
    break;
  }
  return Status::OK();
}

// Copies a regular file's data, keeping its holes (SEEK_DATA / SEEK_HOLE), then sets the size.
Status CopyFileData(int in, int out, int64_t size, const std::string& path) {
  int64_t pos = 0;
  while (pos < size) {
    off_t data = ::lseek(in, pos, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole is left
      data = pos;                 // SEEK_DATA unsupported: treat everything as data
      FERRY_RETURN_IF_ERROR(CopyRange(in, out, data, size - data, path));
      break;
    }
    off_t hole = ::lseek(in, data, SEEK_HOLE);
    if (hole < 0 || hole > size) hole = size;
    FERRY_RETURN_IF_ERROR(CopyRange(in, out, data, hole - data, path));
    pos = hole;
  }
  if (::ftruncate(out, size) != 0) return Errno("cannot size copy of", path);
  return Status::OK();
}

struct Copier {
  DataCopy how;
  bool as_root = ::geteuid() == 0;
  int64_t data_bytes = 0;
  std::string source_root;
  std::string target_root;

  // Owner, mode and times of `st` onto the open file or directory `fd`.
  Status Apply(int fd, const struct stat& st, const std::string& path) {
    if (as_root && ::fchown(fd, st.st_uid, st.st_gid) != 0) return Errno("cannot set owner of", path);
    if (::fchmod(fd, st.st_mode & 07777) != 0) return Errno("cannot set mode of", path);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(fd, times) != 0) return Errno("cannot set times of", path);
    return Status::OK();
  }

  Status CopyFile(int src_dir, int dst_dir, const char* name, const struct stat& st, const std::string& rel) {
    std::string src_path = Join(source_root, rel);
    Fd in(::openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in.ok()) return Errno("cannot open", src_path);
    std::string dst_path = Join(target_root, rel);
    Fd out(::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out.ok()) return Errno("cannot create", dst_path);
    if (how == DataCopy::kReflink) {
      if (::ioctl(out.get(), FICLONE, in.get()) != 0) return ReflinkError(src_path, dst_path, errno);
    } else {
      FERRY_RETURN_IF_ERROR(CopyFileData(in.get(), out.get(), st.st_size, src_path));
    }
    data_bytes += st.st_size;
    return Apply(out.get(), st, dst_path);
  }

  Status CopyOther(int src_dir, int dst_dir, const char* name, const struct stat& st, const std::string& rel) {
    std::string dst_path = Join(target_root, rel);
    if (S_ISLNK(st.st_mode)) {
      std::string target(size_t(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(src_dir, name, target.data(), target.size());
      if (n < 0) return Errno("cannot read link", Join(source_root, rel));
      target.resize(size_t(n));
      if (::symlinkat(target.c_str(), dst_dir, name) != 0) return Errno("cannot create link", dst_path);
    } else if (S_ISFIFO(st.st_mode)) {
      if (::mkfifoat(dst_dir, name, 0600) != 0) return Errno("cannot create fifo", dst_path);
    } else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && as_root) {
      if (::mknodat(dst_dir, name, st.st_mode & S_IFMT, st.st_rdev) != 0) return Errno("cannot create node", dst_path);
    } else {
      return Status::OK();  // sockets (and device nodes without root) are not copied
    }
    if (as_root && ::fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return Errno("cannot set owner of", dst_path);
    }
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dst_dir, name, st.st_mode & 07777, 0) != 0) {
      return Errno("cannot set mode of", dst_path);
    }
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) != 0) return Errno("cannot set times of", dst_path);
    return Status::OK();
  }

  // Copies the contents of src_dir into dst_dir; `rel` is their path below the roots.
  Status CopyDir(int src_dir, int dst_dir, const std::string& rel) {
    int listfd = ::dup(src_dir);
    DIR* d = listfd >= 0 ? ::fdopendir(listfd) : nullptr;
    if (!d) {
      if (listfd >= 0) ::close(listfd);
      return Errno("cannot list", Join(source_root, rel));
    }
    std::vector<std::string> names;
    while (struct dirent* de = ::readdir(d)) {
      std::string n = de->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    for (const auto& name : names) {
      std::string child = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed while we copy: not part of the snapshot
        return Errno("cannot stat", Join(source_root, child));
      }
      if (S_ISDIR(st.st_mode)) {
        std::string dst_path = Join(target_root, child);
        if (::mkdirat(dst_dir, name.c_str(), 0700) != 0) return Errno("cannot create directory", dst_path);
        Fd sub_src(::openat(src_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub_src.ok()) return Errno("cannot open directory", Join(source_root, child));
        Fd sub_dst(::openat(dst_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub_dst.ok()) return Errno("cannot open directory", dst_path);
        FERRY_RETURN_IF_ERROR(CopyDir(sub_src.get(), sub_dst.get(), child));
        FERRY_RETURN_IF_ERROR(Apply(sub_dst.get(), st, dst_path));
      } else if (S_ISREG(st.st_mode)) {
        FERRY_RETURN_IF_ERROR(CopyFile(src_dir, dst_dir, name.c_str(), st, child));
      } else {
        FERRY_RETURN_IF_ERROR(CopyOther(src_dir, dst_dir, name.c_str(), st, child));
      }
    }
    return Status::OK();
  }
};

}  // namespace

Status ReflinkError(const std::string& source, const std::string& target, int err) {
  if (err == EXDEV) {
    return Status::InvalidArgument("reflink snapshots need the snapshot directory on the same filesystem as the volume: " +
                                   source + " is on " + FilesystemTypeName(source) + ", " + target + " is elsewhere (" +
                                   FilesystemTypeName(target) + ")");
  }
  if (err == EOPNOTSUPP || err == ENOTTY || err == EINVAL || err == ENOSYS) {
    return Status::Unsupported("reflink snapshots need XFS (reflink=1) or btrfs; " + source + " is on " +
                               FilesystemTypeName(source) + " (use ferry.local/copy there)");
  }
  return Errno("cannot reflink", source, err);
}

Status CopyTree(const std::string& source, const std::string& target, DataCopy how, int64_t* data_bytes) {
  Fd src(::open(source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!src.ok()) return Errno("cannot open volume directory", source);
  struct stat st;
  if (::fstat(src.get(), &st) != 0) return Errno("cannot stat", source);
  if (::mkdir(target.c_str(), 0700) != 0) return Errno("cannot create snapshot directory", target);
  Fd dst(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dst.ok()) return Errno("cannot open", target);
  Copier c;
  c.how = how;
  c.source_root = source;
  c.target_root = target;
  FERRY_RETURN_IF_ERROR(c.CopyDir(src.get(), dst.get(), ""));
  FERRY_RETURN_IF_ERROR(c.Apply(dst.get(), st, target));
  if (data_bytes) *data_bytes = c.data_bytes;
  return Status::OK();
}

Result<int64_t> CopyBlockVolume(const std::string& source, const std::string& target, DataCopy how) {
  Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.ok()) {
    if (errno == EACCES) return Errno("cannot open (reading a block device needs root)", source);
    return Errno("cannot open", source);
  }
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return Errno("cannot stat", source);
  if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(source + " is neither a block device nor an image file");
  }
  if (how == DataCopy::kReflink && S_ISBLK(st.st_mode)) {
    return Status::InvalidArgument("reflink snapshots of Block volumes need an image file; " + source +
                                   " is a block device (use ferry.local/copy)");
  }
  FERRY_ASSIGN_OR_RETURN(int64_t size, BlockVolumeSize(source));
  Fd out(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out.ok()) return Errno("cannot create snapshot image", target);
  if (how == DataCopy::kReflink) {
    if (::ioctl(out.get(), FICLONE, in.get()) != 0) return ReflinkError(source, target, errno);
    return size;
  }
  if (S_ISREG(st.st_mode)) {
    FERRY_RETURN_IF_ERROR(CopyFileData(in.get(), out.get(), size, source));
    return size;
  }
  // A device: read it all; blocks of zeros become holes in the image.
  std::vector<char> buf(kBlockBuffer);
  int64_t off = 0;
  while (off < size) {
    ssize_t r = ::pread(in.get(), buf.data(), size_t(std::min<int64_t>(size - off, int64_t(buf.size()))), off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Errno("cannot read", source);
    if (r == 0) break;
    if (!AllZero(buf.data(), size_t(r))) {
      ssize_t w = 0;
      while (w < r) {
        ssize_t k = ::pwrite(out.get(), buf.data() + w, size_t(r - w), off + w);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return Errno("cannot write", target);
        w += k;
      }
    }
    off += r;
  }
  if (::ftruncate(out.get(), size) != 0 || ::fsync(out.get()) != 0) return Errno("cannot finish", target);
  return size;
}

}  // namespace ferry::volume
