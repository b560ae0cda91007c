// A small repository written by hand for tests: file objects from bytes, directory objects from
// raw JSON (so that tests can store what ParseDirectory would refuse), snapshots around them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "blob/filesystem_storage.h"
#include "repo/repository.h"
#include "snapshot/read_test_util.h"
#include "snapshot/snapshot_manifest.h"

namespace ferry::snapshot::testing {

class CraftedRepo {
 public:
  explicit CraftedRepo(const std::filesystem::path& path) {
    auto storage = blob::CreateFilesystemStorage(path.string());
    EXPECT_TRUE(storage.ok()) << storage.status().ToString();
    Status s = repo::InitializeRepository(storage->get(), "pw", {}, path.string());
    EXPECT_TRUE(s.ok()) << s.ToString();
    repo_ = OpenRepositoryAt(path, "pw");
  }

  repo::Repository* repo() const { return repo_.get(); }
  const object::ObjectManager& objects() const { return *repo_->objects(); }

  std::string Object(std::string_view data, char prefix = 0) {
    object::WriterOptions o;
    o.prefix = prefix;
    auto w = repo_->objects()->NewWriter(o);
    EXPECT_TRUE(w->Write(AsBytes(data)).ok());
    auto id = w->Result();
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? id->ToString() : "";
  }
  // A directory object from the JSON of its entries ("{...},{...}"), stored as is.
  std::string Directory(const std::string& entries_json) {
    return Object(R"({"stream":"kopia:directory","entries":[)" + entries_json +
                      R"(],"summary":{"size":0,"files":0,"symlinks":0,"dirs":1,"maxTime":"2022-01-01T00:00:00Z","numFailed":0}})" + "\n",
                  'k');
  }
  static std::string FileJson(const std::string& name, const std::string& oid, size_t size,
                              const std::string& mode = "0644") {
    return R"({"name":")" + name + R"(","type":"f","mode":")" + mode + R"(","size":)" + std::to_string(size) +
           R"(,"mtime":"2022-01-02T03:04:05.123456789Z","obj":")" + oid + R"("})";
  }
  static std::string DirJson(const std::string& name, const std::string& oid, const std::string& mode = "0755") {
    return R"({"name":")" + name + R"(","type":"d","mode":")" + mode + R"(","mtime":"2021-05-06T07:08:09Z","obj":")" +
           oid + R"(","summ":{"size":0,"files":0,"symlinks":0,"dirs":1,"maxTime":"2022-01-01T00:00:00Z","numFailed":0}})";
  }
  static std::string SymlinkJson(const std::string& name, const std::string& oid, size_t size) {
    return R"({"name":")" + name + R"(","type":"s","mode":"0777","size":)" + std::to_string(size) +
           R"(,"mtime":"2020-01-01T00:00:00Z","obj":")" + oid + R"("})";
  }
  static DirEntry Root(const std::string& oid) {
    DirEntry e;
    e.name = "root";
    e.type = kTypeDirectory;
    e.mode = 0755;
    e.object_id = oid;
    e.mtime = UnixTime{1600000000, 0};
    return e;
  }
  // Saves a snapshot of `root` and flushes; returns the manifest ID.
  std::string Snapshot(const DirEntry& root) {
    SnapshotManifest m;
    m.source = {"host", "user", "/data"};
    m.description = "crafted";
    m.start_time = m.end_time = UnixTime{1700000000, 0};
    m.root_entry = root;
    auto id = SaveSnapshot(repo_->manifests(), m);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_TRUE(repo_->Flush().ok());
    return id.ok() ? *id : "";
  }

 private:
  std::unique_ptr<repo::Repository> repo_;
};

}  // namespace ferry::snapshot::testing
