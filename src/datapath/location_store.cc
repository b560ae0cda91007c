// LocationStore: plain objects in a backup storage location, beside its repositories.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "blob/s3_config.h"
#include "blob/s3_storage.h"
#include "datapath/datapath.h"
#include "datapath/session.h"

namespace ferry::datapath {

namespace {

namespace fs = std::filesystem;

// Keys are relative paths: not empty, no leading '/', no empty, "." or ".." segment, so that no
// key can name something outside the location's root.
Status ValidateKey(const std::string& key) {
  if (key.empty()) return Status::InvalidArgument("an object key must not be empty");
  if (key.front() == '/') return Status::InvalidArgument("object key \"" + key + "\" must be relative");
  size_t start = 0;
  while (start <= key.size()) {
    size_t slash = key.find('/', start);
    if (slash == std::string::npos) slash = key.size();
    std::string seg = key.substr(start, slash - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return Status::InvalidArgument("object key \"" + key + "\" has an empty, . or .. segment");
    }
    start = slash + 1;
  }
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') {
      return Status::InvalidArgument("object key \"" + key + "\" has a control character or a backslash");
    }
  }
  return Status::OK();
}

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  return err == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
}

class FilesystemLocationStore final : public LocationStore {
 public:
  explicit FilesystemLocationStore(fs::path root) : root_(std::move(root)) {}

  Status Put(const std::string& key, const std::string& data) override {
    FERRY_RETURN_IF_ERROR(ValidateKey(key));
    fs::path path = root_ / key;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return Status::IOError("cannot create " + path.parent_path().string() + ": " + ec.message());
    // Written beside and renamed into place, so a reader sees the old object or the new one.
    std::string tmp = path.string() + ".tmp." + std::to_string(std::random_device{}());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus("cannot write", tmp, errno);
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::write(fd, data.data() + off, data.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return ErrnoStatus("cannot write", tmp, err);
      }
      off += size_t(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus("cannot write", tmp, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus("cannot rename into", path.string(), err);
    }
    return Status::OK();
  }

  Result<std::string> Get(const std::string& key) override {
    FERRY_RETURN_IF_ERROR(ValidateKey(key));
    fs::path path = root_ / key;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      if (errno == ENOENT || !fs::exists(path)) return Status::NotFound(key + " not found in " + root_.string());
      return ErrnoStatus("cannot read", path.string(), errno);
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  Result<std::vector<std::string>> List(const std::string& key_prefix) override {
    std::vector<std::string> keys;
    std::error_code ec;
    if (!fs::exists(root_, ec)) return keys;
    for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      std::string rel = fs::relative(it->path(), root_).generic_string();
      if (rel.find(".tmp.") != std::string::npos) continue;  // a Put in progress
      if (rel.starts_with(key_prefix)) keys.push_back(std::move(rel));
    }
    if (ec) return Status::IOError("cannot list " + root_.string() + ": " + ec.message());
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  Status Delete(const std::string& key) override {
    FERRY_RETURN_IF_ERROR(ValidateKey(key));
    fs::path path = root_ / key;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot delete", path.string(), errno);
    // Empty directories left behind ("backups/<name>/") go too, up to the root.
    for (fs::path dir = path.parent_path(); dir != root_ && dir.string().size() > root_.string().size();
         dir = dir.parent_path()) {
      if (::rmdir(dir.c_str()) != 0) break;
    }
    return Status::OK();
  }

 private:
  fs::path root_;
};

class S3LocationStore final : public LocationStore {
 public:
  explicit S3LocationStore(std::unique_ptr<blob::S3Storage> s3) : s3_(std::move(s3)) {}

  Status Put(const std::string& key, const std::string& data) override {
    FERRY_RETURN_IF_ERROR(ValidateKey(key));
    return s3_->PutObject(key, AsBytes(data));
  }
  Result<std::string> Get(const std::string& key) override {
    FERRY_RETURN_IF_ERROR(ValidateKey(key));
    FERRY_ASSIGN_OR_RETURN(Bytes b, s3_->GetObject(key));
    return std::string(AsString(b));
  }
  Result<std::vector<std::string>> List(const std::string& key_prefix) override {
    return s3_->ListObjectKeys(key_prefix);
  }
  Status Delete(const std::string& key) override {
    FERRY_RETURN_IF_ERROR(ValidateKey(key));
    return s3_->DeleteObject(key);
  }

 private:
  std::unique_ptr<blob::S3Storage> s3_;
};

}  // namespace

Result<std::unique_ptr<LocationStore>> LocationStore::Open(const std::map<std::string, std::string>& storage) {
  std::map<std::string, std::string> config = NormalizeStorageConfig(storage);
  std::string type = config.count("type") ? config.at("type") : "";
  if (type == "filesystem") {
    std::string path = config.count("path") ? config.at("path") : "";
    if (path.empty()) return Status::InvalidArgument("a filesystem location needs a path");
    std::error_code ec;
    if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
      return Status::InvalidArgument("location path " + path + " is not a directory");
    }
    return std::unique_ptr<LocationStore>(new FilesystemLocationStore(fs::path(path)));
  }
  if (type == "s3") {
    // The BSL prefix names a directory: "velero" and "velero/" both mean keys under "velero/".
    if (auto& p = config["prefix"]; !p.empty() && p.back() != '/') p += '/';
    FERRY_ASSIGN_OR_RETURN(blob::S3Options o, blob::S3OptionsFromConfig(config));
    FERRY_ASSIGN_OR_RETURN(auto s3, blob::S3Storage::Open(std::move(o)));
    return std::unique_ptr<LocationStore>(new S3LocationStore(std::move(s3)));
  }
  return Status::Unsupported("location type '" + type + "' is not supported (filesystem or s3)");
}

}  // namespace ferry::datapath
