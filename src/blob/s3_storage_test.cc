// S3 storage against a real S3 server (moto on loopback, started by the test): the conformance
// suite as more parameters, then what is particular to S3: continuation pages, the key layout
// kopia expects (checked with boto3 as a second opinion), object lock, storage classes, and the
// one-line errors for wrong keys, missing buckets, unreachable endpoints and TLS mismatches.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "blob/fault_injecting_storage.h"
#include "blob/retrying_storage.h"
#include "blob/s3_credentials.h"
#include "blob/s3_storage.h"
#include "blob/storage_conformance.h"
#include "blob/testing/moto_server.h"

namespace ferry::blob {
namespace {

using testing::MotoServer;
using testutil::PatternBytes;

// A prefix no other test (or earlier run against the same server) uses, so that every storage
// starts empty.
std::string UniquePrefix(const std::string& stem, const std::string& separator) {
  static std::atomic<int> counter{0};
  return stem + std::to_string(getpid()) + "-" + std::to_string(counter++) + separator;
}

Result<std::shared_ptr<Storage>> OpenShared(S3Options o) {
  FERRY_ASSIGN_OR_RETURN(auto s, S3Storage::Open(std::move(o)));
  return std::shared_ptr<Storage>(std::move(s));
}

// Signatures checked by moto; a flat prefix, small pages so that listings continue.
Result<std::shared_ptr<Storage>> MakeS3Moto(const std::string&) {
  MotoServer* moto = MotoServer::Shared();
  if (!moto) return Status::Internal("no moto server");
  FERRY_RETURN_IF_ERROR(moto->SetAuth(true));
  S3Options o = moto->OptionsFor("ferry-test", UniquePrefix("conf", "-"));
  o.list_page_size = 5;
  return OpenShared(std::move(o));
}

// A Velero-style directory prefix. moto cannot verify listing signatures when the prefix holds
// '/' (MotoServer::SetAuth), so authentication is off for this variant.
Result<std::shared_ptr<Storage>> MakeS3MotoDirectoryPrefix(const std::string&) {
  MotoServer* moto = MotoServer::Shared();
  if (!moto) return Status::Internal("no moto server");
  FERRY_RETURN_IF_ERROR(moto->SetAuth(false));
  S3Options o = moto->OptionsFor("ferry-test", UniquePrefix("velero/kopia/ns", "/"));
  o.list_page_size = 3;
  return OpenShared(std::move(o));
}

// Virtual-hosted addressing: bucket.localhost:PORT (libcurl resolves *.localhost to loopback).
Result<std::shared_ptr<Storage>> MakeS3MotoVirtualHosted(const std::string&) {
  MotoServer* moto = MotoServer::Shared();
  if (!moto) return Status::Internal("no moto server");
  FERRY_RETURN_IF_ERROR(moto->SetAuth(true));
  S3Options o = moto->OptionsFor("ferry-test", UniquePrefix("vh", "-"));
  o.endpoint = "localhost:" + std::to_string(moto->port());
  o.addressing = S3AddressingStyle::kVirtual;
  return OpenShared(std::move(o));
}

// The S3 backend under injected failures, hidden by a retrying wrapper.
Result<std::shared_ptr<Storage>> MakeS3MotoFlakyRetrying(const std::string&) {
  MotoServer* moto = MotoServer::Shared();
  if (!moto) return Status::Internal("no moto server");
  FERRY_RETURN_IF_ERROR(moto->SetAuth(true));
  S3Options o = moto->OptionsFor("ferry-test", UniquePrefix("flaky", "-"));
  o.list_page_size = 4;
  FERRY_ASSIGN_OR_RETURN(auto s3, OpenShared(std::move(o)));
  auto faults = std::make_shared<FaultInjectingStorage>(std::move(s3), 11);
  for (Op op : {Op::kPut, Op::kGet, Op::kGetMetadata, Op::kDelete, Op::kList}) {
    faults->SetFailureProbability(op, 0.05);
  }
  RetryOptions retry;
  retry.max_attempts = 8;
  retry.initial_delay = std::chrono::microseconds(100);
  retry.max_delay = std::chrono::milliseconds(1);
  return std::shared_ptr<Storage>(std::make_shared<RetryingStorage>(std::move(faults), retry));
}

INSTANTIATE_TEST_SUITE_P(
    S3, StorageConformanceTest,
    ::testing::Values(StorageFactory{"s3_moto", MakeS3Moto},
                      StorageFactory{"s3_moto_directory_prefix", MakeS3MotoDirectoryPrefix},
                      StorageFactory{"s3_moto_virtual_hosted", MakeS3MotoVirtualHosted},
                      StorageFactory{"s3_moto_flaky_retrying", MakeS3MotoFlakyRetrying}),
    StorageFactoryName);

class S3StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    moto_ = MotoServer::Shared();
    ASSERT_NE(moto_, nullptr);
    ASSERT_TRUE(moto_->SetAuth(true).ok());
  }
  std::unique_ptr<S3Storage> Open(S3Options o) {
    auto s = S3Storage::Open(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Runs python with boto3 against the server; the script sees ENDPOINT and `s3`.
  std::string Boto(const std::string& body) {
    std::string code =
        "import os, json, boto3\n"
        "s3 = boto3.client('s3', endpoint_url=os.environ['FERRY_S3_ENDPOINT'], "
        "region_name='us-east-1')\n" +
        body;
    auto out = moto_->RunPython(code);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : "";
  }
  MotoServer* moto_ = nullptr;
};

TEST_F(S3StorageTest, ListingContinuesPastOneThousandKeys) {
  S3Options o = moto_->OptionsFor("ferry-test", UniquePrefix("many", "-"));
  o.list_page_size = 100;
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  constexpr int kBlobs = 1050;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kBlobs; i += 8) {
        char id[32];
        std::snprintf(id, sizeof(id), "p%05d", i);
        if (!s->PutBlob(id, PatternBytes(static_cast<size_t>(i % 7), i)).ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);

  int64_t before = s->stats().requests;
  auto all = s->ListAllBlobs("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), static_cast<size_t>(kBlobs));
  std::set<std::string> ids;
  for (const auto& m : *all) {
    ids.insert(m.id);
    int i = std::stoi(m.id.substr(1));
    EXPECT_EQ(m.length, i % 7) << m.id;
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kBlobs)) << "no blob listed twice";
  EXPECT_EQ(s->stats().requests - before, 11) << "1050 keys in pages of 100";

  // S3's own page size (1000): two pages for all, one for exactly 1000.
  S3Options big = o;
  big.list_page_size = 1000;
  auto s2 = Open(big);
  ASSERT_NE(s2, nullptr);
  before = s2->stats().requests;
  auto everything = s2->ListAllBlobs("");
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->size(), static_cast<size_t>(kBlobs));
  EXPECT_EQ(s2->stats().requests - before, 2);
  before = s2->stats().requests;
  auto again = s2->ListAllBlobs("p00");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 1000u);
  EXPECT_EQ(s2->stats().requests - before, 1);
  auto prefixed = s2->ListAllBlobs("p010");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->size(), 50u);

  // A callback error stops the listing mid-way (second page) and is returned as is.
  int calls = 0;
  Status stop = s->ListBlobs("", [&](const BlobMetadata&) {
    return ++calls == 150 ? Status::Cancelled("stop") : Status::OK();
  });
  EXPECT_EQ(stop.code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 150);
}

TEST_F(S3StorageTest, KeysAndHeadersAreWhatKopiaWrites) {
  const std::string prefix = UniquePrefix("layout", "/");
  auto s = Open(moto_->OptionsFor("ferry-test", prefix));
  ASSERT_NE(s, nullptr);
  const Bytes data = PatternBytes(3000, 5);
  ASSERT_TRUE(s->PutBlob("kopia.repository", data).ok());
  ASSERT_TRUE(s->PutBlob("p0123456789abcdef-s01", PatternBytes(10, 6)).ok());
  // boto3's view: exact keys (no sharding, no suffix), content type, ETag = MD5 of the body.
  // (Listed without a prefix parameter: moto's signature check cannot handle '/' in it.)
  std::string out = Boto(
      "keys = [o['Key'] for o in s3.list_objects_v2(Bucket='ferry-test')['Contents'] "
      "if o['Key'].startswith('" + prefix + "')]\n"
      "print(json.dumps(sorted(keys), separators=(',', ':')))\n"
      "h = s3.head_object(Bucket='ferry-test', Key='" + prefix + "kopia.repository')\n"
      "print(h['ContentType'], h['ETag'].strip('\"'), h['ContentLength'])\n"
      "s3.put_object(Bucket='ferry-test', Key='" + prefix + "xn0_written-by-boto', Body=b'hello')\n");
  std::istringstream lines(out);
  std::string keys, type, etag;
  int64_t length = 0;
  lines >> keys >> type >> etag >> length;
  EXPECT_EQ(keys, "[\"" + prefix + "kopia.repository\",\"" + prefix + "p0123456789abcdef-s01\"]")
      << out;
  EXPECT_EQ(type, "application/x-kopia");
  auto md5 = Base64Decode(Md5Base64(data));
  ASSERT_TRUE(md5.ok());
  EXPECT_EQ(etag, HexEncode(*md5));
  EXPECT_EQ(length, 3000);
  // And what boto3 wrote, ferry reads.
  auto hello = s->GetBlob("xn0_written-by-boto");
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_EQ(AsString(*hello), "hello");
}

TEST_F(S3StorageTest, ObjectLockRetentionHeaders) {
  const std::string prefix = UniquePrefix("lock", "-");
  auto s = Open(moto_->OptionsFor("ferry-lock", prefix));
  ASSERT_NE(s, nullptr);
  PutOptions lock;
  lock.retention_mode = "GOVERNANCE";
  lock.retention_period_seconds = 3600;
  ASSERT_TRUE(s->PutBlob("p1", PatternBytes(100, 1), lock).ok());
  ASSERT_TRUE(s->PutBlob("q1", PatternBytes(100, 2)).ok());
  // (HEAD shows the lock; moto's GetObjectRetention is broken in server mode.)
  std::string out = Boto(
      "import datetime\n"
      "h = s3.head_object(Bucket='ferry-lock', Key='" + prefix + "p1')\n"
      "left = (h['ObjectLockRetainUntilDate'] - datetime.datetime.now(datetime.timezone.utc))"
      ".total_seconds()\n"
      "print(h['ObjectLockMode'], 3500 < left <= 3600)\n"
      "h = s3.head_object(Bucket='ferry-lock', Key='" + prefix + "q1')\n"
      "print('q1-locked' if 'ObjectLockMode' in h else 'q1-unlocked')\n");
  EXPECT_EQ(out, "GOVERNANCE True\nq1-unlocked\n");
  PutOptions lower_case;
  lower_case.retention_mode = "governance";
  lower_case.retention_period_seconds = 60;
  EXPECT_EQ(s->PutBlob("p2", PatternBytes(1, 1), lower_case).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(S3StorageTest, StorageConfigSelectsStorageClass) {
  const std::string prefix = UniquePrefix("sc", "-");
  Boto("s3.put_object(Bucket='ferry-test', Key='" + prefix +
       ".storageconfig', Body=json.dumps({'blobOptions': [{'prefix': 'p', 'storageClass': "
       "'STANDARD_IA'}]}).encode())\n");
  auto s = Open(moto_->OptionsFor("ferry-test", prefix));
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->PutBlob("p1", PatternBytes(10, 1)).ok());
  ASSERT_TRUE(s->PutBlob("q1", PatternBytes(10, 2)).ok());
  std::string out = Boto("for k in ['p1', 'q1']:\n"
                         "    print(s3.head_object(Bucket='ferry-test', Key='" + prefix +
                         "' + k).get('StorageClass', 'STANDARD'))\n");
  EXPECT_EQ(out, "STANDARD_IA\nSTANDARD\n");
  // The storage config is not a blob.
  auto all = s->ListAllBlobs("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(S3StorageTest, ConfigHasNoSecrets) {
  S3Options o = moto_->OptionsFor("ferry-test", UniquePrefix("cfg", "/"));
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  auto config = s->Config();
  EXPECT_EQ(config["type"], "s3");
  EXPECT_EQ(config["bucket"], "ferry-test");
  EXPECT_EQ(config["endpoint"], moto_->endpoint());
  EXPECT_EQ(config["region"], "us-east-1");
  EXPECT_EQ(config["doNotUseTLS"], "true");
  EXPECT_EQ(config["accessKeyID"], MaskAccessKeyId(o.credentials.access_key_id));
  for (const auto& [k, v] : config) {
    EXPECT_EQ(v.find(o.credentials.secret_access_key), std::string::npos) << k;
    EXPECT_EQ(v.find(o.credentials.access_key_id), std::string::npos) << k;
  }
  EXPECT_EQ(s->DisplayName(), "S3: " + moto_->endpoint() + " ferry-test");
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(s->PutBlob("xe" + std::to_string(i), {}).ok());
  // moto answers "Connection: close", so each request has its own connection here (reuse is
  // checked through the keep-alive fault proxy, S3FaultTest.KeptAliveConnectionsAreReused).
  EXPECT_LE(s->stats().connections_opened, s->stats().requests);
  EXPECT_GE(s->stats().connections_opened, 1);
  EXPECT_EQ(s->stats().retries, 0);
}

// A GET writes its body straight into the caller's buffer: one that is large enough is reused
// as is (same memory, no allocation), whatever it held before is gone, and an error leaves it
// empty, not holding the error document.
TEST_F(S3StorageTest, GetWritesIntoTheCallersBuffer) {
  auto s = Open(moto_->OptionsFor("ferry-test", UniquePrefix("sink", "-")));
  ASSERT_NE(s, nullptr);
  const Bytes big = PatternBytes(3 << 20, 1), small = PatternBytes(1000, 2);
  ASSERT_TRUE(s->PutBlob("pbig", big).ok());
  ASSERT_TRUE(s->PutBlob("psmall", small).ok());
  Bytes out;
  ASSERT_TRUE(s->GetBlob("pbig", 0, -1, &out).ok());
  EXPECT_EQ(out, big);
  const uint8_t* memory = out.data();
  ASSERT_TRUE(s->GetBlob("psmall", 0, -1, &out).ok());
  EXPECT_EQ(out, small);
  ASSERT_TRUE(s->GetBlob("pbig", 100, 200000, &out).ok());
  EXPECT_EQ(out, Bytes(big.begin() + 100, big.begin() + 200100));
  ASSERT_TRUE(s->GetBlob("pbig", 0, -1, &out).ok());
  EXPECT_EQ(out, big);
  EXPECT_EQ(out.data(), memory) << "a buffer large enough is reused";
  Status missing = s->GetBlob("pmissing", 0, -1, &out);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  EXPECT_TRUE(out.empty());
  Status beyond = s->GetBlob("psmall", 2000, 10, &out);
  EXPECT_EQ(beyond.code(), StatusCode::kInvalidArgument) << beyond.ToString();
  EXPECT_TRUE(out.empty());
}

// Errors that retrying cannot fix: one line naming what is wrong, returned quickly.
class S3ErrorTest : public S3StorageTest {};

TEST_F(S3ErrorTest, WrongSecretOrUnknownKey) {
  S3Options o = moto_->OptionsFor("ferry-test", "velero/kopia/ns1/");
  o.credentials.secret_access_key = "wrong-secret";
  auto s = S3Storage::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kAuthentication);
  EXPECT_EQ(s.status().message(),
            "access denied to bucket ferry-test at http://" + moto_->endpoint() +
                " (prefix velero/kopia/ns1/): check the access key and secret "
                "(SignatureDoesNotMatch)");
  EXPECT_EQ(s.status().message().find("wrong-secret"), std::string::npos);
  o = moto_->OptionsFor("ferry-test", "");
  o.credentials.access_key_id = "AKIANOSUCHKEY0000000";
  s = S3Storage::Open(o);
  EXPECT_EQ(s.status().message(), "access denied to bucket ferry-test at http://" +
                                      moto_->endpoint() +
                                      ": check the access key and secret (InvalidAccessKeyId)");
}

TEST_F(S3ErrorTest, MissingBucket) {
  auto s = S3Storage::Open(moto_->OptionsFor("no-such-bucket", "x/"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "bucket no-such-bucket does not exist at http://" + moto_->endpoint());
}

TEST_F(S3ErrorTest, UnreachableEndpointFailsFast) {
  auto port = testing::PickFreeLoopbackPort();  // nothing listens there
  ASSERT_TRUE(port.ok());
  S3Options o = moto_->OptionsFor("ferry-test", "");
  o.endpoint = "127.0.0.1:" + std::to_string(*port);
  auto start = std::chrono::steady_clock::now();
  auto s = S3Storage::Open(o);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIOError);
  EXPECT_TRUE(s.status().message().starts_with("cannot connect to S3 endpoint http://" +
                                               o.endpoint + ": "))
      << s.status().message();
  EXPECT_EQ(s.status().message().find('\n'), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(S3ErrorTest, TlsToPlainHttpPort) {
  S3Options o = moto_->OptionsFor("ferry-test", "");
  o.disable_tls = false;
  auto s = S3Storage::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIOError);
  EXPECT_TRUE(s.status().message().starts_with("TLS connection to S3 endpoint https://" +
                                               moto_->endpoint() + " failed: "))
      << s.status().message();
  EXPECT_EQ(s.status().message().find('\n'), std::string::npos);
}

TEST_F(S3ErrorTest, BadOptions) {
  S3Options o = moto_->OptionsFor("", "");
  EXPECT_EQ(S3Storage::Open(o).status().message(), "an S3 bucket name is required (--bucket)");
  o = moto_->OptionsFor("ferry-test", "a/../b/");
  EXPECT_EQ(S3Storage::Open(o).status().code(), StatusCode::kInvalidArgument);
  o = moto_->OptionsFor("ferry-test", "");
  o.endpoint = "http://127.0.0.1:9000/some/path";
  EXPECT_NE(S3Storage::Open(o).status().message().find("must be host[:port], without a path"),
            std::string::npos);
  o = moto_->OptionsFor("ferry-test", "");
  o.credentials = {};
  EXPECT_EQ(S3Storage::Open(o).status().code(), StatusCode::kInvalidArgument);
  // Velero's s3Url form: the scheme says whether TLS is used.
  o = moto_->OptionsFor("ferry-test", "");
  o.disable_tls = false;
  o.endpoint = "http://" + moto_->endpoint() + "/";
  auto s = S3Storage::Open(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->Config()["endpoint"], moto_->endpoint());
  EXPECT_EQ((*s)->Config()["doNotUseTLS"], "true");
}

}  // namespace
}  // namespace ferry::blob
