// Helpers of the backend suite (backend_suite_test.cc) and the S3 fault snapshot test
// (s3_snapshot_fault_test.cc): generated trees, a byte-for-byte and metadata comparison of two
// trees, SHA-256 of files, and the S3 prefix clean-up.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "blob/storage.h"

namespace ferry::snapshot::testing {

namespace fs = std::filesystem;

inline constexpr int64_t kNanos = 1'000'000'000;

// Sets atime and mtime (of a symlink itself, not its target); negative times are before 1970.
inline void SetMtime(const fs::path& p, int64_t mtime_ns) {
  int64_t sec = mtime_ns / kNanos, nsec = mtime_ns % kNanos;
  if (nsec < 0) {
    sec -= 1;
    nsec += kNanos;
  }
  timespec ts[2] = {{static_cast<time_t>(sec), static_cast<long>(nsec)},
                    {static_cast<time_t>(sec), static_cast<long>(nsec)}};
  ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0) << p;
}

// Deterministic pseudo-random bytes (xorshift; fast enough for hundreds of MB).
inline void FillRandom(char* out, size_t n, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out + i, &x, 8);
  }
  for (; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x);
  }
}

inline std::string RandomString(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  FillRandom(s.data(), n, seed);
  return s;
}

// Writes `size` random bytes (written in 1 MiB pieces, so any size fits in memory).
inline void WriteRandomFile(const fs::path& p, int64_t size, uint64_t seed, mode_t mode = 0644,
                            int64_t mtime_ns = 1665532800123456789) {
  fs::create_directories(p.parent_path());
  int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << p;
  std::string buf(1 << 20, '\0');
  for (int64_t off = 0; off < size; off += int64_t(buf.size())) {
    size_t n = static_cast<size_t>(std::min<int64_t>(int64_t(buf.size()), size - off));
    FillRandom(buf.data(), n, seed * 1000003 + uint64_t(off >> 20));
    ASSERT_EQ(::write(fd, buf.data(), n), ssize_t(n)) << p;
  }
  ::close(fd);
  ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  SetMtime(p, mtime_ns);
}

inline void WriteStringFile(const fs::path& p, const std::string& data, mode_t mode = 0644,
                            int64_t mtime_ns = 1665532800123456789) {
  fs::create_directories(p.parent_path());
  int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << p;
  ASSERT_EQ(::write(fd, data.data(), data.size()), ssize_t(data.size())) << p;
  ::close(fd);
  ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  SetMtime(p, mtime_ns);
}

// Lower-case hex SHA-256 of a file's bytes ("" if it cannot be read).
inline std::string FileSha256(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  ssize_t n;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) EVP_DigestUpdate(ctx, buf.data(), size_t(n));
  ::close(fd);
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  if (n < 0) return "";
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

// What a restore must reproduce of one entry.
struct EntryRecord {
  char type = '?';  // d, f, l
  mode_t mode = 0;  // permission bits incl. setuid/setgid/sticky
  int64_t mtime_ns = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t size = 0;
  std::string sha256;  // files
  std::string target;  // symlinks

  friend bool operator==(const EntryRecord&, const EntryRecord&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const EntryRecord& r) {
  return os << r.type << " mode=" << std::oct << r.mode << std::dec << " mtime=" << r.mtime_ns
            << " uid=" << r.uid << " gid=" << r.gid << " size=" << r.size << " sha256=" << r.sha256
            << " target=" << r.target;
}

// Every entry under `root` (and root itself as "."), by relative path. Directory sizes are not
// compared (they depend on the filesystem).
inline std::map<std::string, EntryRecord> DescribeTree(const fs::path& root) {
  std::map<std::string, EntryRecord> out;
  auto describe = [&](const fs::path& p, const std::string& rel) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      ADD_FAILURE() << "lstat " << p;
      return;
    }
    EntryRecord r;
    r.mode = st.st_mode & 07777;
    r.mtime_ns = int64_t(st.st_mtim.tv_sec) * kNanos + st.st_mtim.tv_nsec;  // also < 0
    r.uid = st.st_uid;
    r.gid = st.st_gid;
    if (S_ISDIR(st.st_mode)) {
      r.type = 'd';
    } else if (S_ISREG(st.st_mode)) {
      r.type = 'f';
      r.size = st.st_size;
      r.sha256 = FileSha256(p);
    } else if (S_ISLNK(st.st_mode)) {
      r.type = 'l';
      r.mode = 0;  // Linux symlinks are always 0777 and cannot be chmod'ed
      r.target = fs::read_symlink(p).string();
    }
    out[rel] = r;
  };
  describe(root, ".");
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    describe(it->path(), it->path().lexically_relative(root).string());  // no symlink resolving
  }
  return out;
}

// Fails the test with one line per difference. Returns the number of entries compared.
inline size_t ExpectSameTree(const fs::path& want_root, const fs::path& got_root) {
  auto want = DescribeTree(want_root);
  auto got = DescribeTree(got_root);
  for (const auto& [path, w] : want) {
    auto it = got.find(path);
    if (it == got.end()) {
      ADD_FAILURE() << "missing in the restore: " << path;
      continue;
    }
    EXPECT_EQ(it->second, w) << path;
  }
  for (const auto& [path, g] : got) {
    if (!want.contains(path)) ADD_FAILURE() << "not in the source: " << path;
  }
  EXPECT_EQ(got.size(), want.size());
  return want.size();
}

// Removes every blob under the storage's location (keeps the shared moto server small).
inline void DeleteAllBlobs(blob::Storage* storage) {
  auto all = storage->ListAllBlobs("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  for (const auto& b : *all) EXPECT_TRUE(storage->DeleteBlob(b.id).ok()) << b.id;
}

}  // namespace ferry::snapshot::testing
