#include "controlplane/bsl.h"

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "resource/sqlite_store.h"
#include "resource/yaml.h"

namespace ferry::controlplane {
namespace {

using resource::Object;

std::unique_ptr<resource::Store> MemoryStore() { return std::move(resource::OpenSqliteStore(":memory:")).value(); }

void Apply(resource::Store& store, const std::string& yaml) {
  auto objects = resource::ParseYaml(yaml);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  for (auto& o : *objects) {
    auto c = store.Create(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
}

TEST(Bsl, AwsWithS3UrlCredentialsAndProfile) {
  auto store = MemoryStore();
  std::string credentials = "[default]\naws_access_key_id = DEF\naws_secret_access_key = defsecret\n"
                            "[backup]\naws_access_key_id=AKIA1\naws_secret_access_key=s3cr3t\n";
  Apply(*store, R"(
apiVersion: v1
kind: Secret
metadata: {name: cloud-credentials, namespace: openshift-adp}
data:
  cloud: )" + Base64Encode(AsBytes(credentials)) + R"(
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: default, namespace: openshift-adp}
spec:
  provider: aws
  objectStorage: {bucket: velero-bucket, prefix: /velero/}
  credential: {name: cloud-credentials, key: cloud}
  config: {region: eu-west-1, s3Url: "http://minio.local:9000", s3ForcePathStyle: "true", profile: backup,
           insecureSkipTLSVerify: "true"}
)");
  auto bsl = GetBackupStorageLocation(*store, "openshift-adp", "default");
  ASSERT_TRUE(bsl.ok()) << bsl.status().ToString();
  EXPECT_EQ(bsl->prefix, "velero");
  auto storage = RepositoryStorage(*store, *bsl, "app");
  ASSERT_TRUE(storage.ok()) << storage.status().ToString();
  StorageMap& m = *storage;
  EXPECT_EQ(m["type"], "s3");
  EXPECT_EQ(m["bucket"], "velero-bucket");
  EXPECT_EQ(m["prefix"], "velero/kopia/app/");
  EXPECT_EQ(m["endpoint"], "minio.local:9000");
  EXPECT_EQ(m["doNotUseTLS"], "true");
  EXPECT_EQ(m["doNotVerifyTLS"], "true");
  EXPECT_EQ(m["addressingStyle"], "path");
  EXPECT_EQ(m["region"], "eu-west-1");
  EXPECT_EQ(m["accessKeyID"], "AKIA1");
  EXPECT_EQ(m["secretAccessKey"], "s3cr3t");
  EXPECT_EQ(DescribeStorage(m), "s3://velero-bucket/velero/kopia/app/");
  EXPECT_EQ(ResticIdentifier(*bsl, "app"), "s3:minio.local:9000/velero-bucket/velero/restic/app");
  auto root = LocationStorage(*store, *bsl);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ((*root)["prefix"], "velero/");
}

TEST(Bsl, AwsWithoutS3UrlUsesTheRegionalEndpointAndTls) {
  auto store = MemoryStore();
  Apply(*store, R"(
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: aws, namespace: velero}
spec: {provider: velero.io/aws, objectStorage: {bucket: b}, config: {region: us-west-2}}
)");
  auto bsl = GetBackupStorageLocation(*store, "velero", "aws");
  ASSERT_TRUE(bsl.ok());
  auto m = RepositoryStorage(*store, *bsl, "ns1");
  ASSERT_TRUE(m.ok()) << m.status().ToString();  // no Secret: the engine looks in the environment
  EXPECT_EQ((*m)["endpoint"], "s3-us-west-2.amazonaws.com");
  EXPECT_EQ((*m).count("doNotUseTLS"), 0u);
  EXPECT_EQ((*m)["prefix"], "kopia/ns1/");
  EXPECT_EQ((*m).count("accessKeyID"), 0u);
}

TEST(Bsl, ErrorsAUserCanActOn) {
  auto store = MemoryStore();
  Apply(*store, R"(
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: pathy, namespace: velero}
spec: {provider: aws, objectStorage: {bucket: b}, config: {s3Url: "https://s3.local/some/path"}}
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: noprofile, namespace: velero}
spec: {provider: aws, objectStorage: {bucket: b}, credential: {name: creds, key: cloud}, config: {profile: nope}}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: velero}
stringData: {cloud: "[default]\naws_access_key_id=a\naws_secret_access_key=b\n"}
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: gcp, namespace: velero}
spec: {provider: gcp, objectStorage: {bucket: b}}
)");
  auto pathy = GetBackupStorageLocation(*store, "velero", "pathy");
  ASSERT_TRUE(pathy.ok());
  auto m = RepositoryStorage(*store, *pathy, "x");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("path is not expected in s3Url"), std::string::npos);
  auto noprofile = GetBackupStorageLocation(*store, "velero", "noprofile");
  ASSERT_TRUE(noprofile.ok());
  m = RepositoryStorage(*store, *noprofile, "x");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("profile \"nope\" not found"), std::string::npos) << m.status().message();
  auto gcp = GetBackupStorageLocation(*store, "velero", "gcp");
  EXPECT_EQ(gcp.status().code(), StatusCode::kUnsupported);
  auto missing = GetBackupStorageLocation(*store, "velero", "nothere");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("ferry apply"), std::string::npos);
}

TEST(Bsl, FilesystemLocation) {
  auto store = MemoryStore();
  Apply(*store, R"(
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: local, namespace: velero}
spec: {provider: ferry.local/fs, objectStorage: {bucket: ignored, prefix: cluster-a}, config: {fspath: /backups}}
)");
  auto bsl = GetBackupStorageLocation(*store, "velero", "local");
  ASSERT_TRUE(bsl.ok()) << bsl.status().ToString();
  auto m = RepositoryStorage(*store, *bsl, "app");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)["type"], "filesystem");
  EXPECT_EQ((*m)["path"], "/backups/cluster-a/kopia/app");
  auto root = LocationStorage(*store, *bsl);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ((*root)["path"], "/backups/cluster-a");
}

}  // namespace
}  // namespace ferry::controlplane
