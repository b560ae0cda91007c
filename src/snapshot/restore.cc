#include "snapshot/restore.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "object/object_reader.h"
#include "snapshot/tree.h"
#include "snapshot/worker_queue.h"

namespace ferry::snapshot {
namespace {

constexpr size_t kBufferSize = size_t{1} << 20;
// Zero blocks of this size (aligned in the file) become holes with write_sparse_files.
constexpr int64_t kSparseBlock = 4096;
// Every level of the tree holds an open directory descriptor while it is being restored.
constexpr int kMaxDepth = 1024;
// A symlink target longer than this is not a real one (Linux allows 4095 bytes).
constexpr int64_t kMaxSymlinkTarget = 65536;
constexpr size_t kMaxRecordedErrors = 100;
// Files at least this large (or sparse) are given their size before their segments are written.
constexpr int64_t kPreallocateMinBytes = 1 << 20;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Status Errno(const std::string& what, int err = errno) {
  return Status::IOError(what + ": " + std::strerror(err));
}

bool IsAllZero(const uint8_t* p, size_t n) {
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

Status PwriteAll(int fd, const uint8_t* p, size_t n, int64_t offset, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno("writing " + path);
    }
    p += w;
    n -= size_t(w);
    offset += w;
  }
  return Status::OK();
}

// Writes the non-zero parts of data (file offset `offset`) into a file that already reads as
// zeros there: pieces cut at kSparseBlock boundaries that are all zero are skipped.
Status PwriteSparse(int fd, const uint8_t* data, size_t n, int64_t offset, const std::string& path) {
  size_t run_start = 0, run_end = 0;  // pending non-zero run [run_start, run_end)
  size_t off = 0;
  while (off < n) {
    size_t to_boundary = size_t(kSparseBlock - (offset + int64_t(off)) % kSparseBlock);
    size_t piece_end = std::min(n, off + to_boundary);
    if (IsAllZero(data + off, piece_end - off)) {
      if (run_end > run_start) {
        FERRY_RETURN_IF_ERROR(PwriteAll(fd, data + run_start, run_end - run_start, offset + int64_t(run_start), path));
      }
      run_start = run_end = piece_end;
    } else {
      if (run_end != off) run_start = off;
      run_end = piece_end;
    }
    off = piece_end;
  }
  if (run_end > run_start) {
    FERRY_RETURN_IF_ERROR(PwriteAll(fd, data + run_start, run_end - run_start, offset + int64_t(run_start), path));
  }
  return Status::OK();
}

// `ignore` names one entry that does not count (e.g. lost+found at a volume's root).
Result<bool> IsEmptyDirectory(int dir_fd, const std::string& path, const char* ignore = nullptr) {
  int dup = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return Errno("reading " + path);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return Errno("reading " + path);
  }
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0 &&
        (!ignore || std::strcmp(e->d_name, ignore) != 0)) {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

timespec ToTimespec(UnixTime t) {
  timespec ts{};
  ts.tv_sec = time_t(t.seconds);
  ts.tv_nsec = long(t.nanos);
  return ts;
}

// The file descriptor limit is per process and restore holds one descriptor per open directory
// level and per queued file; the soft limit is often far below the hard one.
void RaiseFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 1 << 16);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

struct DirNode {
  UniqueFd fd;
  std::string path;
  DirEntry entry;
  bool apply_attributes = true;
  std::shared_ptr<DirNode> parent;
  // One for the walker (until it has gone through every entry) plus one per file, symlink or
  // subdirectory still being restored below it; the node is finalized when this reaches 0.
  std::atomic<int> pending{1};
};

struct FileJob {
  UniqueFd fd;
  DirEntry entry;
  object::ObjectId oid;
  std::string path;
  std::shared_ptr<DirNode> parent;  // null for a streamed file
  bool sparse = false;
  bool apply_attributes = true;
  bool sync = false;
  std::atomic<int> remaining{0};
  std::atomic<bool> failed{false};
};

class Restorer {
 public:
  Restorer(const object::ObjectManager& objects, const RestoreOptions& options, std::string target)
      : objects_(objects), options_(options), target_(std::move(target)), is_root_(::geteuid() == 0) {
    while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
  }

  Result<RestoreStats> Run(const DirEntry& root);

 private:
  Status RestoreTree(const DirEntry& root, DirectoryManifest dir, bool root_attributes);
  Status StreamFile(const DirEntry& entry, const std::string& path, bool apply_attributes);
  // A single file entry into the existing directory target_, created like a tree's files.
  Status RestoreFileInto(const DirEntry& entry);
  Result<UniqueFd> OpenTargetRoot();
  Result<UniqueFd> OpenSubdirectory(int parent_fd, const std::string& name, const std::string& path);
  Result<UniqueFd> CreateFile(int dir_fd, const std::string& name, const std::string& path);
  Status CreateSymlink(int dir_fd, const DirEntry& e, const std::string& path);
  // Replaces an existing non-directory `name` when `overwrite`, else explains what to do.
  Status MakeRoom(int dir_fd, const std::string& name, const std::string& path, bool overwrite);
  Status StartFile(std::shared_ptr<FileJob> job);
  void WriteSegment(const std::shared_ptr<FileJob>& job, int64_t start, int64_t end, bool check_length);
  void FinishFile(FileJob& job);
  void Release(std::shared_ptr<DirNode> node);
  Status ApplyAttributes(int fd, const DirEntry& e, const std::string& path);
  // True when a syscall's result is an error to report (see ignore_permission_errors).
  bool Fails(int rc) const;
  // Records an error. Returns OK when errors are ignored, else the error (and stops the restore).
  Status Report(const Status& s);
  bool stopped() const {
    return stop_.load(std::memory_order_relaxed) || (options_.cancel && options_.cancel->load(std::memory_order_relaxed));
  }
  RestoreProgress Snapshot() const;
  void ProgressLoop();

  const object::ObjectManager& objects_;
  const RestoreOptions options_;
  std::string target_;
  const bool is_root_;
  int64_t total_bytes_ = -1, total_files_ = -1;

  std::atomic<bool> stop_{false};
  std::atomic<int64_t> bytes_{0}, files_{0}, dirs_{0}, symlinks_{0}, skipped_{0}, ignored_{0};
  std::mutex mu_;
  Status first_error_;
  std::vector<std::string> errors_;

  std::mutex progress_mu_;
  std::condition_variable progress_cv_;
  bool finished_ = false;

  // Last: destroyed first, so that no job outlives the state it uses.
  std::unique_ptr<WorkerQueue> pool_;
};

Status Restorer::Report(const Status& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.ignore_errors) {
    ignored_++;
    if (errors_.size() < kMaxRecordedErrors) errors_.push_back(s.message());
    return Status::OK();
  }
  if (first_error_.ok()) first_error_ = s;
  stop_ = true;
  return s;
}

RestoreProgress Restorer::Snapshot() const {
  RestoreProgress p;
  p.bytes_done = bytes_.load();
  p.total_bytes = total_bytes_;
  p.files_done = files_.load();
  p.total_files = total_files_;
  p.directories = dirs_.load();
  p.symlinks = symlinks_.load();
  p.errors = ignored_.load();
  return p;
}

void Restorer::ProgressLoop() {
  std::unique_lock<std::mutex> lock(progress_mu_);
  while (!finished_) {
    progress_cv_.wait_for(lock, std::chrono::milliseconds(std::max(options_.progress_interval_ms, 10)));
    if (finished_) break;
    lock.unlock();
    options_.progress(Snapshot());
    lock.lock();
  }
}

Result<RestoreStats> Restorer::Run(const DirEntry& root) {
  RaiseFileLimit();
  size_t threads = options_.parallel > 0 ? size_t(options_.parallel) : WorkerQueue::DefaultParallelism();
  pool_ = std::make_unique<WorkerQueue>(threads, 2 * threads + 16);
  if (root.summary) {
    total_bytes_ = root.summary->total_size;
    total_files_ = root.summary->files;
  } else if (root.is_file()) {
    total_bytes_ = root.size;
    total_files_ = 1;
  }
  std::thread progress_thread;
  if (options_.progress) progress_thread = std::thread([this] { ProgressLoop(); });

  bool streamed = false;
  Status s;
  if (root.is_dir()) {
    auto dir = ReadDirectory(objects_, root);
    struct stat st {};
    bool exists = ::stat(target_.c_str(), &st) == 0;
    int stat_errno = errno;
    bool streaming = dir.ok() && IsStreamingSnapshot(root, *dir);
    bool stream = false;
    if (options_.mode == RestoreMode::kStream) {
      stream = true;
    } else if (options_.mode == RestoreMode::kAuto) {
      stream = exists ? (S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)) : (stat_errno == ENOENT && streaming);
    }
    if (!dir.ok()) {
      s = dir.status().WithContext("restoring " + target_);
    } else if (stream) {
      if (dir->entries.size() != 1 || !dir->entries[0].is_file()) {
        s = Status::InvalidArgument(target_ + " is " + (exists && S_ISBLK(st.st_mode) ? "a block device" : "a file") +
                                    " but the snapshot is a directory tree (" + std::to_string(dir->entries.size()) +
                                    " entries), not a block/streaming snapshot of one file; restore it into a directory");
      } else {
        streamed = true;
        s = StreamFile(dir->entries[0], target_, /*apply_attributes=*/false);
      }
    } else {
      // A streaming snapshot's root metadata is made up (mode 0777, Go's zero time): keep the
      // target's own when it is restored as a tree.
      s = RestoreTree(root, std::move(*dir), options_.restore_root_attributes && !streaming);
    }
  } else if (root.is_file()) {
    struct stat st {};
    if (::stat(target_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      s = RestoreFileInto(root);
    } else {
      s = StreamFile(root, target_, options_.restore_root_attributes);
    }
  } else if (root.is_symlink()) {
    std::filesystem::path p(target_);
    UniqueFd parent(::open(p.has_parent_path() ? p.parent_path().c_str() : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (parent.get() < 0) {
      s = Errno("opening the directory of " + target_);
    } else {
      DirEntry e = root;
      e.name = p.filename().string();
      s = CreateSymlink(parent.get(), e, target_);
    }
  } else {
    s = Status::InvalidArgument("cannot restore an entry of unknown type '" + std::string(1, root.type) + "'");
  }
  if (!s.ok()) {
    // Setting up (the target, the root directory, the one streamed file) failed: nothing to go
    // on with, whatever ignore_errors says.
    std::lock_guard<std::mutex> lock(mu_);
    if (first_error_.ok()) first_error_ = s;
    stop_ = true;
  }
  pool_->Wait();

  if (progress_thread.joinable()) {
    {
      std::lock_guard<std::mutex> lock(progress_mu_);
      finished_ = true;
    }
    progress_cv_.notify_all();
    progress_thread.join();
    options_.progress(Snapshot());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!first_error_.ok()) return first_error_;
  }
  if (options_.cancel && options_.cancel->load()) return Status::Cancelled("restore to " + target_ + " cancelled");
  RestoreStats stats;
  stats.files = files_;
  stats.directories = dirs_;
  stats.symlinks = symlinks_;
  stats.bytes = bytes_;
  stats.skipped = skipped_;
  stats.ignored_errors = ignored_;
  stats.owners_skipped = !is_root_ && !options_.skip_owners;
  stats.streamed = streamed;
  stats.errors = errors_;
  return stats;
}

Result<UniqueFd> Restorer::OpenTargetRoot() {
  std::error_code ec;
  std::filesystem::create_directories(target_, ec);
  if (ec) return Status::IOError("creating " + target_ + ": " + ec.message());
  // The target itself is the user's choice: a symlink there is followed on purpose.
  UniqueFd fd(::open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOTDIR) return Status::AlreadyExists(target_ + " exists and is not a directory");
    return Errno("opening " + target_);
  }
  if (!options_.overwrite_directories) {
    FERRY_ASSIGN_OR_RETURN(bool empty, IsEmptyDirectory(fd.get(), target_, "lost+found"));
    if (!empty) {
      return Status::AlreadyExists(target_ + " is not empty; use --overwrite-directories to restore into it");
    }
  }
  return fd;
}

Status Restorer::MakeRoom(int dir_fd, const std::string& name, const std::string& path, bool overwrite) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Errno("checking " + path);
  if (S_ISDIR(st.st_mode)) return Status::AlreadyExists(path + " exists and is a directory");
  if (!overwrite) {
    return Status::AlreadyExists(path + " already exists; use --overwrite-files to replace it");
  }
  // Unlink rather than truncate: a hard link to a file outside the target must not be written.
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0) return Errno("removing " + path);
  return Status::OK();
}

Result<UniqueFd> Restorer::OpenSubdirectory(int parent_fd, const std::string& name, const std::string& path) {
  const mode_t create_mode = options_.skip_permissions ? 0777 : 0700;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::mkdirat(parent_fd, name.c_str(), create_mode) != 0 && errno != EEXIST) {
      return Errno("creating directory " + path);
    }
    UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() >= 0) {
      if (!options_.overwrite_directories) {
        FERRY_ASSIGN_OR_RETURN(bool empty, IsEmptyDirectory(fd.get(), path));
        if (!empty) {
          return Status::AlreadyExists(path + " is a non-empty directory; use --overwrite-directories to restore into it");
        }
      }
      return fd;
    }
    if (errno != ELOOP && errno != ENOTDIR) return Errno("opening directory " + path);
    // A symlink (never followed) or a file is where the directory goes.
    if (!options_.overwrite_directories) {
      return Status::AlreadyExists(path + " exists and is not a directory (a symlink is never followed); "
                                   "use --overwrite-directories to replace it");
    }
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0) return Errno("removing " + path);
  }
  return Status::IOError("could not create directory " + path + ": it keeps reappearing");
}

Result<UniqueFd> Restorer::CreateFile(int dir_fd, const std::string& name, const std::string& path) {
  const mode_t create_mode = options_.skip_permissions ? 0666 : 0600;
  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode));
    if (fd.get() >= 0) return fd;
    if (errno != EEXIST) return Errno("creating " + path);
    FERRY_RETURN_IF_ERROR(MakeRoom(dir_fd, name, path, options_.overwrite_files));
  }
  return Status::IOError("could not create " + path + ": it keeps reappearing");
}

bool Restorer::Fails(int rc) const {
  return rc != 0 && !(options_.ignore_permission_errors && (errno == EPERM || errno == EACCES));
}

Status Restorer::ApplyAttributes(int fd, const DirEntry& e, const std::string& path) {
  // chown first: it clears setuid/setgid bits that chmod then sets.
  if (is_root_ && !options_.skip_owners && Fails(::fchown(fd, e.uid, e.gid))) return Errno("setting the owner of " + path);
  if (!options_.skip_permissions && Fails(::fchmod(fd, e.PosixMode()))) return Errno("setting the mode of " + path);
  if (!options_.skip_times) {
    timespec ts[2] = {ToTimespec(e.mtime), ToTimespec(e.mtime)};
    if (Fails(::futimens(fd, ts))) return Errno("setting the modification time of " + path);
  }
  return Status::OK();
}

Status Restorer::CreateSymlink(int dir_fd, const DirEntry& e, const std::string& path) {
  auto oid = object::ObjectId::Parse(e.object_id);
  if (!oid.ok()) return oid.status().WithContext(path);
  auto reader = objects_.Open(*oid);
  if (!reader.ok()) return reader.status().WithContext("reading the target of symlink " + path);
  if (reader->Length() > kMaxSymlinkTarget) {
    return Status::Corruption("symlink " + path + " has a " + std::to_string(reader->Length()) + "-byte target");
  }
  std::string target(size_t(reader->Length()), '\0');
  auto got = reader->Read(MutableByteView(reinterpret_cast<uint8_t*>(target.data()), target.size()));
  if (!got.ok()) return got.status().WithContext("reading the target of symlink " + path);
  if (target.empty() || target.find('\0') != std::string::npos) {
    return Status::Corruption("symlink " + path + " has an empty target or one with a NUL byte");
  }
  for (int attempt = 0;; ++attempt) {
    if (::symlinkat(target.c_str(), dir_fd, e.name.c_str()) == 0) break;
    if (errno != EEXIST || attempt > 0) return Errno("creating symlink " + path);
    FERRY_RETURN_IF_ERROR(MakeRoom(dir_fd, e.name, path, options_.overwrite_files));
  }
  if (is_root_ && !options_.skip_owners && Fails(::fchownat(dir_fd, e.name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW))) {
    return Errno("setting the owner of symlink " + path);
  }
  // Linux has no symlink permissions to set.
  if (!options_.skip_times) {
    timespec ts[2] = {ToTimespec(e.mtime), ToTimespec(e.mtime)};
    if (Fails(::utimensat(dir_fd, e.name.c_str(), ts, AT_SYMLINK_NOFOLLOW))) {
      return Errno("setting the modification time of symlink " + path);
    }
  }
  symlinks_++;
  return Status::OK();
}

Status Restorer::StartFile(std::shared_ptr<FileJob> job) {
  auto oid = object::ObjectId::Parse(job->entry.object_id);
  if (!oid.ok() || oid->empty()) return Status::Corruption(job->path + ": invalid object ID '" + job->entry.object_id + "'");
  job->oid = *oid;
  const int64_t size = job->entry.size;
  if (size < 0) return Status::Corruption(job->path + ": negative size " + std::to_string(size));

  // Segments: large indirect objects are cut at chunk boundaries, so no chunk is read twice.
  std::vector<std::pair<int64_t, int64_t>> segments;
  bool size_checked = false;
  const int64_t segment_size = options_.segment_size > 0 ? options_.segment_size : int64_t{64} << 20;
  if (size >= 2 * segment_size && job->oid.is_indirect()) {
    auto list = object::LoadIndirectList(objects_.content_manager(), job->oid.IndexObjectId());
    if (!list.ok()) return list.status().WithContext("reading object " + job->entry.object_id + " of " + job->path);
    if (list->back().end() != size) {
      return Status::Corruption(job->path + ": object " + job->entry.object_id + " has " +
                                std::to_string(list->back().end()) + " bytes but its entry records " + std::to_string(size));
    }
    size_checked = true;
    int64_t seg_start = 0;
    for (const auto& c : *list) {
      if (c.end() - seg_start >= segment_size) {
        segments.emplace_back(seg_start, c.end());
        seg_start = c.end();
      }
    }
    if (seg_start < size) segments.emplace_back(seg_start, size);
  } else {
    segments.emplace_back(0, size);
  }

  // Extend to the final size: holes for sparse files, allocated blocks otherwise. A block
  // device already has its size. Sizes not yet checked against the object are not allocated
  // beyond one segment, so a crafted entry cannot make us allocate terabytes. A small file that
  // is not sparse is simply written (its one pwrite sets its size): the fstat and the
  // fallocate cost more than they save (a tree of small files, 3 of ~16 syscalls per file).
  struct stat st {};
  const bool small = size < kPreallocateMinBytes && !job->sparse;
  if (!small && ::fstat(job->fd.get(), &st) != 0) return Errno("checking " + job->path);
  if (!small && S_ISREG(st.st_mode) && size > 0) {
    if (job->sparse || (!size_checked && size > segment_size)) {
      if (::ftruncate(job->fd.get(), size) != 0) return Errno("extending " + job->path);
    } else if (int err = ::posix_fallocate(job->fd.get(), 0, size); err != 0) {
      if (err != EOPNOTSUPP && err != ENOSYS && err != EINVAL) return Errno("allocating " + job->path, err);
      if (::ftruncate(job->fd.get(), size) != 0) return Errno("extending " + job->path);
    }
  }

  if (job->parent) job->parent->pending++;
  job->remaining = int(segments.size());
  for (const auto& [start, end] : segments) {
    pool_->Submit([this, job, start = start, end = end, check = !size_checked] { WriteSegment(job, start, end, check); });
  }
  return Status::OK();
}

void Restorer::WriteSegment(const std::shared_ptr<FileJob>& job, int64_t start, int64_t end, bool check_length) {
  Status s = [&]() -> Status {
    if (stopped() || job->failed) return Status::OK();
    auto reader = objects_.Open(job->oid);
    if (!reader.ok()) return reader.status().WithContext("restoring " + job->path);
    if (check_length && reader->Length() != job->entry.size) {
      return Status::Corruption(job->path + ": object " + job->entry.object_id + " has " + std::to_string(reader->Length()) +
                                " bytes but its entry records " + std::to_string(job->entry.size));
    }
    FERRY_RETURN_IF_ERROR(reader->Seek(start));
    thread_local Bytes buffer(kBufferSize);
    int64_t pos = start;
    while (pos < end && !stopped() && !job->failed) {
      size_t want = size_t(std::min<int64_t>(int64_t(buffer.size()), end - pos));
      auto got = reader->Read(MutableByteView(buffer.data(), want));
      if (!got.ok()) return got.status().WithContext("restoring " + job->path);
      if (*got != want) {
        return Status::Corruption(job->path + ": object " + job->entry.object_id + " ended at offset " +
                                  std::to_string(pos + int64_t(*got)));
      }
      if (job->sparse) {
        FERRY_RETURN_IF_ERROR(PwriteSparse(job->fd.get(), buffer.data(), want, pos, job->path));
      } else {
        FERRY_RETURN_IF_ERROR(PwriteAll(job->fd.get(), buffer.data(), want, pos, job->path));
      }
      pos += int64_t(want);
      bytes_ += int64_t(want);
    }
    return Status::OK();
  }();
  if (!s.ok()) {
    job->failed = true;
    (void)Report(s);
  }
  if (--job->remaining == 0) FinishFile(*job);
}

void Restorer::FinishFile(FileJob& job) {
  Status s;
  if (!job.failed && !stopped()) {
    if (job.apply_attributes) s = ApplyAttributes(job.fd.get(), job.entry, job.path);
    if (s.ok() && job.sync && ::fsync(job.fd.get()) != 0) s = Errno("flushing " + job.path);
    if (s.ok()) files_++;
  }
  job.fd.reset();
  if (!s.ok()) (void)Report(s);
  if (job.parent) Release(std::move(job.parent));
}

void Restorer::Release(std::shared_ptr<DirNode> node) {
  while (node && node->pending.fetch_sub(1) == 1) {
    if (node->apply_attributes && !stopped()) {
      Status s = ApplyAttributes(node->fd.get(), node->entry, node->path);
      if (!s.ok()) (void)Report(s);
    }
    node->fd.reset();
    node = std::move(node->parent);
  }
}

Status Restorer::RestoreTree(const DirEntry& root, DirectoryManifest root_dir, bool root_attributes) {
  FERRY_ASSIGN_OR_RETURN(UniqueFd root_fd, OpenTargetRoot());
  auto root_node = std::make_shared<DirNode>();
  root_node->fd = std::move(root_fd);
  root_node->path = target_;
  root_node->entry = root;
  root_node->apply_attributes = root_attributes;
  dirs_++;

  struct Frame {
    std::shared_ptr<DirNode> node;
    DirectoryManifest dir;
    size_t next = 0;
    int depth = 0;
  };
  std::vector<Frame> stack;
  stack.push_back(Frame{root_node, std::move(root_dir), 0, 0});
  root_node.reset();
  while (!stack.empty() && !stopped()) {
    Frame& top = stack.back();
    if (top.next == top.dir.entries.size()) {
      Release(std::move(top.node));
      stack.pop_back();
      continue;
    }
    const DirEntry e = top.dir.entries[top.next++];
    const std::shared_ptr<DirNode> node = top.node;  // `top` dies if the stack grows
    const int depth = top.depth;
    const std::string path = node->path + "/" + e.name;
    Status s;
    if (!IsSafeEntryName(e.name)) {
      s = Status::Corruption("directory " + node->path + " (object " + node->entry.object_id +
                             ") has an entry with the unsafe name '" + e.name + "'; refusing to restore it");
    } else if (e.is_dir()) {
      if (depth + 1 > kMaxDepth) {
        s = Status::Corruption(path + " is nested more than " + std::to_string(kMaxDepth) + " directories deep");
      } else if (auto fd = OpenSubdirectory(node->fd.get(), e.name, path); !fd.ok()) {
        s = fd.status();
      } else {
        auto child = std::make_shared<DirNode>();
        child->fd = std::move(*fd);
        child->path = path;
        child->entry = e;
        child->parent = node;
        node->pending++;
        dirs_++;
        auto dir = ReadDirectory(objects_, e);
        if (!dir.ok()) {
          s = dir.status().WithContext("restoring " + path);
          Release(std::move(child));
        } else {
          stack.push_back(Frame{std::move(child), std::move(*dir), 0, depth + 1});
        }
      }
    } else if (e.is_file()) {
      auto job = std::make_shared<FileJob>();
      job->entry = e;
      job->path = path;
      job->sparse = options_.write_sparse_files;
      if (auto fd = CreateFile(node->fd.get(), e.name, path); !fd.ok()) {
        s = fd.status();
      } else {
        job->fd = std::move(*fd);
        job->parent = node;
        s = StartFile(std::move(job));
      }
    } else if (e.is_symlink()) {
      s = CreateSymlink(node->fd.get(), e, path);
    } else {
      skipped_++;
    }
    if (!s.ok() && !Report(s).ok()) break;
  }
  // After a stop: let go of the directories still open (their attributes are not applied).
  while (!stack.empty()) {
    Release(std::move(stack.back().node));
    stack.pop_back();
  }
  return Status::OK();
}

Status Restorer::RestoreFileInto(const DirEntry& entry) {
  if (!IsSafeEntryName(entry.name)) {
    return Status::Corruption("refusing to restore a file with the unsafe name '" + entry.name + "'");
  }
  UniqueFd dir(::open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return Errno("opening " + target_);
  auto job = std::make_shared<FileJob>();
  job->entry = entry;
  job->path = JoinPath(target_, entry.name);
  job->apply_attributes = options_.restore_root_attributes;
  job->sparse = options_.write_sparse_files;
  FERRY_ASSIGN_OR_RETURN(job->fd, CreateFile(dir.get(), entry.name, job->path));
  return StartFile(std::move(job));
}

Status Restorer::StreamFile(const DirEntry& entry, const std::string& path, bool apply_attributes) {
  auto job = std::make_shared<FileJob>();
  job->entry = entry;
  job->path = path;
  job->apply_attributes = apply_attributes;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISBLK(st.st_mode)) {
      job->fd = UniqueFd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
      if (job->fd.get() < 0) return Errno("opening block device " + path);
      uint64_t device_size = 0;
      if (::ioctl(job->fd.get(), BLKGETSIZE64, &device_size) != 0) return Errno("getting the size of " + path);
      if (device_size < uint64_t(entry.size)) {
        return Status::InvalidArgument("block device " + path + " has " + std::to_string(device_size) +
                                       " bytes, the image to restore has " + std::to_string(entry.size));
      }
      job->sync = true;
      job->apply_attributes = false;  // a device node keeps its own owner and mode
    } else if (S_ISREG(st.st_mode)) {
      if (st.st_size > 0 && !options_.overwrite_files) {
        return Status::AlreadyExists(path + " already exists; use --overwrite-files to replace it");
      }
      job->fd = UniqueFd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
      if (job->fd.get() < 0) return Errno("opening " + path);
      if (::ftruncate(job->fd.get(), 0) != 0) return Errno("truncating " + path);
      job->sparse = options_.write_sparse_files;
    } else {
      return Status::InvalidArgument(path + " is neither a block device, a regular file nor a directory");
    }
  } else if (errno == ENOENT) {
    std::filesystem::path p(path);
    std::error_code ec;
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return Status::IOError("creating " + p.parent_path().string() + ": " + ec.message());
    mode_t mode = (apply_attributes && !options_.skip_permissions) ? 0600 : 0666;
    job->fd = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (job->fd.get() < 0) return Errno("creating " + path);
    job->sparse = options_.write_sparse_files;
  } else {
    return Errno("checking " + path);
  }
  return StartFile(std::move(job));
}

}  // namespace

bool IsStreamingSnapshot(const DirEntry& root, const DirectoryManifest& dir) {
  if (dir.entries.size() != 1 || !dir.entries[0].is_file()) return false;
  // kopia 0.12.1 gives the stdin root Go's zero time pushed through UnixNano.
  constexpr UnixTime kKopiaStdinRootTime{-6795364579, 128654848};
  return root.name.find('/') != std::string::npos || root.mtime == kKopiaStdinRootTime;
}

Result<RestoreStats> Restore(const object::ObjectManager& objects, const DirEntry& root, const std::string& target,
                             const RestoreOptions& options) {
  if (target.empty()) return Status::InvalidArgument("no restore target given");
  Restorer r(objects, options, target);
  return r.Run(root);
}

}  // namespace ferry::snapshot
