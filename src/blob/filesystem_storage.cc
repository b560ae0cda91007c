#include "blob/filesystem_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

namespace ferry::blob {

namespace {

constexpr std::string_view kStorageType = "filesystem";

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// Maps an errno from a blob-file operation to a Status. Missing files are handled by callers
// (they know the blob ID); a name the filesystem refuses as too long is the caller's input.
Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string msg = std::string(what) + " " + path + ": " + ErrnoText(err);
  if (err == ENAMETOOLONG) return Status::InvalidArgument(std::move(msg));
  return Status::IOError(std::move(msg));
}

bool IsMissing(int err) { return err == ENOENT || err == ENOTDIR; }

int64_t MtimeNanos(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string OctalMode(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// 16 lowercase hex characters, like kopia's "%x" of 8 random bytes. Uniqueness (not secrecy) is
// what matters: two writers of the same blob must not share a temp file.
std::string RandomSuffix() {
  uint8_t raw[8];
  ssize_t n = getrandom(raw, sizeof(raw), 0);
  if (n != static_cast<ssize_t>(sizeof(raw))) {
    thread_local std::mt19937_64 fallback{std::random_device{}()};
    uint64_t v = fallback();
    std::memcpy(raw, &v, sizeof(raw));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (size_t i = 0; i < sizeof(raw); ++i) {
    out[2 * i] = kHex[raw[i] >> 4];
    out[2 * i + 1] = kHex[raw[i] & 0xf];
  }
  return out;
}

Status WriteAll(int fd, ByteView data, const std::string& path) {
  const uint8_t* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    // Linux writes at most ~2 GiB per call; chunking also keeps partial-write handling simple.
    ssize_t n = ::write(fd, p, std::min<size_t>(left, size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::OK();
}

// RAII for a file descriptor; close errors on the read path carry no information.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the error (NFS reports write errors at close).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Files of blobs that are never rewritten in place (FilesystemOptions::keep_open_prefixes), kept
// open after a read with their size, most recently used first: a restore reads thousands of small
// contents from the same few packs, and an open, fstat and close of the pack for each was 3 of
// ~13 system calls per restored file. A put or delete through this store drops the entry once
// done; a file unlinked by another process stays readable through the open descriptor (its bytes
// cannot have changed: such blobs are written once, under a fresh ID).
class OpenFileCache {
 public:
  struct File {
    std::shared_ptr<Fd> fd;
    int64_t size = 0;
  };
  static constexpr size_t kCapacity = 16;

  // The open file of `path`, if kept; *generation gets what Insert needs for a file opened now.
  std::optional<File> Find(const std::string& path, uint64_t* generation) {
    std::lock_guard<std::mutex> lock(mu_);
    *generation = generation_;
    for (auto it = files_.begin(); it != files_.end(); ++it) {
      if (it->first == path) {
        files_.splice(files_.begin(), files_, it);
        return files_.front().second;
      }
    }
    return std::nullopt;
  }
  // The generation changes with every Erase: a reader that opened a file before a put or delete
  // of it finished (generation taken by Find, before the open) does not keep that file.
  void Insert(const std::string& path, File file, uint64_t generation) {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation != generation_) return;
    for (const auto& [p, f] : files_) {
      if (p == path) return;  // another reader was first
    }
    files_.emplace_front(path, std::move(file));
    if (files_.size() > kCapacity) files_.pop_back();
  }
  void Erase(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
    files_.remove_if([&](const auto& e) { return e.first == path; });
  }

 private:
  std::mutex mu_;
  uint64_t generation_ = 0;
  std::list<std::pair<std::string, File>> files_;  // a few entries: a list scan is enough
};

class DirCloser {
 public:
  explicit DirCloser(DIR* d) : d_(d) {}
  DirCloser(const DirCloser&) = delete;
  DirCloser& operator=(const DirCloser&) = delete;
  ~DirCloser() {
    if (d_ != nullptr) ::closedir(d_);
  }

 private:
  DIR* d_;
};

// Calls fn(dfd, entry) for every entry of `dir` but "." and "..", dfd being the directory's fd
// (for fstatat/unlinkat). A missing `dir` is OK when missing_ok (a shard directory removed
// meanwhile holds nothing); fn's error ends the listing.
Status ForEachDirEntry(const std::string& dir, bool missing_ok,
                       const std::function<Status(int dfd, const struct dirent& e)>& fn) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (missing_ok && IsMissing(errno)) return Status::OK();
    return ErrnoStatus("cannot list directory", dir, errno);
  }
  DirCloser closer(d);
  const int dfd = ::dirfd(d);
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) return ErrnoStatus("cannot list directory", dir, errno);
      return Status::OK();
    }
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    FERRY_RETURN_IF_ERROR(fn(dfd, *e));
  }
}

class FilesystemStorage final : public Storage {
 public:
  FilesystemStorage(std::string root, ShardingParameters sharding, FilesystemOptions options)
      : root_(std::move(root)), sharding_(std::move(sharding)), options_(options) {}

  std::string DisplayName() const override { return "Filesystem: " + root_; }

  // syncfs(2) on the repository's filesystem: one call makes every blob written so far durable,
  // which costs far less than an fsync per pack when many packs are written.
  Status DoSync() override {
    if (options_.sync_writes || !options_.sync_on_request) return Status::OK();  // already / never
    int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", root_, errno);
    int rc = ::syncfs(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus("cannot sync", root_, err);
    return Status::OK();
  }

  std::map<std::string, std::string> Config() const override {
    return {{"type", std::string(kStorageType)},
            {"path", root_},
            {"fileMode", OctalMode(options_.file_mode)},
            {"dirMode", OctalMode(options_.dir_mode)}};
  }

  // Writes `data` to root/dirs.../file via a temp file and rename. Used for blobs and `.shards`.
  Status WriteAtomically(const std::vector<std::string>& dirs, const std::string& final_path,
                         ByteView data) const {
    FERRY_ASSIGN_OR_RETURN(auto created, CreateTempFile(dirs, final_path));
    Fd fd(created.first);
    const std::string& tmp = created.second;
    Status s = WriteAll(fd.get(), data, tmp);
    if (s.ok()) s = CloseAndRename(fd, tmp, final_path);
    if (!s.ok()) ::unlink(tmp.c_str());
    return s;
  }

  // Creates "<final_path>.tmp.<16 hex>" (and the shard directories if missing) with the blob
  // file mode; returns its descriptor and path.
  Result<std::pair<int, std::string>> CreateTempFile(const std::vector<std::string>& dirs,
                                                     const std::string& final_path) const {
    std::string tmp = final_path + ".tmp." + RandomSuffix();
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
    int raw = ::open(tmp.c_str(), kFlags, options_.file_mode);
    if (raw < 0 && errno == ENOENT && !dirs.empty()) {
      // Only now create the shard directories: the common case (directory exists) costs no
      // extra system call, and nothing ever removes shard directories, so no cache is needed.
      FERRY_RETURN_IF_ERROR(MakeDirs(dirs));
      raw = ::open(tmp.c_str(), kFlags, options_.file_mode);
    }
    if (raw < 0) return ErrnoStatus("cannot create", tmp, errno);
    if (::fchmod(raw, options_.file_mode) != 0) {
      Status s = ErrnoStatus("cannot set mode of", tmp, errno);
      ::close(raw);
      ::unlink(tmp.c_str());
      return s;
    }
    return std::make_pair(raw, std::move(tmp));
  }

  // Completes a temp file whose bytes are all written: fsync (in "blob" sync mode), close (NFS
  // reports write errors there), rename into place. The caller unlinks tmp on error.
  Status CloseAndRename(Fd& fd, const std::string& tmp, const std::string& final_path) const {
    if (options_.sync_writes && ::fsync(fd.get()) != 0) return ErrnoStatus("cannot sync", tmp, errno);
    // "flush" mode: start writing the finished blob to the disk now, without waiting for it, so
    // that the disk works while the next packs are made and Sync()'s syncfs waits only for the
    // last ones (left to the kernel, writeback of a backup's packs starts ~30 s later or when
    // dirty memory fills, and syncfs then waits for all of it). Only a hint: errors are Sync()'s.
    if (!options_.sync_writes && options_.sync_on_request) {
      (void)::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    }
    if (fd.Close() != 0) return ErrnoStatus("cannot close", tmp, errno);
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      return ErrnoStatus("cannot rename temporary file to", final_path, errno);
    }
    open_files_.Erase(final_path);  // after the rename: see OpenFileCache::Insert
    return Status::OK();
  }

  std::string PathOf(const std::vector<std::string>& dirs, const std::string& file) const {
    std::string path = root_;
    for (const std::string& d : dirs) {
      path.push_back('/');
      path += d;
    }
    path.push_back('/');
    path += file;
    return path;
  }

  bool streams_writes() const override { return true; }

 protected:
  // Writes go straight to the blob's temp file (pwrite), which Commit renames into place exactly as
  // PutBlob does (same sync modes), so a pack never needs to be whole in memory.
  Result<std::unique_ptr<BlobWriter>> DoNewBlobWriter(std::string_view id, const PutOptions& /*options*/) override;

  Status DoPutBlob(std::string_view id, ByteView data, const PutOptions& /*options*/) override {
    // Retention options are S3 object lock; a plain directory has nothing to apply them to.
    FERRY_ASSIGN_OR_RETURN(auto location, Locate(id));
    return WriteAtomically(location.first, PathOf(location.first, location.second), data)
        .WithContext("writing blob " + std::string(id));
  }

  Status DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) override {
    FERRY_ASSIGN_OR_RETURN(auto location, Locate(id));
    const std::string path = PathOf(location.first, location.second);
    const bool keep_open = KeepsOpen(id);
    std::optional<OpenFileCache::File> file;
    uint64_t generation = 0;
    if (keep_open) file = open_files_.Find(path, &generation);
    if (!file) {
      int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (raw < 0) {
        if (IsMissing(errno)) return BlobNotFound(id);
        return ErrnoStatus("cannot open", path, errno);
      }
      file.emplace();
      file->fd = std::make_shared<Fd>(raw);
      struct stat st;
      if (::fstat(raw, &st) != 0) return ErrnoStatus("cannot stat", path, errno);
      if (!S_ISREG(st.st_mode)) return BlobNotFound(id);
      file->size = static_cast<int64_t>(st.st_size);
      if (keep_open) open_files_.Insert(path, *file, generation);
    }
    const Fd& fd = *file->fd;
    FERRY_ASSIGN_OR_RETURN(int64_t n, ResolveRange(id, file->size, offset, length));
    out->resize(static_cast<size_t>(n));
    size_t done = 0;
    while (done < out->size()) {
      ssize_t r = ::pread(fd.get(), out->data() + done, out->size() - done,
                          static_cast<off_t>(offset) + static_cast<off_t>(done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot read", path, errno);
      }
      // Blobs are replaced by rename, so an open file never shrinks unless someone truncates it
      // behind our back.
      if (r == 0)
        return Status::IOError("blob " + std::string(id) + " shrank while reading " + path);
      done += static_cast<size_t>(r);
    }
    return Status::OK();
  }

  Result<BlobMetadata> DoGetMetadata(std::string_view id) override {
    FERRY_ASSIGN_OR_RETURN(auto location, Locate(id));
    const std::string path = PathOf(location.first, location.second);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (IsMissing(errno)) return BlobNotFound(id);
      return ErrnoStatus("cannot stat", path, errno);
    }
    if (!S_ISREG(st.st_mode)) return BlobNotFound(id);
    return BlobMetadata{std::string(id), static_cast<int64_t>(st.st_size), MtimeNanos(st)};
  }

  Status DoDeleteBlob(std::string_view id) override {
    FERRY_ASSIGN_OR_RETURN(auto location, Locate(id));
    const std::string path = PathOf(location.first, location.second);
    const int rc = ::unlink(path.c_str());
    const int err = errno;
    open_files_.Erase(path);  // after the unlink: see OpenFileCache::Insert
    if (rc != 0 && !IsMissing(err)) return ErrnoStatus("cannot delete", path, err);
    return Status::OK();
  }

  Status DoListBlobs(std::string_view prefix, const ListCallback& callback) override {
    Status s = Walk(root_, "", prefix, callback, /*is_root=*/true);
    return s;
  }

  Result<TemporaryCleanup> DoDeleteStaleTemporaries(int64_t older_than_unix_nanos) override {
    TemporaryCleanup done;
    FERRY_RETURN_IF_ERROR(SweepTemporaries(root_, older_than_unix_nanos, &done));
    return done;
  }

 private:
  // Shard directories and file name of `id`. Refuses IDs whose shards would form "." (possible
  // only with 1-character shards after the first); ".." is excluded by ValidateBlobId.
  Result<std::pair<std::vector<std::string>, std::string>> Locate(std::string_view id) const {
    auto location = sharding_.Split(id);
    for (const std::string& d : location.first) {
      if (d == "." || d == "..") {
        return Status::InvalidArgument("blob ID " + std::string(id) +
                                       " cannot be stored with this repository's sharding");
      }
    }
    return location;
  }

  Status MakeDirs(const std::vector<std::string>& dirs) const {
    std::string path = root_;
    for (const std::string& d : dirs) {
      path.push_back('/');
      path += d;
      if (::mkdir(path.c_str(), options_.dir_mode) == 0) {
        // mkdir applies the umask; the configured mode is what kopia users expect to see.
        if (::chmod(path.c_str(), options_.dir_mode) != 0) {
          return ErrnoStatus("cannot set mode of", path, errno);
        }
      } else if (errno != EEXIST) {
        return ErrnoStatus("cannot create directory", path, errno);
      }
    }
    return Status::OK();
  }

  // "<name>.f.tmp.<16 lowercase hex>": a temp file CreateTempFile made.
  static bool IsTemporaryName(std::string_view name) {
    static constexpr std::string_view kMarker = ".tmp.";
    const size_t at = name.rfind(kMarker);
    if (at == std::string_view::npos || !name.substr(0, at).ends_with(kBlobFileSuffix)) return false;
    std::string_view suffix = name.substr(at + kMarker.size());
    return suffix.size() == 16 &&
           suffix.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  }

  // Unlinks the temp files under `dir` (recursively: shard directories) last modified before
  // `cutoff`. Anything else is left alone, whatever its name.
  Status SweepTemporaries(const std::string& dir, int64_t cutoff, TemporaryCleanup* done) const {
    return ForEachDirEntry(dir, /*missing_ok=*/dir != root_, [&](int dfd, const struct dirent& e) -> Status {
      std::string_view name = e.d_name;
      const bool temporary = IsTemporaryName(name);
      if (!temporary && e.d_type != DT_DIR && e.d_type != DT_UNKNOWN) return Status::OK();
      struct stat st;
      if (::fstatat(dfd, e.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (IsMissing(errno)) return Status::OK();
        return ErrnoStatus("cannot stat", dir + "/" + std::string(name), errno);
      }
      if (S_ISDIR(st.st_mode)) return SweepTemporaries(dir + "/" + std::string(name), cutoff, done);
      if (!temporary || !S_ISREG(st.st_mode) || MtimeNanos(st) >= cutoff) return Status::OK();
      if (::unlinkat(dfd, e.d_name, 0) != 0) {
        if (IsMissing(errno)) return Status::OK();  // its writer finished (renamed it) meanwhile
        return ErrnoStatus("cannot delete", dir + "/" + std::string(name), errno);
      }
      done->files++;
      done->bytes += int64_t(st.st_size);
      return Status::OK();
    });
  }

  // Lists `dir`, whose entries' names continue the blob ID `id_so_far`. Like kopia, descends into
  // every subdirectory whose accumulated name is compatible with `prefix`, and reports files
  // named "<rest>.f" as blob id_so_far + rest.
  Status Walk(const std::string& dir, const std::string& id_so_far, std::string_view prefix,
              const ListCallback& callback, bool is_root) const {
    // A shard directory removed while listing holds no blobs; the root must exist.
    return ForEachDirEntry(dir, /*missing_ok=*/!is_root, [&](int dfd, const struct dirent& e) -> Status {
      std::string_view name = e.d_name;
      const bool maybe_blob =
          name.size() > kBlobFileSuffix.size() && name.ends_with(kBlobFileSuffix);
      bool is_dir = e.d_type == DT_DIR;
      bool is_file = e.d_type == DT_REG;
      struct stat st;
      bool have_stat = false;
      if (e.d_type == DT_UNKNOWN) {
        if (::fstatat(dfd, e.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
          if (IsMissing(errno)) return Status::OK();  // deleted since readdir
          return ErrnoStatus("cannot stat", dir + "/" + std::string(name), errno);
        }
        have_stat = true;
        is_dir = S_ISDIR(st.st_mode);
        is_file = S_ISREG(st.st_mode);
      }

      if (is_dir) {
        std::string sub_id = id_so_far + std::string(name);
        bool match = prefix.size() > sub_id.size() ? prefix.starts_with(sub_id)
                                                   : std::string_view(sub_id).starts_with(prefix);
        if (!match) return Status::OK();
        return Walk(dir + "/" + std::string(name), sub_id, prefix, callback, /*is_root=*/false);
      }
      if (!is_file || !maybe_blob) return Status::OK();

      std::string id = id_so_far;
      id += name.substr(0, name.size() - kBlobFileSuffix.size());
      // Names ferry could not address (stray files) are not blobs of this repository.
      if (!std::string_view(id).starts_with(prefix) || !ValidateBlobId(id).ok()) return Status::OK();
      if (!have_stat) {
        if (::fstatat(dfd, e.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
          if (IsMissing(errno)) return Status::OK();
          return ErrnoStatus("cannot stat", dir + "/" + std::string(name), errno);
        }
        if (!S_ISREG(st.st_mode)) return Status::OK();
      }
      BlobMetadata m{std::move(id), static_cast<int64_t>(st.st_size), MtimeNanos(st)};
      return callback(m);
    });
  }

  bool KeepsOpen(std::string_view id) const {
    for (const std::string& prefix : options_.keep_open_prefixes) {
      if (!prefix.empty() && id.starts_with(prefix)) return true;
    }
    return false;
  }

  const std::string root_;
  const ShardingParameters sharding_;
  const FilesystemOptions options_;
  mutable OpenFileCache open_files_;
};

// Reads `<root>/.shards`. NotFound if absent.
Result<ShardingParameters> ReadShardsFile(const std::string& root) {
  const std::string path = root + "/" + std::string(kShardsFileName);
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return ErrnoStatus("cannot open", path, errno);
  }
  Fd fd(raw);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read", path, errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1 << 20)) return Status::Corruption(path + " is implausibly large");
  }
  auto parsed = ShardingParameters::Parse(text);
  if (!parsed.ok()) return parsed.status().WithContext("reading " + path);
  return parsed;
}

Result<bool> IsEmptyDirectory(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return ErrnoStatus("cannot list directory", path, errno);
  DirCloser closer(d);
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) return ErrnoStatus("cannot list directory", path, errno);
      return true;
    }
    std::string_view name = e->d_name;
    if (name != "." && name != "..") return false;
  }
}

// mkdir -p with `mode` on every directory created. Returns whether the last one was created.
Result<bool> MakeRootDirectory(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::path p(path);
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path cur = p; !cur.empty(); cur = cur.parent_path()) {
    if (std::filesystem::exists(cur, ec)) break;
    missing.push_back(cur);
    if (cur == cur.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), mode) != 0) {
      if (errno == EEXIST) continue;  // created concurrently
      return ErrnoStatus("cannot create directory", it->string(), errno);
    }
    if (::chmod(it->c_str(), mode) != 0)
      return ErrnoStatus("cannot set mode of", it->string(), errno);
  }
  return !missing.empty();
}

class FilesystemBlobWriter final : public BlobWriter {
 public:
  FilesystemBlobWriter(const FilesystemStorage* storage, std::string id, int fd, std::string tmp,
                       std::string final_path)
      : storage_(storage), id_(std::move(id)), fd_(fd), tmp_(std::move(tmp)), final_path_(std::move(final_path)) {}
  ~FilesystemBlobWriter() override {
    if (!committed_) {
      fd_.Close();
      ::unlink(tmp_.c_str());
    }
  }

  Status Write(int64_t offset, ByteView data) override {
    if (offset < 0) return Status::InvalidArgument("negative offset writing blob " + id_);
    if (committed_ || failed_) return Status::Internal("blob writer for " + id_ + " used after Commit or an error");
    const uint8_t* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      // pwrite: writers of disjoint ranges need no lock and no shared file position.
      ssize_t n = ::pwrite(fd_.get(), p, std::min<size_t>(left, size_t{1} << 30), off_t(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        failed_ = true;
        return ErrnoStatus("cannot write", tmp_, errno).WithContext("writing blob " + id_);
      }
      p += n;
      offset += n;
      left -= size_t(n);
    }
    return Status::OK();
  }

  Status Commit() override {
    if (committed_ || failed_) return Status::Internal("blob writer for " + id_ + " used after Commit or an error");
    Status s = storage_->CloseAndRename(fd_, tmp_, final_path_);
    if (!s.ok()) {
      failed_ = true;
      return s.WithContext("writing blob " + id_);
    }
    committed_ = true;
    return Status::OK();
  }

 private:
  const FilesystemStorage* storage_;
  std::string id_;
  Fd fd_;
  std::string tmp_;
  std::string final_path_;
  std::atomic<bool> committed_{false};
  std::atomic<bool> failed_{false};
};

Result<std::unique_ptr<BlobWriter>> FilesystemStorage::DoNewBlobWriter(std::string_view id, const PutOptions&) {
  FERRY_ASSIGN_OR_RETURN(auto location, Locate(id));
  const std::string final_path = PathOf(location.first, location.second);
  auto created = CreateTempFile(location.first, final_path);
  if (!created.ok()) return created.status().WithContext("writing blob " + std::string(id));
  return std::unique_ptr<BlobWriter>(std::make_unique<FilesystemBlobWriter>(
      this, std::string(id), created->first, std::move(created->second), final_path));
}

}  // namespace

Result<std::unique_ptr<Storage>> OpenFilesystemStorage(const std::string& path,
                                                       const FilesystemOptions& options) {
  if (path.empty()) return Status::InvalidArgument("empty filesystem repository path");
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) return Status::InvalidArgument("invalid repository path " + path + ": " + ec.message());
  std::string root = abs.lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();

  bool created = false;
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    if (!IsMissing(errno)) return ErrnoStatus("cannot access repository directory", root, errno);
    if (!options.create_if_missing) {
      return Status::NotFound("repository directory " + root + " does not exist");
    }
    FERRY_ASSIGN_OR_RETURN(created, MakeRootDirectory(root, options.dir_mode));
    if (::stat(root.c_str(), &st) != 0) {
      return ErrnoStatus("cannot access repository directory", root, errno);
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("repository path " + root + " is not a directory");
  }

  auto shards = ReadShardsFile(root);
  if (shards.ok()) {
    return std::unique_ptr<Storage>(new FilesystemStorage(root, std::move(*shards), options));
  }
  if (shards.status().code() != StatusCode::kNotFound) return shards.status();

  bool fresh = created;
  if (!fresh && options.create_if_missing) {
    FERRY_ASSIGN_OR_RETURN(fresh, IsEmptyDirectory(root));
  }
  ShardingParameters params = fresh ? ShardingParameters::Default() : ShardingParameters::Legacy();
  auto storage = std::make_unique<FilesystemStorage>(root, params, options);
  const std::string json = params.ToJson();
  Status written =
      storage->WriteAtomically({}, root + "/" + std::string(kShardsFileName), AsBytes(json));
  // Kopia only warns when it cannot record the legacy layout (read-only media); a new repository
  // without `.shards` would be read by kopia with the wrong layout, so that must fail.
  if (!written.ok() && fresh) return written.WithContext("writing sharding parameters");
  return std::unique_ptr<Storage>(std::move(storage));
}

Result<std::unique_ptr<Storage>> CreateFilesystemStorage(const std::string& path,
                                                         FilesystemOptions options) {
  options.create_if_missing = true;
  return OpenFilesystemStorage(path, options);
}

}  // namespace ferry::blob
