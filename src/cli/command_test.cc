#include "cli/command.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

namespace ferry::cli {
namespace {

struct Fixture {
  Command root{"ferry", "test app"};
  std::string path, password;
  int64_t count = 0;
  uint64_t size = 0;
  bool force = false;
  std::vector<std::string> tags;
  std::string target;
  std::string mode;
  int calls = 0;

  Fixture() {
    root.StringFlag("config-file", "config", &path, "default.config");
    Command& repo = root.AddCommand("repository", "Repository commands").Alias("repo");
    Command& create = repo.AddCommand("create", "Create a repository");
    create.StringFlag("password", "password", &password).env_var = "FERRY_TEST_PASSWORD";
    create.IntFlag("count", "a count", &count, 7);
    create.BytesFlag("size", "a size", &size, "1MB");
    create.BoolFlag("force", "force it", &force);
    create.StringListFlag("tags", "tags", &tags).short_name = 't';
    create.EnumFlag("mode", "mode", &mode, {"a", "b"}, "a");
    create.StringArg("target", "where", &target);
    create.SetAction([this](Context&) {
      ++calls;
      return Status::OK();
    });
    Command& fail = repo.AddCommand("fail", "Always fails");
    fail.SetAction([](Context&) { return Status::NotFound("nothing here"); });
  }

  int Run(std::vector<std::string> args, std::string* out = nullptr, std::string* err = nullptr) {
    std::ostringstream o, e;
    Context ctx{o, e};
    int rc = cli::Run(root, args, ctx);
    if (out) *out = o.str();
    if (err) *err = e.str();
    return rc;
  }
};

TEST(CommandTest, ParsesFlagsArgsDefaultsAndAliases) {
  Fixture f;
  ASSERT_EQ(f.Run({"repo", "create", "--count=3", "--size", "4MiB", "--force", "-t", "a:b",
                   "--tags=c:d", "--mode=b", "/tmp/x"}),
            0);
  EXPECT_EQ(f.calls, 1);
  EXPECT_EQ(f.count, 3);
  EXPECT_EQ(f.size, 4u << 20);
  EXPECT_TRUE(f.force);
  EXPECT_EQ(f.tags, (std::vector<std::string>{"a:b", "c:d"}));
  EXPECT_EQ(f.target, "/tmp/x");
  EXPECT_EQ(f.mode, "b");
  EXPECT_EQ(f.path, "default.config");  // inherited global flag took its default
}

TEST(CommandTest, DefaultsAndEnvironment) {
  Fixture f;
  setenv("FERRY_TEST_PASSWORD", "from-env", 1);
  ASSERT_EQ(f.Run({"repository", "create", "x", "--no-force", "--config-file=/c"}), 0);
  unsetenv("FERRY_TEST_PASSWORD");
  EXPECT_EQ(f.count, 7);
  EXPECT_EQ(f.size, 1u << 20);
  EXPECT_FALSE(f.force);
  EXPECT_EQ(f.password, "from-env");
  EXPECT_EQ(f.path, "/c");
}

TEST(CommandTest, UsageErrorsExitTwoWithMessage) {
  Fixture f;
  std::string err;
  EXPECT_EQ(f.Run({"repository", "create"}, nullptr, &err), 2);
  EXPECT_NE(err.find("required argument <target>"), std::string::npos) << err;
  EXPECT_EQ(f.Run({"repository", "create", "x", "--bogus"}, nullptr, &err), 2);
  EXPECT_NE(err.find("unknown flag --bogus"), std::string::npos) << err;
  EXPECT_EQ(f.Run({"repository", "create", "x", "--count=abc"}, nullptr, &err), 2);
  EXPECT_NE(err.find("expected a whole number"), std::string::npos) << err;
  EXPECT_EQ(f.Run({"repository", "create", "x", "--mode=z"}, nullptr, &err), 2);
  EXPECT_NE(err.find("expected one of a|b"), std::string::npos) << err;
  EXPECT_EQ(f.Run({"repository", "create", "x", "y"}, nullptr, &err), 2);
  EXPECT_EQ(f.Run({"nosuch"}, nullptr, &err), 2);
  EXPECT_NE(err.find("unknown command 'nosuch'"), std::string::npos) << err;
  EXPECT_EQ(f.calls, 0);
}

TEST(CommandTest, FailedActionExitsOneWithMessage) {
  Fixture f;
  std::string err;
  EXPECT_EQ(f.Run({"repository", "fail"}, nullptr, &err), 1);
  EXPECT_EQ(err, "ferry: error: nothing here\n");
}

TEST(CommandTest, HelpListsCommandsAndFlags) {
  Fixture f;
  std::string out;
  ASSERT_EQ(f.Run({"--help"}, &out), 0);
  EXPECT_NE(out.find("repository create [<flags>] <target>"), std::string::npos) << out;
  EXPECT_NE(out.find("repository fail"), std::string::npos) << out;
  ASSERT_EQ(f.Run({"repository", "create", "--help"}, &out), 0);
  EXPECT_NE(out.find("--count=7"), std::string::npos) << out;
  EXPECT_NE(out.find("--[no-]force"), std::string::npos) << out;
  EXPECT_NE(out.find("($FERRY_TEST_PASSWORD)"), std::string::npos) << out;
  EXPECT_NE(out.find("--config-file=default.config"), std::string::npos) << out;
  ASSERT_EQ(f.Run({"help", "repository"}, &out), 0);
  EXPECT_NE(out.find("usage: ferry repository"), std::string::npos) << out;
  EXPECT_EQ(f.calls, 0);
}

TEST(CommandTest, ParseByteSize) {
  EXPECT_EQ(*ParseByteSize("65536"), 65536u);
  EXPECT_EQ(*ParseByteSize("1MB"), 1u << 20);
  EXPECT_EQ(*ParseByteSize("4MiB"), 4u << 20);
  EXPECT_EQ(*ParseByteSize("512K"), 512u << 10);
  EXPECT_EQ(*ParseByteSize("2GB"), uint64_t{2} << 30);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("12XB").ok());
  EXPECT_FALSE(ParseByteSize("MB").ok());
}

}  // namespace
}  // namespace ferry::cli
