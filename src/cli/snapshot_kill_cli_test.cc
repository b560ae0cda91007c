// Killing ferry with SIGKILL at random moments of a snapshot must never damage the repository:
// afterwards it still opens and verifies, earlier snapshots still restore identically, and the
// next run completes.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "cli/test_util.h"

extern char** environ;

namespace ferry::testing {
namespace {

void WriteRandomFile(const std::filesystem::path& p, size_t size, uint64_t seed) {
  std::filesystem::create_directories(p.parent_path());
  std::mt19937_64 rng(seed);
  std::string s(size, '\0');
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + i, &v, 8);
  }
  std::ofstream(p, std::ios::binary) << s;
}

TEST(SnapshotKillTest, TwentyRandomKillsLeaveTheRepositoryConsistent) {
  TempDir dir("kill");
  std::string cfg = "--config-file=" + dir.str() + "/c.config ";
  std::string repo = dir.str() + "/repo";
  auto tree = dir.path() / "tree";
  // Large enough that a full run takes longer than the latest kill below (0.25 s).
  for (int i = 0; i < 64; ++i) WriteRandomFile(tree / ("d" + std::to_string(i % 3)) / ("f" + std::to_string(i)), 3 << 20, uint64_t(i));
  ASSERT_EQ(RunFerry(cfg + "repository create filesystem --path=" + repo + " --password=pw").exit_code, 0);
  Output first = RunFerry(cfg + "snapshot create " + tree.string() + " --progress=none", false);
  ASSERT_EQ(first.exit_code, 0) << first.text;
  std::string first_id = first.text.substr(first.text.find(" and ID ") + 8, 32);
  std::string listing_before = RunShell("cd " + tree.string() + " && find . -type f -exec sha256sum {} + | sort").text;

  std::mt19937 rng(12345);
  int killed_mid_run = 0;
  for (int round = 0; round < 20; ++round) {
    // New data every round, so there is always something being written when the kill lands.
    WriteRandomFile(tree / "new" / ("r" + std::to_string(round)), 3 << 20, 1000 + uint64_t(round));
    std::vector<std::string> args = {FerryBinary(), "--config-file=" + dir.str() + "/c.config", "snapshot",
                                     "create", tree.string(), "--progress=none", "--force-full"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 250)(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++killed_mid_run;
    // After every kill the repository opens and lists its snapshots.
    Output list = RunFerry(cfg + "snapshot list --all --manifest-id");
    ASSERT_EQ(list.exit_code, 0) << "round " << round << ": " << list.text;
    ASSERT_NE(list.text.find("manifest:" + first_id), std::string::npos) << list.text;
  }
  EXPECT_GE(killed_mid_run, 10) << "most kills should land while ferry was running";

  // Every content in every index decrypts (independent reader), and the first snapshot restores.
  std::string inspect = "python3 " + std::string(FERRY_SHARED_DIR) + "/tools/kopia-inspect.py --path " + repo + " --password pw ";
  Output verify = RunShell(inspect + "contents --verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.text;
  EXPECT_NE(verify.text.find(" 0 failed"), std::string::npos) << verify.text;
  auto restored = dir.path() / "restored";
  Output r = RunShell(inspect + "restore " + first_id + " " + restored.string());
  ASSERT_EQ(r.exit_code, 0) << r.text;
  std::string listing_after = RunShell("cd " + restored.string() + " && find . -type f -exec sha256sum {} + | sort").text;
  EXPECT_EQ(listing_after, listing_before);
  // The next run completes.
  Output last = RunFerry(cfg + "snapshot create " + tree.string() + " --progress=none");
  EXPECT_EQ(last.exit_code, 0) << last.text;
}

}  // namespace
}  // namespace ferry::testing
