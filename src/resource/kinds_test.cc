#include "resource/kinds.h"

#include <gtest/gtest.h>

#include "resource/time_util.h"

namespace ferry::resource {
namespace {

std::string Header(const KindInfo& k) {
  std::string h = "NAME";
  for (const auto& c : k.columns) {
    if (!c.wide_only) h += " " + c.name;
  }
  return h;
}

TEST(Kinds, LookupByEveryNameKubectlAccepts) {
  for (const char* name : {"DataUpload", "datauploads", "dataupload", "datauploads.velero.io",
                           "dataupload.velero.io", "datauploads.v2alpha1.velero.io", "DATAUPLOADS"}) {
    auto k = LookupKind(name);
    ASSERT_TRUE(k.ok()) << name;
    EXPECT_EQ((*k)->kind, "DataUpload");
  }
  EXPECT_EQ((*LookupKind("pvc"))->kind, "PersistentVolumeClaim");
  EXPECT_EQ((*LookupKind("bsl"))->kind, "BackupStorageLocation");
  EXPECT_EQ((*LookupKind("vsclass"))->kind, "VolumeSnapshotClass");
  EXPECT_EQ((*LookupKind("dpa"))->kind, "DataProtectionApplication");
  auto bad = LookupKind("widgets");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "the server doesn't have a resource type \"widgets\"");
  EXPECT_NE(FindKind("velero.io/v2alpha1", "DataDownload"), nullptr);
  EXPECT_EQ(FindKind("velero.io/v1", "DataDownload"), nullptr);
  EXPECT_FALSE((*LookupKind("pv"))->namespaced);
  EXPECT_EQ((*LookupKind("pv"))->resource(), "persistentvolumes");
  EXPECT_EQ(LookupKind("du.velero.io").status().code(), StatusCode::kInvalidArgument);
}

TEST(Kinds, PrinterColumnsAsUpstream) {
  EXPECT_EQ(Header(**LookupKind("datauploads")),
            "NAME STATUS STARTED BYTES DONE TOTAL BYTES STORAGE LOCATION AGE NODE");
  EXPECT_EQ(Header(**LookupKind("datadownloads")),
            "NAME STATUS STARTED BYTES DONE TOTAL BYTES STORAGE LOCATION AGE NODE");
  EXPECT_EQ(Header(**LookupKind("bsl")), "NAME PHASE LAST VALIDATED AGE DEFAULT");
  EXPECT_EQ(Header(**LookupKind("backuprepositories")), "NAME AGE REPOSITORY TYPE");
  EXPECT_EQ(Header(**LookupKind("pvc")), "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS AGE");
}

TEST(Kinds, ColumnValues) {
  int64_t now = 1795802400;
  Object du = Object::parse(R"({"metadata":{"creationTimestamp":"2026-11-27T17:55:00Z"},
    "spec":{"backupStorageLocation":"default"},
    "status":{"phase":"InProgress","startTimestamp":"2026-11-27T17:59:30Z","progress":{"bytesDone":1024}}})");
  const KindInfo& k = **LookupKind("datauploads");
  std::vector<std::string> cells;
  for (const auto& c : k.columns) cells.push_back(ColumnValue(c, du, now));
  EXPECT_EQ(cells, (std::vector<std::string>{"InProgress", "30s", "1024", "", "default", "5m", ""}));

  Object pvc = Object::parse(R"({"spec":{"volumeName":"pv1","storageClassName":"local"},
    "status":{"phase":"Bound","capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce","ReadOnlyMany"]}})");
  const KindInfo& p = **LookupKind("pvc");
  EXPECT_EQ(ColumnValue(p.columns[3], pvc, now), "RWO,ROX");
  EXPECT_EQ(ColumnValue(p.columns[2], pvc, now), "1Gi");
  EXPECT_EQ(ColumnValue(p.columns[5], pvc, now), "<unknown>");  // no creationTimestamp

  Object pv = Object::parse(R"({"spec":{"claimRef":{"namespace":"app","name":"data"}}})");
  const KindInfo& v = **LookupKind("pv");
  EXPECT_EQ(ColumnValue(v.columns[4], pv, now), "app/data");
  EXPECT_EQ(ColumnValue(v.columns[2], pv, now), "Retain");  // default reclaim policy

  Object dpa = Object::parse(R"({"status":{"conditions":[{"type":"Other","status":"False"},
                                                          {"type":"Reconciled","status":"True"}]}})");
  EXPECT_EQ(ColumnValue((*LookupKind("dpa"))->columns[0], dpa, now), "True");
  Object secret = Object::parse(R"({"data":{"a":"eA==","b":"eQ=="}})");
  EXPECT_EQ(ColumnValue((*LookupKind("secret"))->columns[1], secret, now), "2");
  EXPECT_EQ(ColumnValue((*LookupKind("secret"))->columns[0], secret, now), "Opaque");
}

}  // namespace
}  // namespace ferry::resource
