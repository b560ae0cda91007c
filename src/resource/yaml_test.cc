#include "resource/yaml.h"

#include <gtest/gtest.h>

namespace ferry::resource {
namespace {

TEST(Yaml, MultiDocumentWithKubectlTyping) {
  const char* text = R"(---
apiVersion: v1
kind: ConfigMap
metadata:
  name: node-agent-config
  namespace: openshift-adp
data:
  quoted: "123"
  single: 'true'
  plain: hello world
---
# a comment-only document is skipped
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: ferry-reflink
  labels:
    velero.io/csi-volumesnapshot-class: "true"
driver: ferry.local/reflink
deletionPolicy: Retain
extra:
  count: 42
  hex: 0x10
  neg: -7
  ratio: 1.5
  whole: 2.0
  yes: yes
  off: off
  nothing: ~
  empty:
  list: [a, 1, false]
  text: |
    line one
    line two
)";
  auto docs = ParseYamlDocuments(text);
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].line, 2);
  EXPECT_EQ((*docs)[1].line, 14);
  const Object& cm = (*docs)[0].object;
  EXPECT_EQ(cm["data"]["quoted"], "123");
  EXPECT_EQ(cm["data"]["single"], "true");
  EXPECT_EQ(cm["data"]["plain"], "hello world");
  const Object& vsc = (*docs)[1].object;
  EXPECT_EQ(vsc["metadata"]["labels"]["velero.io/csi-volumesnapshot-class"], "true");
  const Object& e = vsc["extra"];
  EXPECT_TRUE(e["count"].is_number_integer());
  EXPECT_EQ(e["count"], 42);
  EXPECT_EQ(e["hex"], 16);
  EXPECT_EQ(e["neg"], -7);
  EXPECT_DOUBLE_EQ(e["ratio"].get<double>(), 1.5);
  EXPECT_TRUE(e["whole"].is_number_integer());
  EXPECT_EQ(e["whole"], 2);
  EXPECT_EQ(e["yes"], true);  // YAML 1.1, as kubectl reads it
  EXPECT_EQ(e["off"], false);
  EXPECT_TRUE(e["nothing"].is_null());
  EXPECT_TRUE(e["empty"].is_null());
  EXPECT_EQ(e["list"], Object::parse(R"(["a", 1, false])"));
  EXPECT_EQ(e["text"], "line one\nline two\n");
  // Field order is kept as written.
  EXPECT_EQ(vsc.begin().key(), "apiVersion");
}

TEST(Yaml, SyntaxErrorsCarryTheLineNumber) {
  const char* text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [unclosed\n";
  auto r = ParseYaml(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.status().message().starts_with("line 5: ")) << r.status().message();

  auto tab = ParseYaml("a: 1\nb:\n  c: 2\n  d: [1, 2\n  e: 3\n---\nf: {\n");
  ASSERT_FALSE(tab.ok());
  EXPECT_TRUE(tab.status().message().starts_with("line ")) << tab.status().message();
}

TEST(Yaml, DuplicateKeysAndNonMappingsAreErrors) {
  auto dup = ParseYaml("a: 1\nb:\n  c: 1\n  c: 2\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "line 4: mapping key \"c\" already defined at line 3");
  auto list = ParseYaml("apiVersion: v1\n---\n- a\n- b\n");
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(list.status().message().starts_with("line 3: ")) << list.status().message();
}

TEST(Yaml, EmitsLikeKubectl) {
  Object o = Object::parse(R"({
    "kind": "ConfigMap", "apiVersion": "v1",
    "metadata": {"name": "c", "labels": {"velero.io/csi-volumesnapshot-class": "true"},
                 "finalizers": ["a", "b"]},
    "data": {"num": "123", "empty": "", "star": "*", "colon": "a: b", "plain": "hello",
             "multi": "x\ny\n", "nothing": null, "flag": true, "n": 5,
             "emptyMap": {}, "emptyList": [], "spaces": " padded ", "time": "2026-11-27T18:00:00Z"},
    "items": [{"name": "a", "value": 1}, [1, 2], "s"]
  })");
  std::string yaml = ToYaml(o);
  EXPECT_EQ(yaml,
            "apiVersion: v1\n"
            "data:\n"
            "  colon: 'a: b'\n"
            "  empty: \"\"\n"
            "  emptyList: []\n"
            "  emptyMap: {}\n"
            "  flag: true\n"
            "  multi: |\n"
            "    x\n"
            "    y\n"
            "  \"n\": 5\n"  // go-yaml v2 quotes keys that read as booleans ("n", "y")
            "  nothing: null\n"
            "  num: \"123\"\n"
            "  plain: hello\n"
            "  spaces: ' padded '\n"
            "  star: '*'\n"
            "  time: \"2026-11-27T18:00:00Z\"\n"
            "items:\n"
            "- name: a\n"
            "  value: 1\n"
            "- - 1\n"
            "  - 2\n"
            "- s\n"
            "kind: ConfigMap\n"
            "metadata:\n"
            "  finalizers:\n"
            "  - a\n"
            "  - b\n"
            "  labels:\n"
            "    velero.io/csi-volumesnapshot-class: \"true\"\n"
            "  name: c\n");
}

TEST(Yaml, RoundTrip) {
  Object o = Object::parse(R"({
    "apiVersion": "velero.io/v2alpha1", "kind": "DataUpload",
    "metadata": {"name": "d", "namespace": "openshift-adp", "labels": {"a": "yes", "b": "0755", "c": "1e3"},
                 "annotations": {"note": "line1\nline2", "tricky": "- dash", "hash": "a #b", "q": "it's",
                                 "ctl": "bell\u0007", "lead": "\n starts with newline", "trail": "x \ny"}},
    "spec": {"cancel": false, "operationTimeout": "10m0s", "dataMoverConfig": {"k": "null"},
             "nested": [[{"a": [1, {"b": null}]}], {}, [], "~", "", 3.25, -1]},
    "status": {"progress": {"bytesDone": 9007199254740993, "totalBytes": 0}}
  })");
  std::string yaml = ToYaml(o);
  auto back = ParseYaml(yaml);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << yaml;
  ASSERT_EQ(back->size(), 1u);
  // Key order differs (sorted on output); compare as unordered JSON.
  EXPECT_EQ(nlohmann::json::parse((*back)[0].dump()), nlohmann::json::parse(o.dump())) << yaml;
}

}  // namespace
}  // namespace ferry::resource
