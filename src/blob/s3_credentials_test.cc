#include "blob/s3_credentials.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace ferry::blob {
namespace {

// An environment made of a map, so tests never depend on (or leak) the real one.
std::function<std::string(const char*)> Env(std::map<std::string, std::string> vars) {
  return [vars](const char* name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  };
}

class S3CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = ::testing::TempDir() + "/ferry-credentials-" + std::to_string(counter_++);
    std::ofstream(file_) << "# comment\n"
                            "[default]\n"
                            "aws_access_key_id = AKIDEFAULT0001\n"
                            "aws_secret_access_key=secret-default\n"
                            "\n"
                            "[velero]\r\n"
                            "  AWS_ACCESS_KEY_ID =  AKIDVELERO0002  \r\n"
                            "aws_secret_access_key = secret/velero+x=\r\n"
                            "aws_session_token = token-velero\r\n"
                            "; another comment\n"
                            "[broken]\n"
                            "aws_access_key_id = AKIDONLY\n";
  }
  std::string file_;
  static inline int counter_ = 0;
};

TEST_F(S3CredentialsTest, ExplicitWinsOverEverything) {
  CredentialRequest r;
  r.explicit_credentials = {"AKIDFLAG", "secret-flag", "tok"};
  r.getenv = Env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "secret-env"},
                  {"AWS_SHARED_CREDENTIALS_FILE", file_}});
  auto c = ResolveAwsCredentials(r);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIDFLAG");
  EXPECT_EQ(c->credentials.session_token, "tok");
  EXPECT_EQ(c->source, "flags");
}

TEST_F(S3CredentialsTest, EnvironmentThenDefaultProfile) {
  CredentialRequest r;
  r.getenv = Env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "secret-env"},
                  {"AWS_SESSION_TOKEN", "tok-env"}, {"AWS_SHARED_CREDENTIALS_FILE", file_}});
  auto c = ResolveAwsCredentials(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(c->credentials.session_token, "tok-env");
  EXPECT_EQ(c->source, "environment");

  r.getenv = Env({{"AWS_SHARED_CREDENTIALS_FILE", file_}});
  c = ResolveAwsCredentials(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->credentials.access_key_id, "AKIDEFAULT0001");
  EXPECT_EQ(c->credentials.secret_access_key, "secret-default");
  EXPECT_EQ(c->profile, "default");
}

TEST_F(S3CredentialsTest, NamedProfileFromFlagOrAwsProfileAndHome) {
  CredentialRequest r;
  r.profile = "velero";
  // An explicit profile ignores keys in the environment, as the aws CLI does.
  r.getenv = Env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "secret-env"},
                  {"AWS_SHARED_CREDENTIALS_FILE", file_}});
  auto c = ResolveAwsCredentials(r);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIDVELERO0002");
  EXPECT_EQ(c->credentials.secret_access_key, "secret/velero+x=");
  EXPECT_EQ(c->credentials.session_token, "token-velero");
  EXPECT_EQ(c->source, "profile velero in " + file_);

  // $AWS_PROFILE and ~/.aws/credentials.
  std::string home = ::testing::TempDir() + "/ferry-home-" + std::to_string(counter_++);
  std::filesystem::create_directories(home + "/.aws");
  std::filesystem::copy_file(file_, home + "/.aws/credentials");
  r.profile.clear();
  r.getenv = Env({{"HOME", home}, {"AWS_PROFILE", "velero"}});
  c = ResolveAwsCredentials(r);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIDVELERO0002");
  std::filesystem::remove_all(home);
}

TEST_F(S3CredentialsTest, ClearErrorsWithoutSecrets) {
  CredentialRequest r;
  r.explicit_credentials = {"AKIDFLAG", "", ""};
  r.getenv = Env({});
  auto c = ResolveAwsCredentials(r);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("--secret-access-key"), std::string::npos);

  r.explicit_credentials = {};
  r.getenv = Env({{"AWS_SECRET_ACCESS_KEY", "secret-env"}});
  c = ResolveAwsCredentials(r);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message().find("secret-env"), std::string::npos);

  r.getenv = Env({{"AWS_SHARED_CREDENTIALS_FILE", file_}});
  r.profile = "nope";
  c = ResolveAwsCredentials(r);
  EXPECT_EQ(c.status().message(), "profile \"nope\" not found in " + file_);
  r.profile = "broken";
  c = ResolveAwsCredentials(r);
  EXPECT_NE(c.status().message().find("lacks aws_access_key_id or aws_secret_access_key"),
            std::string::npos);

  r.profile.clear();
  r.getenv = Env({{"AWS_SHARED_CREDENTIALS_FILE", file_ + ".missing"}});
  c = ResolveAwsCredentials(r);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("no S3 credentials"), std::string::npos);
}

TEST(S3IniTest, ParsesSectionsKeysAndIgnoresJunk) {
  auto ini = ParseIni("stray = line\n[a]\nk=v\n  K2  =  v 2  \nnot a pair\n[ b ]\n#c=d\nx=\n[c");
  EXPECT_EQ(ini["a"]["k"], "v");
  EXPECT_EQ(ini["a"]["k2"], "v 2");
  EXPECT_EQ(ini["b"]["x"], "");
  EXPECT_FALSE(ini["b"].contains("#c"));
  EXPECT_EQ(ini.size(), 2u);
}

TEST(S3IniTest, MaskAccessKeyId) {
  EXPECT_EQ(MaskAccessKeyId("AKIAIOSFODNN7EXAMPLE"), "****MPLE");
  EXPECT_EQ(MaskAccessKeyId("abc"), "***");
}

}  // namespace
}  // namespace ferry::blob
