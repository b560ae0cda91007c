// The S3 backend through the real build/ferry binary, as Velero's node agent or a user would run
// it, against moto: `repository create|connect s3` under a Velero-style prefix, what lands in the
// bucket (listed with boto3 as a second opinion), `repository status` with masked secrets, the
// three credential sources, and the one-line errors that must leave the bucket untouched.
//
// (This test lives with the S3 backend rather than in src/cli so that it can share the moto
// fixture; it only runs the binary.)
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "blob/testing/moto_server.h"
#include "cli/test_util.h"

namespace ferry::blob {
namespace {

using ferry::testing::Output;
using ferry::testing::RunShell;
using ferry::testing::TempDir;
using testing::MotoServer;

class S3CliTest : public ::testing::Test {
 protected:
  S3CliTest() : dir_("s3-cli") {}
  void SetUp() override {
    moto_ = MotoServer::Shared();
    ASSERT_NE(moto_, nullptr);
  }
  std::string Config() const { return dir_.str() + "/repository.config"; }
  // Runs ferry with a clean AWS environment (no keys, no profile, HOME in the temp dir).
  Output Ferry(const std::string& args, const std::string& env = "") {
    std::string cmd = "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN "
                      "-u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE -u KOPIA_PASSWORD "
                      "-u FERRY_PASSWORD HOME=" + dir_.str() + " " + env + " " +
                      ferry::testing::FerryBinary() + " --config-file=" + Config() + " " + args;
    return RunShell(cmd);
  }
  std::string S3Flags(const std::string& prefix, bool with_keys = true) const {
    std::string f = "--bucket=ferry-test --endpoint=" + moto_->endpoint() +
                    " --disable-tls --prefix=" + prefix;
    if (with_keys) {
      f += " --access-key=" + moto_->credentials().access_key_id +
           " --secret-access-key=" + moto_->credentials().secret_access_key;
    }
    return f;
  }
  // Every key in the bucket, by boto3 (listed without a prefix parameter: see MotoServer).
  std::set<std::string> BucketKeys() {
    auto out = moto_->RunPython(
        "import os, boto3\n"
        "s3 = boto3.client('s3', endpoint_url=os.environ['FERRY_S3_ENDPOINT'], "
        "region_name='us-east-1')\n"
        "for page in s3.get_paginator('list_objects_v2').paginate(Bucket='ferry-test'):\n"
        "    for o in page.get('Contents', []):\n"
        "        print(o['Key'])\n");
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    std::set<std::string> keys;
    std::istringstream lines(out.ok() ? *out : "");
    for (std::string line; std::getline(lines, line);) keys.insert(line);
    return keys;
  }
  static int CountLines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  TempDir dir_;
  MotoServer* moto_ = nullptr;
};

TEST_F(S3CliTest, CreateUnderVeleroPrefixThenStatusAndConnect) {
  // moto cannot check signatures of listings under a prefix with '/' (MotoServer::SetAuth).
  ASSERT_TRUE(moto_->SetAuth(false).ok());
  const std::string prefix = "velero/kopia/ns1/";
  std::set<std::string> before = BucketKeys();
  Output c = Ferry("repository create s3 " + S3Flags(prefix) + " --password=pw");
  ASSERT_EQ(c.exit_code, 0) << c.text;
  EXPECT_NE(c.text.find("Connected to repository."), std::string::npos) << c.text;

  std::set<std::string> after = BucketKeys();
  std::vector<std::string> created;
  for (const auto& k : after) {
    if (!before.contains(k)) created.push_back(k);
  }
  std::string listing;
  for (const auto& k : created) listing += "  " + k + "\n";
  std::printf("bucket ferry-test after `repository create s3 --prefix=%s` (boto3):\n%s",
              prefix.c_str(), listing.c_str());
  EXPECT_TRUE(after.contains(prefix + "kopia.repository")) << listing;
  EXPECT_TRUE(after.contains(prefix + "kopia.blobcfg")) << listing;
  for (const auto& k : created) {
    EXPECT_TRUE(k.starts_with(prefix)) << "written outside the prefix: " << k;
    EXPECT_EQ(k.find('/', prefix.size()), std::string::npos) << "blob IDs are flat: " << k;
  }

  // The config file holds the keys (as kopia's does), so it is private.
  struct stat st {};
  ASSERT_EQ(stat(Config().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream cfg_in(Config());
  auto cfg = nlohmann::json::parse(cfg_in);
  EXPECT_EQ(cfg["storage"]["type"], "s3");
  EXPECT_EQ(cfg["storage"]["config"]["bucket"], "ferry-test");
  EXPECT_EQ(cfg["storage"]["config"]["prefix"], prefix);
  EXPECT_EQ(cfg["storage"]["config"]["doNotUseTLS"], true);

  Output s = Ferry("repository status");
  ASSERT_EQ(s.exit_code, 0) << s.text;
  const std::string secret = moto_->credentials().secret_access_key;
  for (const std::string& line : std::vector<std::string>{
        std::string("Storage type:        s3\n"),
        std::string("Storage config:      {\n"),
        std::string("                       \"bucket\": \"ferry-test\",\n"),
        "                       \"prefix\": \"" + prefix + "\",\n",
        "                       \"endpoint\": \"" + moto_->endpoint() + "\",\n",
        std::string("                       \"doNotUseTLS\": true,\n"),
        "                       \"accessKeyID\": \"" + moto_->credentials().access_key_id +
            "\",\n",
        "                       \"secretAccessKey\": \"" + std::string(secret.size(), '*') + "\",\n",
        std::string("                       \"sessionToken\": \"\",\n"),
        std::string("Hash:                BLAKE2B-256-128\n"),
        std::string("Encryption:          AES256-GCM-HMAC-SHA256\n"),
        std::string("Splitter:            DYNAMIC-4M-BUZHASH\n"),
        std::string("Format version:      3\n")}) {
    EXPECT_NE(s.text.find(line), std::string::npos) << line << "\n" << s.text;
  }
  EXPECT_EQ(s.text.find(secret), std::string::npos) << "the secret must never be printed";
  // kopia's wording: "Repository in " + DisplayName() = "S3: <endpoint> <bucket>".
  EXPECT_NE(s.text.find("Description:         Repository in S3: " + moto_->endpoint() +
                        " ferry-test\n"),
            std::string::npos)
      << s.text;

  // A second create refuses; disconnect and connect again.
  Output again = Ferry("repository create s3 " + S3Flags(prefix) + " --password=pw");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.text.find("found an existing repository"), std::string::npos) << again.text;
  ASSERT_EQ(Ferry("repository disconnect").exit_code, 0);
  Output conn = Ferry("repository connect s3 " + S3Flags(prefix) + " --password=pw");
  ASSERT_EQ(conn.exit_code, 0) << conn.text;
  EXPECT_EQ(Ferry("repository status").exit_code, 0);
  Output wrong_pw = Ferry("repository connect s3 " + S3Flags(prefix) + " --password=nope");
  EXPECT_EQ(wrong_pw.exit_code, 1);
  EXPECT_EQ(wrong_pw.text, "ferry: error: wrong password for repository at s3://ferry-test/" +
                               prefix + "\n");
}

TEST_F(S3CliTest, CredentialsFromEnvironmentAndProfile) {
  // A prefix without '/', so that moto checks every signature, listings included.
  ASSERT_TRUE(moto_->SetAuth(true).ok());
  const std::string prefix = "kopia-creds-";
  const AwsCredentials& k = moto_->credentials();
  ASSERT_EQ(Ferry("repository create s3 " + S3Flags(prefix) + " --password=pw").exit_code, 0);
  ASSERT_EQ(Ferry("repository disconnect").exit_code, 0);

  // Environment: the keys are stored like flags are (kopia reads them through its flags too).
  Output env = Ferry("repository connect s3 " + S3Flags(prefix, false) + " --password=pw",
                     "AWS_ACCESS_KEY_ID=" + k.access_key_id +
                         " AWS_SECRET_ACCESS_KEY=" + k.secret_access_key);
  ASSERT_EQ(env.exit_code, 0) << env.text;
  ASSERT_EQ(Ferry("repository disconnect").exit_code, 0);

  // A profile: only its name is stored, the file is read again at every open.
  std::string creds = dir_.str() + "/aws-credentials";
  std::ofstream(creds) << "[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = x\n"
                       << "[velero]\naws_access_key_id = " << k.access_key_id
                       << "\naws_secret_access_key = " << k.secret_access_key << "\n";
  Output prof = Ferry("repository connect s3 " + S3Flags(prefix, false) +
                          " --profile=velero --password=pw",
                      "AWS_SHARED_CREDENTIALS_FILE=" + creds);
  ASSERT_EQ(prof.exit_code, 0) << prof.text;
  std::ifstream cfg_in(Config());
  std::string cfg((std::istreambuf_iterator<char>(cfg_in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(cfg.find(k.secret_access_key), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("\"profile\": \"velero\""), std::string::npos) << cfg;
  Output s = Ferry("repository status");  // no AWS_* variables: the stored file path is used
  ASSERT_EQ(s.exit_code, 0) << s.text;
  EXPECT_NE(s.text.find("\"profile\": \"velero\""), std::string::npos) << s.text;
  EXPECT_EQ(s.text.find(k.secret_access_key), std::string::npos);

  // The default profile has wrong keys: refused.
  ASSERT_EQ(Ferry("repository disconnect").exit_code, 0);
  Output bad = Ferry("repository connect s3 " + S3Flags(prefix, false) + " --password=pw",
                     "AWS_SHARED_CREDENTIALS_FILE=" + creds);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.text.find("(InvalidAccessKeyId)"), std::string::npos) << bad.text;
}

// Each mistake: exit 1, one line naming what is wrong, nothing written anywhere.
TEST_F(S3CliTest, ErrorsAreOneLineAndCreateNothing) {
  ASSERT_TRUE(moto_->SetAuth(true).ok());
  const std::string prefix = "velero/kopia/ns2/";
  const std::string endpoint = moto_->endpoint();
  auto closed_port = testing::PickFreeLoopbackPort();
  ASSERT_TRUE(closed_port.ok());
  const std::string keys = " --access-key=" + moto_->credentials().access_key_id +
                           " --secret-access-key=" + moto_->credentials().secret_access_key;
  struct Case {
    std::string name, args, expected_start;
  };
  const std::vector<Case> cases = {
      {"wrong secret",
       "--bucket=ferry-test --endpoint=" + endpoint + " --disable-tls --prefix=" + prefix +
           " --access-key=" + moto_->credentials().access_key_id +
           " --secret-access-key=not-the-secret",
       "ferry: error: access denied to bucket ferry-test at http://" + endpoint + " (prefix " +
           prefix + "): check the access key and secret (SignatureDoesNotMatch)\n"},
      {"missing bucket",
       "--bucket=no-such-bucket --endpoint=" + endpoint + " --disable-tls --prefix=" + prefix +
           keys,
       "ferry: error: bucket no-such-bucket does not exist at http://" + endpoint + "\n"},
      {"unreachable endpoint",
       "--bucket=ferry-test --endpoint=127.0.0.1:" + std::to_string(*closed_port) +
           " --disable-tls --prefix=" + prefix + keys,
       "ferry: error: cannot connect to S3 endpoint http://127.0.0.1:" +
           std::to_string(*closed_port) + ": "},
      {"https to an http port",
       "--bucket=ferry-test --endpoint=" + endpoint + " --prefix=" + prefix + keys,
       "ferry: error: TLS connection to S3 endpoint https://" + endpoint + " failed: "},
      {"no credentials",
       "--bucket=ferry-test --endpoint=" + endpoint + " --disable-tls --prefix=" + prefix,
       "ferry: error: no S3 credentials: pass --access-key and --secret-access-key, set "
       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a [default] profile to "},
  };
  const std::set<std::string> before = BucketKeys();
  for (const Case& c : cases) {
    for (const char* verb : {"create", "connect"}) {
      Output out = Ferry(std::string("repository ") + verb + " s3 " + c.args + " --password=pw");
      EXPECT_EQ(out.exit_code, 1) << c.name << ": " << out.text;
      EXPECT_TRUE(out.text.starts_with(c.expected_start))
          << c.name << "\n got: " << out.text << "want: " << c.expected_start;
      EXPECT_EQ(CountLines(out.text), 1) << c.name << ": " << out.text;
      EXPECT_EQ(out.text.find("not-the-secret"), std::string::npos);
      EXPECT_FALSE(std::filesystem::exists(Config())) << c.name;
    }
  }
  EXPECT_EQ(BucketKeys(), before) << "a failed create must not write to the bucket";
}

}  // namespace
}  // namespace ferry::blob
