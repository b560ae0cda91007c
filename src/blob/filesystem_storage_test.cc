#include "blob/filesystem_storage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "blob/test_util.h"

namespace ferry::blob {
namespace {

using testutil::FileExists;
using testutil::ListFilesRecursively;
using testutil::ModeOf;
using testutil::PatternBytes;
using testutil::ReadFileToString;
using testutil::TempDir;
using testutil::WriteStringToFile;

const std::string kPack = "p0123456789abcdef0123456789abcdef-s0011223344556677115";
const std::string kIndex = "xn0_a0bc0123456789abcdef0123456789-s0011223344556677115-c1";
const std::string kDefaultShards = "{\"default\":[1,3],\"maxNonShardedLength\":20}\n";
const std::string kLegacyShards = "{\"default\":[3,3],\"maxNonShardedLength\":20}\n";

std::unique_ptr<Storage> MustOpen(const std::string& path, FilesystemOptions options = {}) {
  auto r = OpenFilesystemStorage(path, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : nullptr;
}

std::unique_ptr<Storage> MustCreate(const std::string& path, FilesystemOptions options = {}) {
  auto r = CreateFilesystemStorage(path, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : nullptr;
}

std::string FileText(const std::string& path) {
  auto r = ReadFileToString(path);
  EXPECT_TRUE(r.ok()) << path;
  return r.ok() ? *r : "";
}

std::vector<std::string> TempFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& f : ListFilesRecursively(dir)) {
    if (f.find(".tmp.") != std::string::npos) out.push_back(f);
  }
  return out;
}

TEST(FilesystemStorageTest, KopiaLayoutPaths) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  const std::map<std::string, std::string> expected = {
      {kPack, "p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f"},
      {kIndex, "x/n0_/a0bc0123456789abcdef0123456789-s0011223344556677115-c1.f"},
      {"kopia.repository", "kopia.repository.f"},
      {"xe12", "xe12.f"},
  };
  for (const auto& [id, path] : expected) {
    Bytes data = PatternBytes(100 + id.size(), id.size());
    ASSERT_TRUE(st->PutBlob(id, data).ok()) << id;
    EXPECT_EQ(FileText(root + "/" + path), std::string(AsString(data))) << path;
  }
  std::vector<std::string> want = {".shards"};
  for (const auto& [id, path] : expected) want.push_back(path);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ListFilesRecursively(root), want);
}

// A pack read once stays open for the next reads (the file unlinked behind the store's back is
// still read through it; an index blob, not kept open, is then gone); a put or delete through
// the store replaces or drops it at once.
TEST(FilesystemStorageTest, PacksStayOpenBetweenReadsUntilPutOrDeleted) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  const Bytes first = PatternBytes(5000, 1), second = PatternBytes(7000, 2);
  ASSERT_TRUE(st->PutBlob(kPack, first).ok());
  ASSERT_TRUE(st->PutBlob(kIndex, first).ok());
  Bytes got;
  ASSERT_TRUE(st->GetBlob(kPack, 100, 50, &got).ok());
  ASSERT_TRUE(st->GetBlob(kIndex, 100, 50, &got).ok());
  const std::string pack_file = root + "/p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f";
  const std::string index_file = root + "/x/n0_/a0bc0123456789abcdef0123456789-s0011223344556677115-c1.f";
  ASSERT_EQ(::unlink(pack_file.c_str()), 0);
  ASSERT_EQ(::unlink(index_file.c_str()), 0);
  ASSERT_TRUE(st->GetBlob(kPack, 4000, 1000, &got).ok());
  EXPECT_EQ(got, Bytes(first.begin() + 4000, first.end()));
  EXPECT_EQ(st->GetBlob(kPack, 4000, 1001, &got).code(), StatusCode::kInvalidArgument);  // past its end
  EXPECT_EQ(st->GetBlob(kIndex, 0, 10, &got).code(), StatusCode::kNotFound);
  // Put through the store: the next read sees the new blob, whole.
  ASSERT_TRUE(st->PutBlob(kPack, second).ok());
  ASSERT_TRUE(st->GetBlob(kPack, 0, -1, &got).ok());
  EXPECT_EQ(got, second);
  // Deleted through the store: gone at once.
  ASSERT_TRUE(st->DeleteBlob(kPack).ok());
  EXPECT_EQ(st->GetBlob(kPack, 0, 10, &got).code(), StatusCode::kNotFound);
}

TEST(FilesystemStorageTest, ShardsFileWrittenAtCreation) {
  TempDir tmp;
  const std::string root = tmp.Sub("a/b/repo");  // parents are created too
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(FileText(root + "/.shards"), kDefaultShards);
  EXPECT_EQ(ModeOf(root + "/.shards"), 0600);
  EXPECT_EQ(ModeOf(root), 0700);
  EXPECT_EQ(ModeOf(tmp.Sub("a")), 0700);
  // `.shards` is not a blob.
  auto all = st->ListAllBlobs("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(TempFiles(root).empty());
}

TEST(FilesystemStorageTest, CreateInExistingEmptyDirectoryUsesDefaultLayout) {
  TempDir tmp;
  auto st = MustCreate(tmp.path());
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(FileText(tmp.Sub(".shards")), kDefaultShards);
}

TEST(FilesystemStorageTest, ReopenKeepsLayoutAndBlobs) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  {
    auto st = MustCreate(root);
    ASSERT_NE(st, nullptr);
    ASSERT_TRUE(st->PutBlob(kPack, PatternBytes(10, 1)).ok());
  }
  auto st = MustOpen(root);
  ASSERT_NE(st, nullptr);
  auto got = st->GetBlob(kPack);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, PatternBytes(10, 1));
  EXPECT_EQ(FileText(root + "/.shards"), kDefaultShards);
}

TEST(FilesystemStorageTest, FileAndDirectoryModes) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  // A permissive umask must not widen, and a strict one must not narrow, the configured modes.
  const mode_t old_umask = ::umask(077);
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  ASSERT_TRUE(st->PutBlob(kPack, PatternBytes(10, 2)).ok());
  ASSERT_TRUE(st->PutBlob("kopia.repository", PatternBytes(10, 3)).ok());
  EXPECT_EQ(ModeOf(root + "/p"), 0700);
  EXPECT_EQ(ModeOf(root + "/p/012"), 0700);
  EXPECT_EQ(ModeOf(root + "/p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f"), 0600);
  EXPECT_EQ(ModeOf(root + "/kopia.repository.f"), 0600);

  FilesystemOptions custom;
  custom.file_mode = 0640;
  custom.dir_mode = 0750;
  const std::string root2 = tmp.Sub("repo2");
  auto st2 = MustCreate(root2, custom);
  ASSERT_NE(st2, nullptr);
  ASSERT_TRUE(st2->PutBlob(kIndex, PatternBytes(10, 4)).ok());
  ::umask(old_umask);
  EXPECT_EQ(ModeOf(root2), 0750);
  EXPECT_EQ(ModeOf(root2 + "/x"), 0750);
  EXPECT_EQ(ModeOf(root2 + "/x/n0_"), 0750);
  EXPECT_EQ(ModeOf(root2 + "/x/n0_/a0bc0123456789abcdef0123456789-s0011223344556677115-c1.f"),
            0640);
  EXPECT_EQ(st2->Config().at("fileMode"), "0640");
  EXPECT_EQ(st2->Config().at("dirMode"), "0750");
}

TEST(FilesystemStorageTest, NoTemporaryFilesLeftBehind) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(st->PutBlob(kPack, PatternBytes(static_cast<size_t>(i) * 100, i)).ok());
  }
  EXPECT_TRUE(TempFiles(root).empty());

  // A put whose rename fails (the target is a directory) cleans up its temp file.
  const std::string blocked = "q0123456789abcdef0123456789abcdef-s0011223344556677115";
  std::filesystem::create_directories(
      root + "/q/012/3456789abcdef0123456789abcdef-s0011223344556677115.f/x");
  Status s = st->PutBlob(blocked, PatternBytes(10, 5));
  EXPECT_EQ(s.code(), StatusCode::kIOError) << s.ToString();
  EXPECT_NE(s.message().find(blocked), std::string::npos) << s.message();
  EXPECT_TRUE(TempFiles(root).empty());
}

TEST(FilesystemStorageTest, BlobWriterStreamsToItsTempFile) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  EXPECT_TRUE(st->streams_writes());
  auto writer = st->NewBlobWriter(kPack);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Write(0, PatternBytes(4096, 7)).ok());
  // The bytes are on disk already (in the temp file, with the blob file mode), not in memory.
  std::vector<std::string> temps = TempFiles(root);
  ASSERT_EQ(temps.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(root + "/" + temps[0]), 4096u);
  EXPECT_EQ(ModeOf(root + "/" + temps[0]), 0600);
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_TRUE(TempFiles(root).empty());
  EXPECT_EQ(FileText(root + "/p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f"),
            std::string(reinterpret_cast<const char*>(PatternBytes(4096, 7).data()), 4096));

  // A discarded writer removes its temp file; one whose rename fails too.
  { ASSERT_TRUE((*st->NewBlobWriter(kIndex))->Write(0, PatternBytes(10, 8)).ok()); }
  EXPECT_TRUE(TempFiles(root).empty());
  const std::string blocked = "q0123456789abcdef0123456789abcdef-s0011223344556677115";
  std::filesystem::create_directories(root + "/q/012/3456789abcdef0123456789abcdef-s0011223344556677115.f/x");
  auto failing = st->NewBlobWriter(blocked);
  ASSERT_TRUE(failing.ok());
  ASSERT_TRUE((*failing)->Write(0, PatternBytes(10, 9)).ok());
  Status s = (*failing)->Commit();
  EXPECT_EQ(s.code(), StatusCode::kIOError) << s.ToString();
  EXPECT_NE(s.message().find(blocked), std::string::npos) << s.message();
  failing->reset();
  EXPECT_TRUE(TempFiles(root).empty());
}

TEST(FilesystemStorageTest, ListingIgnoresNonBlobFiles) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  ASSERT_TRUE(st->PutBlob(kPack, PatternBytes(10, 6)).ok());
  ASSERT_TRUE(WriteStringToFile(
                  root + "/p/012/3456789abcdef0123456789abcdef-s1.f.tmp.0123456789abcdef", "x")
                  .ok());
  ASSERT_TRUE(WriteStringToFile(root + "/README.txt", "x").ok());
  ASSERT_TRUE(WriteStringToFile(root + "/x/n0_/stray", "x").ok());
  ASSERT_TRUE(WriteStringToFile(root + "/.f", "x").ok());
  ASSERT_TRUE(WriteStringToFile(root + "/bad name.f", "x").ok());  // not addressable
  ASSERT_TRUE(std::filesystem::create_directories(root + "/s/empty"));
  ASSERT_EQ(::symlink("kopia.repository.f", (root + "/link.f").c_str()), 0);
  auto all = st->ListAllBlobs("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, kPack);
}

// What a killed writer leaves: temp files older than the cutoff go, newer ones (a writer still at
// work) and everything that is not a temp file stay, blobs included.
TEST(FilesystemStorageTest, DeleteStaleTemporariesRemovesOnlyOldTempFiles) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  ASSERT_TRUE(st->PutBlob(kPack, PatternBytes(10, 6)).ok());
  const std::string old_temp = root + "/p/012/3456789abcdef0123456789abcdef-s1.f.tmp.0123456789abcdef";
  const std::string old_root_temp = root + "/xn0_abc.f.tmp.fedcba9876543210";
  const std::string fresh_temp = root + "/p/012/3456789abcdef0123456789abcdef-s2.f.tmp.00112233445566aa";
  const std::string not_temp = root + "/p/012/notes.f.tmp.xyz";
  ASSERT_TRUE(WriteStringToFile(old_temp, std::string(1000, 'a')).ok());
  ASSERT_TRUE(WriteStringToFile(old_root_temp, std::string(24, 'b')).ok());
  ASSERT_TRUE(WriteStringToFile(fresh_temp, "c").ok());
  ASSERT_TRUE(WriteStringToFile(not_temp, "d").ok());
  // Two days old: older than the cutoff below (one day ago).
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t day_ns = int64_t{86400} * 1'000'000'000;
  for (const std::string& path : {old_temp, old_root_temp, not_temp, root + "/p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f"}) {
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = (now_ns - 2 * day_ns) / 1'000'000'000;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
  }
  auto cleaned = st->DeleteStaleTemporaries(now_ns - day_ns);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  EXPECT_EQ(cleaned->files, 2);
  EXPECT_EQ(cleaned->bytes, 1024);
  EXPECT_FALSE(FileExists(old_temp));
  EXPECT_FALSE(FileExists(old_root_temp));
  EXPECT_TRUE(FileExists(fresh_temp));
  EXPECT_TRUE(FileExists(not_temp));
  auto all = st->ListAllBlobs("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, kPack);
  // Nothing left to do; a store without temp files (memory) reports nothing either.
  cleaned = st->DeleteStaleTemporaries(now_ns - day_ns);
  ASSERT_TRUE(cleaned.ok());
  EXPECT_EQ(cleaned->files, 0);
}

TEST(FilesystemStorageTest, TimestampIsFileMtime) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  ASSERT_TRUE(st->PutBlob(kPack, PatternBytes(10, 7)).ok());
  const std::string path = root + "/p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f";
  // Age the file as kopia's tests do, then check both metadata paths report it.
  struct timespec times[2] = {{1600000000, 123456789}, {1600000000, 123456789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  auto md = st->GetMetadata(kPack);
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->timestamp_unix_nanos, 1600000000123456789LL);
  auto all = st->ListAllBlobs("p");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].timestamp_unix_nanos, 1600000000123456789LL);
}

TEST(FilesystemStorageTest, MissingDirectoryIsNotFound) {
  TempDir tmp;
  const std::string root = tmp.Sub("nope");
  auto r = OpenFilesystemStorage(root, {});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(root), std::string::npos) << r.status().message();
  EXPECT_FALSE(FileExists(root)) << "opening must not create the directory";
}

TEST(FilesystemStorageTest, PathThatIsAFileIsInvalid) {
  TempDir tmp;
  ASSERT_TRUE(WriteStringToFile(tmp.Sub("file"), "x").ok());
  EXPECT_EQ(OpenFilesystemStorage(tmp.Sub("file"), {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(FilesystemStorageTest, LegacyLayoutWhenShardsMissing) {
  TempDir tmp;
  const std::string root = tmp.Sub("legacy");
  // A repository from before `.shards` existed: [3,3] layout.
  ASSERT_TRUE(WriteStringToFile(root + "/kopia.repository.f", "format").ok());
  ASSERT_TRUE(WriteStringToFile(
                  root + "/p01/234/56789abcdef0123456789abcdef-s0011223344556677115.f", "pack")
                  .ok());
  for (bool create : {false, true}) {
    SCOPED_TRACE(create);
    FilesystemOptions options;
    options.create_if_missing = create;  // a non-empty directory is never "new"
    auto st = MustOpen(root, options);
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(FileText(root + "/.shards"), kLegacyShards) << "kopia records the legacy layout";
    auto all = st->ListAllBlobs("");
    ASSERT_TRUE(all.ok());
    std::set<std::string> ids;
    for (const auto& m : *all) ids.insert(m.id);
    EXPECT_EQ(ids, (std::set<std::string>{"kopia.repository", kPack}));
    auto pack = st->GetBlob(kPack);
    ASSERT_TRUE(pack.ok());
    EXPECT_EQ(AsString(*pack), "pack");
    ASSERT_TRUE(std::filesystem::remove(root + "/.shards"));
  }
  auto st = MustOpen(root);
  ASSERT_NE(st, nullptr);
  const std::string other = "q0123456789abcdef0123456789abcdef-s0011223344556677115";
  ASSERT_TRUE(st->PutBlob(other, PatternBytes(3, 8)).ok());
  EXPECT_TRUE(FileExists(root + "/q01/234/56789abcdef0123456789abcdef-s0011223344556677115.f"));
}

TEST(FilesystemStorageTest, LegacyLayoutOnReadOnlyRepository) {
  TempDir tmp;
  const std::string root = tmp.Sub("ro");
  ASSERT_TRUE(WriteStringToFile(root + "/kopia.repository.f", "format").ok());
  ::chmod((root + "/kopia.repository.f").c_str(), 0644);
  ASSERT_EQ(::chmod(root.c_str(), 0555), 0);
  // Root ignores directory permissions, so the check runs in a child that drops to "nobody".
  ::chmod(tmp.Sub("").c_str(), 0755);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    auto st = OpenFilesystemStorage(root, {});
    if (!st.ok()) ::_exit(1);  // an unwritable .shards must not prevent reading
    ::_exit((*st)->GetBlob("kopia.repository").ok() ? 0 : 2);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::chmod(root.c_str(), 0700);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: open failed, 2: read failed, 3: could not drop privileges";
}

TEST(FilesystemStorageTest, ShardOverridesFromShardsFile) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  ASSERT_TRUE(WriteStringToFile(root + "/.shards",
                                "{\"default\":[1,3],\"maxNonShardedLength\":20,"
                                "\"overrides\":[{\"prefix\":\"x\",\"shards\":[2,2]}]}\n")
                  .ok());
  auto st = MustOpen(root);
  ASSERT_NE(st, nullptr);
  ASSERT_TRUE(st->PutBlob(kIndex, PatternBytes(5, 9)).ok());
  ASSERT_TRUE(st->PutBlob(kPack, PatternBytes(5, 10)).ok());
  EXPECT_TRUE(FileExists(root + "/xn/0_/a0bc0123456789abcdef0123456789-s0011223344556677115-c1.f"));
  EXPECT_TRUE(FileExists(root + "/p/012/3456789abcdef0123456789abcdef-s0011223344556677115.f"));
  auto xs = st->ListAllBlobs("xn0");
  ASSERT_TRUE(xs.ok());
  ASSERT_EQ(xs->size(), 1u);
  EXPECT_EQ((*xs)[0].id, kIndex);
}

TEST(FilesystemStorageTest, CorruptShardsFileIsCorruption) {
  TempDir tmp;
  ASSERT_TRUE(WriteStringToFile(tmp.Sub(".shards"), "{\"default\":[1,").ok());
  auto r = OpenFilesystemStorage(tmp.path(), {});
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  EXPECT_NE(r.status().message().find(".shards"), std::string::npos);
}

TEST(FilesystemStorageTest, DisplayNameAndConfig) {
  TempDir tmp;
  auto st = MustCreate(tmp.Sub("repo/"));
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->DisplayName(), "Filesystem: " + tmp.Sub("repo"));
  auto config = st->Config();
  EXPECT_EQ(config.at("type"), "filesystem");
  EXPECT_EQ(config.at("path"), tmp.Sub("repo"));
}

TEST(FilesystemStorageTest, ConcurrentCreationOfSameShardDirectories) {
  TempDir tmp;
  const std::string root = tmp.Sub("repo");
  auto st = MustCreate(root);
  ASSERT_NE(st, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      // Same shard directories (p/abc/) for every thread, created on first use by all at once.
      std::string id = "pabc" + std::string(40, static_cast<char>('a' + t));
      if (!st->PutBlob(id, PatternBytes(10, t)).ok()) failures++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = st->ListAllBlobs("pabc");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 8u);
}

// --- The repositories kopia 0.12.1 wrote (read-only fixtures; opened from a copy). ---

std::string FixturesDir() { return std::string(FERRY_SHARED_DIR) + "/fixtures/kopia"; }

class KopiaFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KopiaFixtureTest, ListsExactlyTheBlobsKopiaListed) {
  const std::string name = GetParam();
  const std::string fixture = FixturesDir() + "/" + name;
  ASSERT_TRUE(FileExists(fixture)) << fixture;
  auto listing_text = ReadFileToString(fixture + ".blobs.json");
  ASSERT_TRUE(listing_text.ok());
  nlohmann::json listing = nlohmann::json::parse(*listing_text, nullptr, false);
  ASSERT_TRUE(listing.is_array());
  std::map<std::string, int64_t> expected;
  for (const auto& b : listing)
    expected[b.at("id").get<std::string>()] = b.at("length").get<int64_t>();
  ASSERT_FALSE(expected.empty());

  TempDir tmp;
  const std::string copy = tmp.Sub(name);
  ASSERT_TRUE(testutil::CopyTree(fixture, copy).ok());
  const std::string shards_before = FileText(copy + "/.shards");
  EXPECT_EQ(shards_before, kDefaultShards);

  auto st = MustOpen(copy);
  ASSERT_NE(st, nullptr);
  std::map<std::string, int64_t> listed;
  std::map<std::string, int64_t> timestamps;
  ASSERT_TRUE(st->ListBlobs("", [&](const BlobMetadata& m) {
                  listed[m.id] = m.length;
                  timestamps[m.id] = m.timestamp_unix_nanos;
                  return Status::OK();
                }).ok());
  EXPECT_EQ(listed, expected);

  // Prefix listings are the matching subsets.
  for (const std::string prefix : {"p", "q", "x", "xn0_", "kopia.", "_log_", "xe", "none"}) {
    auto part = st->ListAllBlobs(prefix);
    ASSERT_TRUE(part.ok());
    size_t want = std::count_if(expected.begin(), expected.end(),
                                [&](const auto& e) { return e.first.starts_with(prefix); });
    EXPECT_EQ(part->size(), want) << prefix;
  }

  // Reads return the file bytes; metadata agrees with the listing.
  auto format = st->GetBlob("kopia.repository");
  ASSERT_TRUE(format.ok());
  EXPECT_EQ(std::string(AsString(*format)), FileText(fixture + "/kopia.repository.f"));
  for (const auto& [id, length] : expected) {
    auto md = st->GetMetadata(id);
    ASSERT_TRUE(md.ok()) << id;
    EXPECT_EQ(md->length, length);
    EXPECT_EQ(md->timestamp_unix_nanos, timestamps[id]);
  }
  // A range of the largest pack equals the file's bytes there.
  auto largest = std::max_element(expected.begin(), expected.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
  Bytes tail;
  ASSERT_TRUE(st->GetBlob(largest->first, largest->second - 100, 100, &tail).ok());
  const std::string file =
      FileText(copy + "/" + ShardingParameters::Default().RelativePath(largest->first));
  EXPECT_EQ(std::string(AsString(tail)), file.substr(file.size() - 100));

  // Opening read nothing into the repository: `.shards` untouched, no new files.
  EXPECT_EQ(FileText(copy + "/.shards"), shards_before);
  EXPECT_EQ(ListFilesRecursively(copy).size(), expected.size() + 1);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, KopiaFixtureTest,
                         ::testing::Values("default", "blake3-chacha-rabinkarp-zstd",
                                           "hmac-fixed-maintained"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace ferry::blob
