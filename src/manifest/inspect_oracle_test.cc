// Ferry writes objects and manifests into a real filesystem repository; the independent reader
// ../shared/tools/kopia-inspect.py (written from the format specification, not from ferry) must
// read back the same bytes and the same live manifests. Skipped when python3 or its
// `cryptography` package is missing.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "blob/filesystem_storage.h"
#include "manifest/manifest_manager.h"
#include "manifest/rfc3339.h"
#include "object/object_manager.h"
#include "repo/repository.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPassword = "oracle-passw0rd";

fs::path InspectTool() { return fs::path(FERRY_SHARED_DIR) / "tools" / "kopia-inspect.py"; }

bool RunCommand(const std::string& command, std::string* output) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return false;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) output->append(buf, n);
  return ::pclose(p) == 0;
}

Bytes ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes RandomData(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

class InspectOracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string ignored;
    if (!RunCommand("python3 -c 'import cryptography' 2>&1", &ignored) || !fs::exists(InspectTool())) {
      FAIL() << "python3 with `cryptography` and ../shared/tools/kopia-inspect.py are needed by this test";
    }
    dir_ = fs::path(::testing::TempDir()) / ("ferry-oracle-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto storage = blob::CreateFilesystemStorage(dir_.string());
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    std::shared_ptr<blob::Storage> shared(std::move(*storage));
    ASSERT_TRUE(repo::InitializeRepository(shared.get(), kPassword, {}, dir_.string()).ok());
    repo::OpenOptions options;
    options.location = dir_.string();
    auto r = repo::Repository::Open(shared, kPassword, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repo_ = std::move(*r);
  }
  void TearDown() override {
    repo_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string Inspect(const std::string& args) {
    std::string out;
    EXPECT_TRUE(RunCommand("python3 " + InspectTool().string() + " --path " + dir_.string() +
                        " --password " + kPassword + " " + args + " 2>&1",
                    &out))
        << args << ":\n"
        << out;
    return out;
  }

  object::ObjectId Write(ByteView data, object::WriterOptions options = {}) {
    auto w = repo_->objects()->NewWriter(std::move(options));
    EXPECT_TRUE(w->Write(data).ok());
    auto id = w->Result();
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : object::ObjectId();
  }

  fs::path dir_;
  std::unique_ptr<repo::Repository> repo_;
};

TEST_F(InspectOracleTest, ReadsFerrysObjectsAndManifests) {
  std::map<std::string, Bytes> objects;  // object ID -> bytes
  auto add = [&](ByteView data, object::WriterOptions options = {}) {
    object::ObjectId id = Write(data, std::move(options));
    objects[id.ToString()] = Bytes(data.begin(), data.end());
    return id;
  };
  add({});
  add(AsBytes("hello, kopia"));
  // 12 MiB of random data: several chunks of the default DYNAMIC-4M-BUZHASH splitter.
  Bytes big = RandomData(12 << 20, 1);
  object::ObjectId big_id = add(big);
  EXPECT_TRUE(big_id.is_indirect()) << big_id.ToString();
  // A large prefixed, compressed object: an `Ik…` list whose contents are zstd-compressed.
  std::string text;
  for (int i = 0; text.size() < (9u << 20); ++i) text += "{\"name\":\"file-" + std::to_string(i) + "\"},";
  object::WriterOptions dir_options;
  dir_options.prefix = 'k';
  dir_options.compression = object::kMetadataCompression;
  object::ObjectId dir_id = add(AsBytes(text), dir_options);
  EXPECT_EQ(dir_id.ToString().substr(0, 2), "Ik");
  // Two segments concatenated.
  object::ObjectId seg1 = Write(ByteView(big).first(5 << 20));
  object::ObjectId seg2 = Write(ByteView(big).subspan(5 << 20));
  auto joined = repo_->objects()->Concatenate({seg1, seg2});
  ASSERT_TRUE(joined.ok());
  objects[joined->ToString()] = big;

  auto* manifests = repo_->manifests();
  auto snap = manifests->Put({{"type", "snapshot"}, {"hostname", "h"}, {"username", "u"},
                              {"path", "/data"}},
                             R"({"source":{"host":"h","userName":"u","path":"/data"},"n":1})");
  auto gone = manifests->Put({{"type", "snapshot"}, {"hostname", "h"}}, R"({"n":2})");
  ASSERT_TRUE(snap.ok() && gone.ok());
  ASSERT_TRUE(repo_->Flush().ok());
  ASSERT_TRUE(manifests->Delete(*gone).ok());
  ASSERT_TRUE(repo_->Flush().ok());

  for (const auto& [oid, data] : objects) {
    fs::path out = dir_.parent_path() / ("ferry-oracle-out-" + std::to_string(::getpid()));
    Inspect("cat " + oid + " --out " + out.string());
    EXPECT_EQ(ReadFile(out), data) << oid;
    fs::remove(out);
  }

  json listed = json::parse(Inspect("manifests --json"));
  auto found = manifests->Find({});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(listed.size(), found->size());  // the repository's own manifests and ours
  std::map<std::string, json> by_id;
  for (const json& m : listed) by_id[m["id"]] = m;
  EXPECT_FALSE(by_id.contains(*gone));
  ASSERT_TRUE(by_id.contains(*snap));
  const json& s = by_id[*snap];
  EXPECT_EQ(s["labels"]["path"], "/data");
  EXPECT_EQ(s["data"]["source"]["userName"], "u");
  EXPECT_EQ(s["modified"], FormatRfc3339Nano(manifests->Get(*snap)->modified));
}

}  // namespace
}  // namespace ferry
