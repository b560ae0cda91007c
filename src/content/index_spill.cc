#include "content/index_spill.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ferry::content {

namespace {

Status SpillError(const std::string& what, const std::string& dir, int err) {
  return Status::IOError(what + " index spill file in " + dir + ": " + std::strerror(err));
}

}  // namespace

Result<std::shared_ptr<IndexSpillFile>> IndexSpillFile::Create(const std::string& dir_arg, size_t min_entries) {
  std::string dir = dir_arg;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = tmp && *tmp ? tmp : "/tmp";
  }
  int fd = -1;
#ifdef O_TMPFILE
  fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
  if (fd < 0) {
    // No O_TMPFILE (older kernels, some file systems): a named file, unlinked at once.
    std::string path = dir + "/ferry-index-XXXXXX";
    fd = ::mkstemp(path.data());
    if (fd < 0) return SpillError("cannot create an", dir, errno);
    ::unlink(path.c_str());
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  return std::shared_ptr<IndexSpillFile>(new IndexSpillFile(fd, std::move(dir), min_entries));
}

IndexSpillFile::~IndexSpillFile() { ::close(fd_); }

Result<uint64_t> IndexSpillFile::Append(ByteView data) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t at = end_;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, off_t(at + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return SpillError("cannot write the", dir_, errno);
    }
    done += size_t(n);
  }
  end_ = at + data.size();
  return at;
}

Status IndexSpillFile::ReadAt(uint64_t offset, MutableByteView out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, off_t(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return SpillError("cannot read the", dir_, errno);
    }
    if (n == 0) return Status::Internal("index spill file in " + dir_ + " is shorter than what was written to it");
    done += size_t(n);
  }
  return Status::OK();
}

uint64_t IndexSpillFile::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_;
}

}  // namespace ferry::content
