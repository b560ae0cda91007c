// Runs the real build/ferry binary, as a user would.
#include <string>

#include "cli/test_util.h"

namespace {

using ferry::testing::Output;
using ferry::testing::RunFerry;

int CountLinesContaining(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = 0; (pos = text.find(needle, pos)) != std::string::npos; pos += needle.size()) ++n;
  return n;
}

TEST(CliEndToEnd, HelpListsEveryCommand) {
  Output o = RunFerry("--help");
  ASSERT_EQ(o.exit_code, 0) << o.text;
  for (const char* c : {"benchmark hashing", "benchmark encryption", "benchmark splitter",
                        "benchmark compression"}) {
    EXPECT_NE(o.text.find(c), std::string::npos) << c << "\n" << o.text;
  }
  Output sub = RunFerry("benchmark hashing --help");
  ASSERT_EQ(sub.exit_code, 0);
  EXPECT_NE(sub.text.find("--block-size=1MB"), std::string::npos) << sub.text;
  EXPECT_NE(sub.text.find("--repeat=100"), std::string::npos) << sub.text;
  EXPECT_NE(sub.text.find("--parallel=1"), std::string::npos) << sub.text;
}

TEST(CliEndToEnd, NoCommandIsAUsageError) {
  Output o = RunFerry("");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.text.find("expected a command"), std::string::npos) << o.text;
  Output bad = RunFerry("benchmark hashing --block-size=huge");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.text.find("invalid size"), std::string::npos) << bad.text;
}

TEST(CliEndToEnd, BenchmarkHashingRanksAllElevenAlgorithms) {
  Output o = RunFerry("benchmark hashing --block-size=64KB --repeat=3 --print-options");
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_EQ(CountLinesContaining(o.text, "/ second,   --block-hash="), 11) << o.text;
  for (const char* h : {"BLAKE2B-256-128", "BLAKE3-256", "HMAC-SHA3-224", "BLAKE2S-128"}) {
    EXPECT_NE(o.text.find(std::string(h) + " "), std::string::npos) << h;
  }
  EXPECT_NE(o.text.find("Fastest option for this machine is: --block-hash="), std::string::npos)
      << o.text;
}

TEST(CliEndToEnd, BenchmarkEncryptionRanksBothAlgorithms) {
  Output o = RunFerry("benchmark encryption --block-size=64KB --repeat=5 --parallel=2");
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("AES256-GCM-HMAC-SHA256"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("CHACHA20-POLY1305-HMAC-SHA256"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("Fastest option for this machine is: --encryption="), std::string::npos);
}

TEST(CliEndToEnd, BenchmarkSplitterListsEverySplitter) {
  Output o = RunFerry("benchmark splitter --data-size=1MB --block-count=2");
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("DYNAMIC-4M-BUZHASH"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("DYNAMIC-1M-RABINKARP"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("FIXED-4M"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("Fastest option for this machine is: --object-splitter=DYNAMIC"),
            std::string::npos) << o.text;
}

TEST(CliEndToEnd, BenchmarkCompressionOnAFile) {
  std::string path = ::testing::TempDir() + "/ferry-compression-bench.txt";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  for (int i = 0; i < 20000; ++i) std::fprintf(f, "line %d of some compressible text\n", i % 97);
  std::fclose(f);
  Output o = RunFerry("benchmark compression --data-file=" + path + " --repeat=1 --deprecated");
  ASSERT_EQ(o.exit_code, 0) << o.text;
  EXPECT_NE(o.text.find("zstd-fastest"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("s2-default"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("deflate-best-speed"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("zstd-best-compression"), std::string::npos) << o.text;  // deprecated one
  EXPECT_EQ(CountLinesContaining(o.text, "Fastest option for this machine is: --compression="), 2);
  Output missing = RunFerry("benchmark compression");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.text.find("--data-file"), std::string::npos) << missing.text;
  Output nofile = RunFerry("benchmark compression --data-file=/nonexistent/file");
  EXPECT_EQ(nofile.exit_code, 1);
  EXPECT_NE(nofile.text.find("cannot open data file /nonexistent/file"), std::string::npos);
}

}  // namespace
