#include "blob/s3_xml.h"

#include <gtest/gtest.h>

namespace ferry::blob {
namespace {

TEST(S3XmlTest, ListObjectsV2Page) {
  // Shaped like AWS's answer (namespaces, Owner, ETag entities, keys needing unescaping).
  const char* xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>r/</Prefix>
<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>r/kopia.repository</Key><LastModified>2026-11-27T16:00:11.000Z</LastModified>
<ETag>&quot;abc&quot;</ETag><Size>1093</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>r/a&amp;b&lt;&#x41;&#66;</Key><LastModified>2026-11-27T16:00:12.345Z</LastModified>
<ETag>&quot;def&quot;</ETag><Size>0</Size><Owner><ID>x</ID></Owner></Contents>
<NextContinuationToken>1ueGcx+T/wm3==</NextContinuationToken></ListBucketResult>)";
  auto page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].key, "r/kopia.repository");
  EXPECT_EQ(page->entries[0].size, 1093);
  EXPECT_EQ(page->entries[0].last_modified_unix_nanos, 1795795211LL * 1000000000);
  EXPECT_EQ(page->entries[1].key, "r/a&b<AB");
  EXPECT_EQ(page->entries[1].size, 0);
  EXPECT_EQ(page->entries[1].last_modified_unix_nanos, 1795795212LL * 1000000000 + 345000000);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcx+T/wm3==");
}

TEST(S3XmlTest, LastPageAndEmptyListing) {
  auto empty = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><Prefix/><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->entries.empty());
  EXPECT_FALSE(empty->truncated);
}

TEST(S3XmlTest, MalformedListingsAreCorruption) {
  EXPECT_EQ(ParseListObjectsV2("<Error><Code>X</Code></Error>").status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><Contents><Key>a</Key></Contents>"
                               "</ListBucketResult>").status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                               "</ListBucketResult>").status().code(),
            StatusCode::kCorruption)
      << "a truncated page without a token would loop forever";
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><Contents><Key>a</Key><Size>-1</Size>"
                               "<LastModified>2026-11-27T16:00:11Z</LastModified></Contents>"
                               "</ListBucketResult>").status().code(),
            StatusCode::kCorruption);
}

TEST(S3XmlTest, Errors) {
  S3Error e = ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The "
      "specified bucket does not exist</Message><BucketName>x</BucketName></Error>");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message, "The specified bucket does not exist");
  S3Error r = ParseS3Error(
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
      "wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>");
  EXPECT_EQ(r.region, "eu-west-1");
  EXPECT_TRUE(ParseS3Error("").code.empty());
  EXPECT_TRUE(ParseS3Error("not xml at all").code.empty());
}

TEST(S3XmlTest, Timestamps) {
  EXPECT_EQ(*ParseIso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIso8601("2000-02-29T12:34:56.5Z"), 951827696500000000LL);
  EXPECT_EQ(*ParseIso8601("2026-11-27T16:00:11.123456789Z"), 1795795211123456789LL);
  EXPECT_FALSE(ParseIso8601("2026-11-27 16:00:11Z").ok());
  EXPECT_FALSE(ParseIso8601("2026-11-27T16:00:11").ok());
  EXPECT_FALSE(ParseIso8601("2026-13-27T16:00:11Z").ok());
  EXPECT_FALSE(ParseIso8601("2026-11-27T16:00:11.Z").ok());
  EXPECT_EQ(*ParseHttpDate("Fri, 27 Nov 2026 16:00:11 GMT"), 1795795211LL * 1000000000);
  EXPECT_EQ(*ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_FALSE(ParseHttpDate("Fri, 27 Foo 2026 16:00:11 GMT").ok());
  EXPECT_FALSE(ParseHttpDate("2026-11-27T16:00:11Z").ok());
}

}  // namespace
}  // namespace ferry::blob
