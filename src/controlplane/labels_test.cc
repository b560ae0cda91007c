#include "controlplane/labels.h"

#include <gtest/gtest.h>

#include "controlplane/node_agent_config.h"

namespace ferry::controlplane {
namespace {

TEST(Labels, ShortValuesAreKept) {
  EXPECT_EQ(SanitizeLabelValue("nightly"), "nightly");
  std::string exactly63(63, 'a');
  EXPECT_EQ(SanitizeLabelValue(exactly63), exactly63);
}

TEST(Labels, LongValuesGetTheSha256Suffix) {
  // An operation id (du-<backup uid>.<pvc uid>) as Velero's DMP writes it; the expected value was
  // computed with Python's hashlib: value[:57] + sha256(value).hexdigest()[:6].
  std::string id = "du-8f1c2a7e-5b3d-4c2a-9e1f-0a1b2c3d4e5f.3c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f";
  std::string s = SanitizeLabelValue(id);
  EXPECT_EQ(s, "du-8f1c2a7e-5b3d-4c2a-9e1f-0a1b2c3d4e5f.3c9d8e7f-6a5b-4c3568b74");
  EXPECT_EQ(s.size(), 63u);
  EXPECT_NE(SanitizeLabelValue(id + "x"), s);
}

TEST(Labels, SourcePath) {
  EXPECT_EQ(DataMoverSourcePath("app", "mysql"), "snapshot-data-upload-download/kopia/app/mysql");
}

TEST(NodeAgentConfig, GlobalAndPerNodeSmallestWins) {
  std::map<std::string, std::string> node = {{"kubernetes.io/hostname", "node-1"}, {"zone", "a"}};
  EXPECT_EQ(LoadConcurrencyFromJson("{}", node), 1);
  EXPECT_EQ(LoadConcurrencyFromJson(R"({"loadConcurrency":{"globalConfig":3}})", node), 3);
  EXPECT_EQ(LoadConcurrencyFromJson(R"({"loadConcurrency":{"globalConfig":0}})", node), 1);
  std::string rules = R"({"loadConcurrency":{"globalConfig":4,"perNodeConfig":[
      {"nodeSelector":{"matchLabels":{"zone":"a"}},"number":3},
      {"nodeSelector":{"matchLabels":{"kubernetes.io/hostname":"node-1"}},"number":2},
      {"nodeSelector":{"matchLabels":{"zone":"b"}},"number":1},
      {"nodeSelector":{"matchLabels":{"zone":"a"}},"number":0},
      {"number":1}]}})";
  EXPECT_EQ(LoadConcurrencyFromJson(rules, node), 2);  // zone b does not match; invalid rules skipped
  EXPECT_EQ(LoadConcurrencyFromJson(rules, {{"zone", "c"}}), 4);
  EXPECT_EQ(LoadConcurrencyFromJson("not json", node), 1);
}

}  // namespace
}  // namespace ferry::controlplane
