#include "format/format_blob.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/key_derivation.h"

namespace ferry::format {
namespace {

Bytes Range(int from, int to) {
  Bytes b;
  for (int i = from; i <= to; ++i) b.push_back(uint8_t(i));
  return b;
}

// kopia-test-vectors.md §4.
const char* kPlaintext =
    R"({"format":{"hash":"BLAKE2B-256-128","encryption":"AES256-GCM-HMAC-SHA256","secret":"gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp8=","masterKey":"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=","version":3,"maxPackSize":20971520,"indexVersion":2,"epochParameters":{"Enabled":true,"EpochRefreshFrequency":1200000000000,"FullCheckpointFrequency":7,"CleanupSafetyMargin":14400000000000,"MinEpochDuration":86400000000000,"EpochAdvanceOnCountThreshold":20,"EpochAdvanceOnTotalSizeBytesThreshold":10485760,"DeleteParallelism":4},"enablePasswordChange":true,"splitter":"DYNAMIC-4M-BUZHASH"}})";

const char* kFormatBlob = R"({
  "tool": "https://github.com/kopia/kopia",
  "buildVersion": "v0.12.1",
  "buildInfo": "example",
  "uniqueID": "oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8=",
  "keyAlgo": "scrypt-65536-8-1",
  "encryption": "AES256_GCM",
  "encryptedBlockFormat": "EBESExQVFhcYGRobb7QQTogrMSdduBKezgHv29OQxIUsCfwlypHcUHjBblw0WzmXd2gi34ZlJL8JA8TmX7xFDwfo6QT6yG2l4dZVdPle/rOCWY7FbBRcG/zGS33UFhrSZTIJC6vcStkH7QCixQyvBoC4DJjPYPxGFhvTyES/DeYl03cfYSp39vbCOdbfTHfdgz4O/8ZmcLoU0QTxKPOoxAvH04WihLyQdt7QlQ1FTU1HXYgeZc0wj/HxZR1L9U2Q0KkGliBkXpJ8T92qiqnye5yjowoPl3UX2YAXeN1oXOc8DjIm+sHqiGNjSTJdBVCc1ZSTcqfiD34kCsy/67Z+Z7gGQn8ugBXRLQI0z1/jYsgxf+vI7AaGXoK3OH6F5DscDesxQv5OcPWeUj27DZ+yLhAj8gnx677k7jKA0CkNGsgKkUaGAOxSbV6XK4JlhaA56sCCmrVbkpH2o27RuYVNZAUcSbz7y2tJVcO4QqeyMXGTmj0EHSmPY7KStyCMuc25NN0jhgEWkbMXlb2RYHrEgg7fB4YeeSgTKgcHMpBt5BM7RdVXnbNZ531pYrOEosjc8oUgvWGl8EBP191n1UxS6CkDvQTB9IQgSjNEUhM39M8tFJh8IRn1Y6NddT5YxV1okTZXy7p/ZJoyrl39AJIHDICIk59yfvh1a17l1gJdL2VQzfBte1N1nXq5AQ6BHDO7CKEcFqYCBzkDMS2B08jdujv7ZPmOy85EwLt7xWYmnEWFR2knMVFmmDMFvUpmCoV+y9l7Uz/mtbSSvslUqbbydnTpYX9O8wDBNMExqgWNUg=="
}
)";

class FormatBlobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    format_key_ = new Bytes(*crypto::DeriveFormatKey("scrypt-65536-8-1", "kopia-test-password", Range(0xa0, 0xbf)));
  }
  static void TearDownTestSuite() { delete format_key_; }
  static Bytes* format_key_;
};
Bytes* FormatBlobTest::format_key_ = nullptr;

TEST_F(FormatBlobTest, DecryptsTheVector) {
  auto blob = ParseFormatBlob(AsBytes(kFormatBlob));
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(blob->key_algo, "scrypt-65536-8-1");
  EXPECT_EQ(blob->unique_id, Range(0xa0, 0xbf));
  auto config = DecryptRepositoryConfig(*blob, *format_key_);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->hash, "BLAKE2B-256-128");
  EXPECT_EQ(config->encryption, "AES256-GCM-HMAC-SHA256");
  EXPECT_EQ(config->secret, Range(0x80, 0x9f));
  EXPECT_EQ(config->master_key, Range(0x40, 0x5f));
  EXPECT_EQ(config->version, 3);
  EXPECT_EQ(config->max_pack_size, 20971520);
  EXPECT_EQ(config->index_version, 2);
  EXPECT_TRUE(config->epoch.enabled);
  EXPECT_EQ(config->epoch.min_epoch_duration_ns, 86400000000000);
  EXPECT_EQ(config->splitter, "DYNAMIC-4M-BUZHASH");
  EXPECT_TRUE(config->Validate().ok());
  // Serializing it again gives kopia's exact bytes.
  EXPECT_EQ(SerializeRepositoryConfig(*config), kPlaintext);
}

TEST_F(FormatBlobTest, EncryptsTheVectorByteForByte) {
  FormatBlob blob;
  blob.build_version = "v0.12.1";
  blob.build_info = "example";
  blob.unique_id = Range(0xa0, 0xbf);
  blob.key_algo = "scrypt-65536-8-1";
  auto config = ParseRepositoryConfig(kPlaintext);
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(EncryptRepositoryConfig(*config, *format_key_, &blob, Range(0x10, 0x1b)).ok());
  Bytes out = SerializeFormatBlob(blob);
  EXPECT_EQ(AsString(out), kFormatBlob);
}

TEST_F(FormatBlobTest, WrongPasswordIsAnAuthenticationError) {
  auto blob = ParseFormatBlob(AsBytes(kFormatBlob));
  auto wrong = crypto::DeriveFormatKey("scrypt-65536-8-1", "not-the-password", blob->unique_id);
  auto config = DecryptRepositoryConfig(*blob, *wrong);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kAuthentication);
}

TEST_F(FormatBlobTest, BlobConfigVector) {
  auto blob = ParseFormatBlob(AsBytes(kFormatBlob));
  auto sealed = EncryptBlobStorageConfig(BlobStorageConfig{}, *blob, *format_key_, Range(0x20, 0x2b));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(HexEncode(*sealed), "202122232425262728292a2b405be5a9a33cc7d713daf3c3a13f8c47add8");
  auto back = DecryptBlobStorageConfig(*sealed, *blob, *format_key_);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->retention_enabled());
  BlobStorageConfig locked{"COMPLIANCE", 86400 * format::kNanosPerSecond};
  auto sealed2 = EncryptBlobStorageConfig(locked, *blob, *format_key_);
  auto back2 = DecryptBlobStorageConfig(*sealed2, *blob, *format_key_);
  EXPECT_EQ(back2->retention_mode, "COMPLIANCE");
  EXPECT_EQ(back2->retention_period_ns, 86400 * format::kNanosPerSecond);
}

TEST(RepositoryConfigTest, UnsupportedVersionAndDefaults) {
  auto v4 = ParseRepositoryConfig(R"({"format":{"hash":"x","encryption":"y","version":4}})");
  ASSERT_FALSE(v4.ok());
  EXPECT_EQ(v4.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(v4.status().message().find("version 4"), std::string::npos);
  auto v1 = ParseRepositoryConfig(R"({"format":{"hash":"x","encryption":"y","version":1}})");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->index_version, 1);
  EXPECT_EQ(v1->max_pack_size, kDefaultMaxPackSize);
  EXPECT_EQ(v1->splitter, "FIXED");
  EXPECT_FALSE(v1->epoch.enabled);
  EXPECT_FALSE(ParseRepositoryConfig("not json").ok());
  EXPECT_FALSE(ParseRepositoryConfig(R"({"format":{"version":"three"}})").ok());
}

TEST(RepositoryConfigTest, KeepsUpgradeLockAndRequiredFeatures) {
  const char* text =
      R"({"format":{"hash":"h","encryption":"e","version":3,"epochParameters":{"Enabled":true},"enablePasswordChange":true,"upgradeLock":{"ownerID":"me","message":"upgrading"},"requiredFeatures":[{"feature":"index-v2","ifNotUnderstood":{"warn":true,"message":"m"}}]}})";
  auto c = ParseRepositoryConfig(text);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_NE(c->upgrade_lock_json.find("\"ownerID\":\"me\""), std::string::npos);
  ASSERT_EQ(c->required_features.size(), 1u);
  EXPECT_EQ(c->required_features[0].feature, "index-v2");
  EXPECT_TRUE(c->required_features[0].warn);
  std::string again = SerializeRepositoryConfig(*c);
  EXPECT_NE(again.find("\"upgradeLock\":{\"ownerID\":\"me\",\"message\":\"upgrading\"}"), std::string::npos) << again;
  EXPECT_NE(again.find("\"requiredFeatures\":[{\"feature\":\"index-v2\""), std::string::npos) << again;
}

TEST(FormatBlobParseTest, GarbageIsCorruption) {
  EXPECT_EQ(ParseFormatBlob(AsBytes("{nope")).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseFormatBlob(AsBytes("{}")).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseFormatBlob(AsBytes(R"({"uniqueID": 5})")).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace ferry::format
