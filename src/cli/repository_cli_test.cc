// End to end through the binary: repository create/connect/status/disconnect/change-password,
// content/blob/index listings, compared with what kopia printed for its fixtures.
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/test_util.h"

namespace ferry::testing {
namespace {

class RepositoryCliTest : public ::testing::Test {
 protected:
  RepositoryCliTest() : dir_("repo-cli") {}
  std::string Ferry(const std::string& args) {
    return "--config-file=" + dir_.str() + "/repository.config " + args;
  }
  TempDir dir_;
};

TEST_F(RepositoryCliTest, CreateStatusConnectDisconnect) {
  std::string repo = dir_.str() + "/repo";
  Output c = RunFerry(Ferry("repository create filesystem --path=" + repo + " --password=pw"));
  ASSERT_EQ(c.exit_code, 0) << c.text;
  EXPECT_NE(c.text.find("Connected to repository."), std::string::npos);
  Output s = RunFerry(Ferry("repository status"));
  ASSERT_EQ(s.exit_code, 0) << s.text;
  for (const char* line : {"Hash:                BLAKE2B-256-128", "Encryption:          AES256-GCM-HMAC-SHA256",
                           "Splitter:            DYNAMIC-4M-BUZHASH", "Format version:      3",
                           "Index Format:        v2", "Max pack length:     20 MiB", "Current Epoch: 0",
                           "Epoch advance on:        20 blobs or 10 MiB, minimum 24h0m0s",
                           "Storage type:        filesystem"}) {
    EXPECT_NE(s.text.find(line), std::string::npos) << line << "\n" << s.text;
  }
  EXPECT_EQ(s.text.find("pw"), std::string::npos) << "the password must never be printed";
  // The saved password file is private.
  auto perms = std::filesystem::status(dir_.str() + "/repository.config.kopia-password").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ASSERT_EQ(RunFerry(Ferry("repository disconnect")).exit_code, 0);
  Output gone = RunFerry(Ferry("repository status"));
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.text.find("not connected to a repository"), std::string::npos) << gone.text;
  // Reconnecting from a fresh config re-opens it.
  ASSERT_EQ(RunFerry(Ferry("repository connect filesystem --path=" + repo + " --password=pw")).exit_code, 0);
  EXPECT_EQ(RunFerry(Ferry("repository status")).exit_code, 0);
}

TEST_F(RepositoryCliTest, RemembersTheFormatKeyOnlyWithTheSavedPasswordAndForThatPassword) {
  std::string repo = dir_.str() + "/repo";
  std::string cache = dir_.str() + "/repository.config.format-key";
  ASSERT_EQ(RunFerry(Ferry("repository create filesystem --path=" + repo + " --password=pw")).exit_code, 0);
  // Create (like connect) keeps the key it derived while proving the password.
  ASSERT_TRUE(std::filesystem::exists(cache));
  ASSERT_EQ(RunFerry(Ferry("repository status")).exit_code, 0);
  auto perms = std::filesystem::status(cache).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // With the key remembered, a wrong password is still refused.
  Output wrong = RunShell("FERRY_PASSWORD=nope " + FerryBinary() + " " + Ferry("repository status"));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.text.find("wrong password for repository at"), std::string::npos) << wrong.text;
  // A damaged remembered key is ignored: the key is derived again and the cache repaired.
  nlohmann::json j;
  { std::ifstream in(cache); j = nlohmann::json::parse(in); }
  std::string good_key = j["formatKey"];
  j["formatKey"] = std::string(good_key.size(), '0');
  { std::ofstream out(cache); out << j.dump(); }
  ASSERT_EQ(RunFerry(Ferry("repository status")).exit_code, 0);
  { std::ifstream in(cache); j = nlohmann::json::parse(in); }
  EXPECT_EQ(j["formatKey"], good_key);
  // It goes away with the connection.
  ASSERT_EQ(RunFerry(Ferry("repository disconnect")).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(cache));
}

TEST_F(RepositoryCliTest, AlgorithmsFromFlagsAndEnvironment) {
  std::string repo = dir_.str() + "/repo";
  Output c = RunShell("KOPIA_HASHING_ALGORITHM=HMAC-SHA256 KOPIA_SPLITTER_ALGORITHM=FIXED-1M " + FerryBinary() +
                      " " + Ferry("repository create filesystem --path=" + repo +
                                  " --password=pw --encryption=CHACHA20-POLY1305-HMAC-SHA256"));
  ASSERT_EQ(c.exit_code, 0) << c.text;
  Output s = RunFerry(Ferry("repository status"));
  EXPECT_NE(s.text.find("Hash:                HMAC-SHA256\n"), std::string::npos) << s.text;
  EXPECT_NE(s.text.find("Encryption:          CHACHA20-POLY1305-HMAC-SHA256"), std::string::npos);
  EXPECT_NE(s.text.find("Splitter:            FIXED-1M"), std::string::npos);
  // Later, the environment cannot change them: they come from the repository.
  Output later = RunShell("KOPIA_HASHING_ALGORITHM=BLAKE3-256 " + FerryBinary() + " " + Ferry("repository status"));
  EXPECT_NE(later.text.find("Hash:                HMAC-SHA256\n"), std::string::npos);
}

TEST_F(RepositoryCliTest, BadInputGivesOneClearLineAndWritesNothing) {
  std::string repo = dir_.str() + "/repo";
  Output bad = RunFerry(Ferry("repository create filesystem --path=" + repo + " --password=pw --block-hash=MD5"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.text.find("unknown hash algorithm \"MD5\"; valid names: BLAKE2B-256"), std::string::npos) << bad.text;
  EXPECT_FALSE(std::filesystem::exists(repo));
  ASSERT_EQ(RunFerry(Ferry("repository create filesystem --path=" + repo + " --password=pw")).exit_code, 0);
  Output again = RunFerry(Ferry("repository create filesystem --path=" + repo + " --password=other"));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.text.find("found an existing repository at " + repo), std::string::npos) << again.text;
  std::vector<std::string> before;
  for (auto& e : std::filesystem::recursive_directory_iterator(repo)) before.push_back(e.path().string());
  Output wrong = RunFerry(Ferry("repository connect filesystem --path=" + repo + " --password=nope"));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.text, "ferry: error: wrong password for repository at " + repo + "\n");
  std::vector<std::string> after;
  for (auto& e : std::filesystem::recursive_directory_iterator(repo)) after.push_back(e.path().string());
  EXPECT_EQ(before, after);
}

TEST_F(RepositoryCliTest, ChangePassword) {
  std::string repo = dir_.str() + "/repo";
  ASSERT_EQ(RunFerry(Ferry("repository create filesystem --path=" + repo + " --password=old")).exit_code, 0);
  ASSERT_EQ(RunFerry(Ferry("repository change-password --new-password=new")).exit_code, 0);
  EXPECT_EQ(RunFerry(Ferry("repository connect filesystem --path=" + repo + " --password=old")).exit_code, 1);
  EXPECT_EQ(RunFerry(Ferry("repository connect filesystem --path=" + repo + " --password=new")).exit_code, 0);
}

class FixtureCliTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureCliTest, ListingsMatchWhatKopiaPrinted) {
  TempDir dir("fixture-cli");
  std::string repo = dir.str() + "/repo";
  CopyFixture(GetParam(), repo);
  std::string cfg = "--config-file=" + dir.str() + "/c.config ";
  ASSERT_EQ(RunFerry(cfg + "repository connect filesystem --path=" + repo +
                     " --password=static-passw0rd --override-hostname=default --override-username=default").exit_code,
            0);
  Output contents = RunFerry(cfg + "content list --deleted --json", false);
  ASSERT_EQ(contents.exit_code, 0);
  std::ifstream expected_json(FixtureDir("").parent_path() / (GetParam() + ".contents.json"));
  EXPECT_EQ(nlohmann::json::parse(contents.text), nlohmann::json::parse(expected_json));
  Output text = RunFerry(cfg + "content list --deleted --compression", false);
  std::ifstream expected_text(FixtureDir("").parent_path() / (GetParam() + ".contents.txt"));
  std::string want((std::istreambuf_iterator<char>(expected_text)), std::istreambuf_iterator<char>());
  // kopia's listing order is its own; compare the sets of lines.
  auto lines = [](const std::string& s) {
    std::multiset<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1) out.insert(s.substr(start, nl - start));
    return out;
  };
  EXPECT_EQ(lines(text.text), lines(want));
  Output status = RunFerry(cfg + "repository status");
  std::ifstream st(FixtureDir("").parent_path() / (GetParam() + ".status.txt"));
  std::string kopia_status((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
  // Everything from "Unique ID" on is the repository's own description: identical to kopia's.
  EXPECT_EQ(status.text.substr(status.text.find("Unique ID:")), kopia_status.substr(kopia_status.find("Unique ID:")));
  Output indexes = RunFerry(cfg + "index list --superseded --json", false);
  std::ifstream ij(FixtureDir("").parent_path() / (GetParam() + ".indexes.json"));
  std::set<std::string> want_ids, got_ids;
  for (const auto& i : nlohmann::json::parse(ij)) want_ids.insert(i["id"].get<std::string>());
  for (const auto& i : nlohmann::json::parse(indexes.text)) got_ids.insert(i["id"].get<std::string>());
  EXPECT_EQ(got_ids, want_ids);
}

INSTANTIATE_TEST_SUITE_P(Kopia, FixtureCliTest,
                         ::testing::Values("default", "blake3-chacha-rabinkarp-zstd", "hmac-fixed-maintained"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace ferry::testing
