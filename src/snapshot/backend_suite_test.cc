// The repository and snapshot suite, once per storage backend: the same TEST_P bodies run on a
// filesystem repository and on an S3 repository in moto (one moto server per test process,
// started on first use; every test under its own key prefix, deleted again at the end). Everything
// goes through the public layers a user's run goes through: repo::InitializeRepository,
// repo::Repository::Open, Uploader, Restore, ListSnapshots / ManifestManager::Delete.
//
// "Reopen from scratch" means a new Storage object (a new S3Storage with its own connections, or
// the directory opened again) and a new Repository on it: nothing is carried over in memory.
//
// ctest runs the two backends as two entries (backend_suite_test.Filesystem / .S3); the S3 one
// fails, it does not skip, when python3 with moto is missing (see docs/s3.md).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "blob/filesystem_storage.h"
#include "blob/s3_storage.h"
#include "blob/testing/moto_server.h"
#include "cli/test_util.h"
#include "repo/repository.h"
#include "snapshot/backend_test_util.h"
#include "snapshot/restore.h"
#include "snapshot/snapshot_manifest.h"
#include "snapshot/uploader.h"
#include "snapshot/verify.h"

namespace ferry::snapshot {
namespace {

namespace fs = std::filesystem;
using blob::testing::MotoServer;
using ferry::testing::TempDir;
using namespace ferry::snapshot::testing;

enum class Backend { kFilesystem, kS3 };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kFilesystem ? "filesystem" : "s3";
}

constexpr const char* kPassword = "suite-passw0rd";
constexpr int64_t kBigFile = (9 << 20) + 12345;  // > 8 MiB: several chunks, an indirect object

// A tree with every entry kind: regular files of many sizes (0 B to > 8 MiB), empty files and
// directories, nested directories, symlinks (relative, absolute, to a directory, dangling),
// modes 0400..0755 and a setgid directory, nanosecond mtimes (also before 1970 and with
// .999999999), an owner other than root when running as root, names with spaces and UTF-8.
// Directory mtimes are set last, bottom-up, so they are what the tree records.
// Returns the number of regular files.
int MakeTree(const fs::path& root) {
  int files = 0;
  auto file = [&](const fs::path& rel, int64_t size, uint64_t seed, mode_t mode, int64_t mtime) {
    WriteRandomFile(root / rel, size, seed, mode, mtime);
    ++files;
  };
  int64_t t = 1665532800123456789;
  file("big/image.bin", kBigFile, 1, 0644, t + 1);
  file("big/four-mib.bin", 4 << 20, 2, 0600, t + 2);
  file("big/one-mib-plus.bin", (1 << 20) + 3, 3, 0640, t + 3);
  for (int64_t size : {0, 1, 2, 100, 4095, 4096, 4097, 65535, 65536, 65537, 300000}) {
    file("sizes/s" + std::to_string(size), size, uint64_t(size) + 10, 0644, t + size);
  }
  for (int i = 0; i < 40; ++i) {
    file("small/f" + std::to_string(i), i * 173, uint64_t(100 + i), 0644, t - i * 1000003);
  }
  WriteStringFile(root / "empty.txt", "", 0644, t);
  ++files;
  WriteStringFile(root / "name with spaces.txt", "spaces", 0644, t);
  ++files;
  WriteStringFile(root / "données" / "résumé.txt", "utf-8 names", 0600, 1000000000000000001);
  ++files;
  WriteStringFile(root / "deep" / "l1" / "l2" / "l3" / "leaf.sh", "#!/bin/sh\n", 0755, t);
  ++files;
  WriteStringFile(root / "perms" / "ro.txt", "read only", 0444, 946684799999999999);
  ++files;
  WriteStringFile(root / "perms" / "owner-only.txt", "secret", 0400, -123456789);  // < 1970
  ++files;
  WriteStringFile(root / "perms" / "dup-of-s100.txt", RandomString(100, 110), 0644, t);  // dedup
  ++files;
  fs::create_directories(root / "empty-dir");
  fs::create_directories(root / "perms" / "setgid-dir");
  if (::geteuid() == 0) {
    EXPECT_EQ(::lchown((root / "perms" / "owner-only.txt").c_str(), 1234, 5678), 0);
  }
  fs::create_symlink("../sizes/s100", root / "deep" / "to-file");
  fs::create_symlink("l1/l2", root / "deep" / "to-dir");
  fs::create_symlink("no/such/target", root / "deep" / "dangling");
  fs::create_symlink("/etc/hostname", root / "deep" / "absolute");
  SetMtime(root / "deep" / "to-file", t + 7);
  SetMtime(root / "deep" / "dangling", 1);
  SetMtime(root / "deep" / "absolute", t - t % kNanos + 999999999);
  // Directories: modes, then mtimes deepest first (children are complete by now).
  std::vector<fs::path> dirs = {root};
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_directory() && !e.is_symlink()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    return a.string().size() > b.string().size();
  });
  EXPECT_EQ(::chmod((root / "perms" / "setgid-dir").c_str(), 02750), 0);
  EXPECT_EQ(::chmod((root / "empty-dir").c_str(), 0700), 0);
  for (size_t i = 0; i < dirs.size(); ++i) SetMtime(dirs[i], t - int64_t(i) * 3 * kNanos - 999999999);
  return files;
}

class BackendSuiteTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>("backend-suite");
    if (GetParam() == Backend::kS3) {
      moto_ = MotoServer::Shared();
      ASSERT_NE(moto_, nullptr) << "the S3 variant needs moto (see docs/s3.md)";
    }
    location_ = NewLocation("repo");
  }

  void TearDown() override {
    repository_.reset();
    if (IsS3() && moto_ != nullptr) {
      for (const auto& loc : locations_) {
        auto s = OpenStorage(loc, false);
        if (s.ok()) DeleteAllBlobs(s->get());
      }
    }
  }

  bool IsS3() const { return GetParam() == Backend::kS3; }

  // A fresh, empty repository location: a directory, or a key prefix without '/' (moto checks
  // signatures of such listings; see docs/s3.md).
  std::string NewLocation(const std::string& name) {
    static std::atomic<int> counter{0};
    std::string loc = IsS3() ? "suite-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(counter++) + "-" + name + "-"
                             : (dir_->path() / name).string();
    locations_.push_back(loc);
    return loc;
  }

  // A new Storage object on `location` (new connections; nothing cached).
  Result<std::shared_ptr<blob::Storage>> OpenStorage(const std::string& location, bool create) {
    if (IsS3()) {
      FERRY_ASSIGN_OR_RETURN(auto s, blob::S3Storage::Open(moto_->OptionsFor("ferry-test", location)));
      return std::shared_ptr<blob::Storage>(std::move(s));
    }
    auto s = create ? blob::CreateFilesystemStorage(location) : blob::OpenFilesystemStorage(location, {});
    if (!s.ok()) return s.status();
    return std::shared_ptr<blob::Storage>(std::move(*s));
  }

  void Create(const std::string& location, const repo::NewRepositoryOptions& options = {}) {
    auto s = OpenStorage(location, true);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    Status st = repo::InitializeRepository(s->get(), kPassword, options, location);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  Result<std::unique_ptr<repo::Repository>> OpenAt(const std::string& location,
                                                   const std::string& password = kPassword) {
    FERRY_ASSIGN_OR_RETURN(auto storage, OpenStorage(location, false));
    repo::OpenOptions o;
    o.hostname = "host";
    o.username = "user";
    o.location = location;
    return repo::Repository::Open(storage, password, o);
  }

  // Drops the repository and its storage, then opens both anew.
  void Reopen() {
    repository_.reset();
    auto r = OpenAt(location_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repository_ = std::move(*r);
  }

  void CreateAndOpen(const repo::NewRepositoryOptions& options = {}) {
    ASSERT_NO_FATAL_FAILURE(Create(location_, options));
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }

  SourceInfo Source(const std::string& path = "/data/pvc") { return {"host", "user", path}; }

  void WriteAndReadBack();

  fs::path RestoreSnapshot(const SnapshotManifest& m, const std::string& name) {
    fs::path target = dir_->path() / name;
    RestoreOptions o;
    o.parallel = 2;
    auto stats = Restore(*repository_->objects(), m.root_entry, target.string(), o);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    if (stats.ok()) {
      EXPECT_EQ(stats->bytes, m.stats.total_size);
    }
    return target;
  }

  // Every file read in full, every content of every object present: nothing is missing.
  void VerifyAll(const SnapshotManifest& m) {
    VerifyOptions vo;
    vo.files_percent = 100;
    vo.parallel = 2;
    vo.storage = repository_->storage();
    std::vector<std::string> errors;
    vo.on_error = [&](const std::string& path, const Status& e) { errors.push_back(path + ": " + e.ToString()); };
    auto v = Verify(*repository_->objects(), {{m.source.ToString(), m.root_entry}}, vo);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->errors, 0) << (errors.empty() ? "" : errors.front());
    EXPECT_GE(v->bytes_read, m.stats.total_size);  // files, plus the symlinks' targets
  }

  MotoServer* moto_ = nullptr;
  std::unique_ptr<TempDir> dir_;
  std::string location_;
  std::vector<std::string> locations_;
  std::unique_ptr<repo::Repository> repository_;
};

Bytes ContentData(size_t size, uint32_t seed) {
  std::string s = seed % 3 == 0 ? std::string(size, char('a' + seed % 26)) : RandomString(size, seed);
  return Bytes(s.begin(), s.end());
}

// Writes contents (plain, compressed, with prefixes) and a multi-chunk object, flushes, reopens
// from scratch and reads everything back; the layout in the store is kopia's.
void BackendSuiteTest::WriteAndReadBack() {
  auto* cm = repository_->contents();
  std::vector<std::pair<content::ContentId, Bytes>> written;
  auto zstd = compression::CompressorByName("zstd-fastest");
  ASSERT_TRUE(zstd.ok());
  for (uint32_t i = 0; i < 120; ++i) {
    Bytes d = ContentData(size_t(i) * 2711 % 250000, i);
    char prefix = i % 7 == 0 ? 'k' : i % 11 == 0 ? 'x' : 0;
    auto id = cm->WriteContent(d, prefix, i % 2 ? zstd->header_id : compression::kNoCompression);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    written.emplace_back(*id, std::move(d));
  }
  // Deduplicated: the same bytes again give the same ID and store nothing.
  auto again = cm->WriteContent(written[5].second, 0, compression::kNoCompression);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, written[5].first);
  // An object of several chunks (indirect), written through the repository's splitter.
  std::string big = RandomString(kBigFile, 77);
  auto w = repository_->objects()->NewWriter({});
  ASSERT_TRUE(w->Write(AsBytes(big)).ok());
  auto oid = w->Result();
  ASSERT_TRUE(oid.ok()) << oid.status().ToString();
  ASSERT_TRUE(repository_->Flush().ok());

  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_NE(repository_, nullptr);
  for (const auto& [id, data] : written) {
    Bytes out;
    Status st = repository_->contents()->GetContent(id, &out);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(out == data) << id.ToString();
  }
  auto all = repository_->objects()->ReadAll(*oid);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(AsString(*all) == big);
  int64_t count = 0;
  ASSERT_TRUE(repository_->contents()->IterateContents(false, [&](const content::ContentInfo&) {
    ++count;
    return Status::OK();
  }).ok());
  EXPECT_GE(count, int64_t(written.size()) + 3);  // + the object's chunks and its list
  // kopia's blob kinds: format blob, blob config, data and metadata packs, epoch index blobs.
  auto blobs = repository_->storage()->ListAllBlobs("");
  ASSERT_TRUE(blobs.ok());
  std::set<std::string> kinds;
  for (const auto& b : *blobs) {
    kinds.insert(b.id.starts_with("kopia.") ? b.id : b.id.substr(0, b.id.starts_with("xn") ? 2 : 1));
  }
  for (const char* k : {"kopia.repository", "kopia.blobcfg", "p", "q", "xn"}) {
    EXPECT_TRUE(kinds.contains(k)) << k << " blobs missing; " << ::testing::PrintToString(kinds);
  }
}

TEST_P(BackendSuiteTest, CreateWithDefaultAlgorithmsWriteReadReopen) {
  ASSERT_NO_FATAL_FAILURE(CreateAndOpen());
  EXPECT_EQ(repository_->config().hash, "BLAKE2B-256-128");
  EXPECT_EQ(repository_->config().encryption, "AES256-GCM-HMAC-SHA256");
  EXPECT_EQ(repository_->config().splitter, "DYNAMIC-4M-BUZHASH");
  ASSERT_NO_FATAL_FAILURE(WriteAndReadBack());
  // A second create on the same location refuses and changes nothing.
  auto storage = OpenStorage(location_, false);
  ASSERT_TRUE(storage.ok());
  auto before = (*storage)->ListAllBlobs("");
  ASSERT_TRUE(before.ok());
  Status again = repo::InitializeRepository(storage->get(), kPassword, {}, location_);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  auto after = (*storage)->ListAllBlobs("");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), before->size());
}

TEST_P(BackendSuiteTest, CreateWithNonDefaultAlgorithmsWriteReadReopen) {
  struct Algos {
    const char* hash;
    const char* encryption;
    const char* splitter;
    int64_t max_pack;
  };
  for (const Algos& a : {Algos{"BLAKE3-256", "CHACHA20-POLY1305-HMAC-SHA256", "DYNAMIC-1M-RABINKARP", 12 << 20},
                         Algos{"HMAC-SHA256-128", "AES256-GCM-HMAC-SHA256", "FIXED-2M", 21 << 20}}) {
    SCOPED_TRACE(a.hash);
    location_ = NewLocation(std::string("algos-") + a.hash);
    repo::NewRepositoryOptions n;
    n.hash = a.hash;
    n.encryption = a.encryption;
    n.splitter = a.splitter;
    n.max_pack_size = a.max_pack;
    ASSERT_NO_FATAL_FAILURE(CreateAndOpen(n));
    EXPECT_EQ(repository_->config().hash, a.hash);
    EXPECT_EQ(repository_->config().encryption, a.encryption);
    EXPECT_EQ(repository_->config().splitter, a.splitter);
    EXPECT_EQ(repository_->config().max_pack_size, a.max_pack);
    ASSERT_NO_FATAL_FAILURE(WriteAndReadBack());
    // And a small snapshot round trip under these algorithms.
    fs::path src = dir_->path() / (std::string("src-") + a.hash);
    WriteRandomFile(src / "a.bin", (3 << 20) + 17, 5);
    WriteStringFile(src / "b.txt", "bee");
    auto m = Uploader(repository_.get(), UploadOptions{}).SnapshotDirectory(Source(), src.string());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_NO_FATAL_FAILURE(Reopen());
    ExpectSameTree(src, RestoreSnapshot(*m, std::string("out-") + a.hash));
  }
}

TEST_P(BackendSuiteTest, WrongPasswordAndMissingRepositoryWriteNothing) {
  auto empty = OpenAt(location_);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kNotFound) << empty.status().ToString();
  ASSERT_NO_FATAL_FAILURE(CreateAndOpen());
  repository_.reset();
  auto storage = OpenStorage(location_, false);
  ASSERT_TRUE(storage.ok());
  auto before = (*storage)->ListAllBlobs("");
  ASSERT_TRUE(before.ok());
  auto wrong = OpenAt(location_, "not-the-password");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kAuthentication) << wrong.status().ToString();
  EXPECT_NE(wrong.status().message().find("wrong password"), std::string::npos)
      << wrong.status().ToString();
  auto after = (*storage)->ListAllBlobs("");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].id, (*before)[i].id);
    EXPECT_EQ((*after)[i].length, (*before)[i].length);
  }
  ASSERT_NO_FATAL_FAILURE(Reopen());  // the right password still opens it
}

TEST_P(BackendSuiteTest, SnapshotOfEveryEntryKindRestoresIdentically) {
  ASSERT_NO_FATAL_FAILURE(CreateAndOpen());
  fs::path src = dir_->path() / "src";
  const int files = MakeTree(src);
  UploadOptions uo;
  uo.parallelism = 2;
  auto m = Uploader(repository_.get(), uo).SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->stats.file_count, files);
  EXPECT_EQ(m->stats.error_count, 0);
  EXPECT_EQ(m->stats.ignored_error_count, 0);
  EXPECT_TRUE(m->incomplete.empty());

  // From scratch: the snapshot is found and read through a new storage object.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto list = ListSnapshots(repository_->manifests(), Source());
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().id, m->id);
  EXPECT_EQ(list->front().root_entry.object_id, m->root_entry.object_id);
  VerifyAll(list->front());
  fs::path out = RestoreSnapshot(list->front(), "restored");
  // Every file, the 12 directories (root included) and the 4 symlinks.
  EXPECT_EQ(ExpectSameTree(src, out), size_t(files) + 12 + 4);
}

TEST_P(BackendSuiteTest, IncrementalSnapshotReusesUnchangedFiles) {
  ASSERT_NO_FATAL_FAILURE(CreateAndOpen());
  fs::path src = dir_->path() / "src";
  const int files = MakeTree(src);
  UploadOptions uo;
  uo.parallelism = 2;
  auto first = Uploader(repository_.get(), uo).SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->stats.cached_files, 0);

  ASSERT_NO_FATAL_FAILURE(Reopen());
  Uploader second(repository_.get(), uo);
  auto same = second.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->stats.cached_files, files);
  EXPECT_EQ(same->stats.non_cached_files, 0);
  EXPECT_EQ(second.progress().read_bytes.load(), 0) << "unchanged files must not be read";
  EXPECT_EQ(same->root_entry.object_id, first->root_entry.object_id);

  // One file changed (new size and mtime): only it is read; the rest still comes from the parent.
  WriteRandomFile(src / "big" / "one-mib-plus.bin", (1 << 20) + 1000, 99, 0640, 1700000000000000001);
  SetMtime(src / "big", 1700000000000000002);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  Uploader third(repository_.get(), uo);
  auto changed = third.SnapshotDirectory(Source(), src.string());
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->stats.cached_files, files - 1);
  EXPECT_EQ(changed->stats.non_cached_files, 1);
  EXPECT_EQ(third.progress().read_bytes.load(), (1 << 20) + 1000);
  EXPECT_NE(changed->root_entry.object_id, first->root_entry.object_id);

  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto list = ListSnapshots(repository_->manifests(), Source());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  ExpectSameTree(src, RestoreSnapshot(list->back(), "restored-third"));
}

TEST_P(BackendSuiteTest, BlockImageWithHolesRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(CreateAndOpen());
  fs::path img = dir_->path() / "disk.img";
  const int64_t size = int64_t(24) << 20;
  {
    int fd = ::open(img.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, size), 0);
    std::string data = RandomString(1 << 20, 7);
    for (int64_t off : {int64_t(0), int64_t(10) << 20, (int64_t(23) << 20) + 4096 * 3}) {
      size_t n = static_cast<size_t>(std::min<int64_t>(int64_t(data.size()), size - off));
      ASSERT_EQ(pwrite(fd, data.data(), n, off), ssize_t(n));
    }
    ::close(fd);
  }
  Uploader up(repository_.get(), UploadOptions{});
  auto m = up.SnapshotBlock(Source("/dev/vol-1"), img.string(), "disk.img");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->root_entry.summary->total_size, size);
  EXPECT_LE(up.progress().read_bytes.load(), int64_t(8) << 20) << "holes are not read";

  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto list = ListSnapshots(repository_->manifests(), Source("/dev/vol-1"));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  fs::path out = dir_->path() / "restored.img";
  RestoreOptions o;
  o.write_sparse_files = true;
  o.parallel = 2;
  auto stats = Restore(*repository_->objects(), list->front().root_entry, out.string(), o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(stats->streamed);
  EXPECT_EQ(stats->bytes, size);
  EXPECT_EQ(fs::file_size(out), uint64_t(size));
  EXPECT_EQ(FileSha256(out), FileSha256(img));
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_LT(int64_t(st.st_blocks) * 512, size / 2) << "the holes stay holes";
}

TEST_P(BackendSuiteTest, SnapshotListAndDelete) {
  ASSERT_NO_FATAL_FAILURE(CreateAndOpen());
  fs::path src = dir_->path() / "src";
  WriteStringFile(src / "a.txt", "one");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    WriteStringFile(src / "a.txt", "version " + std::to_string(i), 0644, 1665532800000000000 + i);
    UploadOptions uo;
    uo.description = "v" + std::to_string(i);
    auto m = Uploader(repository_.get(), uo).SnapshotDirectory(Source(), src.string());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ids.push_back(m->id);
  }
  auto other = Uploader(repository_.get(), UploadOptions{}).SnapshotDirectory(Source("/data/other"), src.string());
  ASSERT_TRUE(other.ok());

  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto sources = ListSources(repository_->manifests());
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(sources->size(), 2u);
  auto list = ListSnapshots(repository_->manifests(), Source());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*list)[i].id, ids[i]);
    EXPECT_EQ((*list)[i].description, "v" + std::to_string(i));
  }
  auto all = ListSnapshots(repository_->manifests(), std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);

  ASSERT_TRUE(repository_->manifests()->Delete(ids[1]).ok());
  ASSERT_TRUE(repository_->Flush().ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  list = ListSnapshots(repository_->manifests(), Source());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, ids[0]);
  EXPECT_EQ((*list)[1].id, ids[2]);
  auto gone = LoadSnapshot(repository_->manifests(), ids[1]);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();
  // The survivors still restore.
  fs::path out = RestoreSnapshot((*list)[0], "restored-v0");
  std::ifstream in(out / "a.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "version 0");
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendSuiteTest,
                         ::testing::Values(Backend::kFilesystem, Backend::kS3), BackendName);

}  // namespace
}  // namespace ferry::snapshot
