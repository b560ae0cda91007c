// Helpers for the read side's tests: kopia fixture copies opened as repositories, restored
// trees listed with the fixtures' tree-manifest.py, and small repositories crafted by hand.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "blob/filesystem_storage.h"
#include "cli/test_util.h"
#include "repo/repository.h"
#include "snapshot/snapshot_manifest.h"

namespace ferry::snapshot::testing {

inline constexpr const char* kFixturePassword = "static-passw0rd";

inline std::unique_ptr<repo::Repository> OpenRepositoryAt(const std::filesystem::path& path,
                                                          const std::string& password = kFixturePassword) {
  auto storage = blob::OpenFilesystemStorage(path.string(), {});
  EXPECT_TRUE(storage.ok()) << storage.status().ToString();
  if (!storage.ok()) return nullptr;
  repo::OpenOptions o;
  o.location = path.string();
  o.hostname = "default";
  o.username = "default";
  auto r = repo::Repository::Open(std::shared_ptr<blob::Storage>(std::move(*storage)), password, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : nullptr;
}

// Copies fixture `name` under `dir` and opens the copy.
inline std::unique_ptr<repo::Repository> OpenFixtureCopy(const std::string& name, const std::filesystem::path& dir) {
  ferry::testing::CopyFixture(name, dir / name);
  return OpenRepositoryAt(dir / name);
}

inline std::filesystem::path KopiaFixtures() { return ferry::testing::FixtureDir(""); }

// tree-manifest.py's lines for `path`, keyed by their "path" field. With a snapshot ID, owners
// are the ones kopia stored (for runs that cannot restore owners).
inline std::map<std::string, nlohmann::json> TreeManifest(const std::string& path, const std::string& trees_jsonl = "",
                                                          const std::string& snapshot_id = "") {
  std::string cmd = "python3 " + (KopiaFixtures() / "tree-manifest.py").string() + " '" + path + "'";
  if (!trees_jsonl.empty()) cmd += " " + trees_jsonl + " " + snapshot_id;
  auto out = ferry::testing::RunShell(cmd);
  EXPECT_EQ(out.exit_code, 0) << out.text;
  std::map<std::string, nlohmann::json> lines;
  std::istringstream in(out.text);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      ADD_FAILURE() << "not JSON: " << line;
      continue;
    }
    lines[j["path"].get<std::string>()] = j;
  }
  return lines;
}

inline std::map<std::string, nlohmann::json> ExpectedManifest(const std::string& tree) {
  std::map<std::string, nlohmann::json> lines;
  std::ifstream in(KopiaFixtures() / "expected" / (tree + ".manifest.jsonl"));
  EXPECT_TRUE(in.good()) << tree;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    lines[j["path"].get<std::string>()] = j;
  }
  return lines;
}

}  // namespace ferry::snapshot::testing
