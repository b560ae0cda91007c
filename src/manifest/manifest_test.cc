// Tests of the manifest layer against the in-memory FakeContentManager: the API (put, get, find,
// delete, flush, refresh), the exact bytes of `m` contents, merging of contents written by other
// clients (older/newer entries, deletion markers, kopia's local-offset times), auto-compaction,
// gzip, and damaged contents.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "manifest/gzip.h"
#include "manifest/manifest_content.h"
#include "manifest/manifest_manager.h"
#include "manifest/rfc3339.h"
#include "object/testing/fake_content_manager.h"

namespace ferry::manifest {
namespace {

using content::ContentId;
using content::FakeContentManager;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1664884800 * kSec;  // 2022-10-04T12:00:00Z

// A clock the test moves: each call returns the next second, so `modified` values are distinct.
struct TestClock {
  std::atomic<int64_t> now{kT0};
  std::function<int64_t()> Fn() {
    return [this] { return now.fetch_add(kSec); };
  }
};

std::vector<ContentId> ManifestContents(FakeContentManager& cm, bool include_deleted = false) {
  std::vector<ContentId> ids;
  EXPECT_TRUE(cm.IterateContents(include_deleted, [&](const content::ContentInfo& info) {
                  if (info.id.prefix() == 'm') ids.push_back(info.id);
                  return Status::OK();
                }).ok());
  return ids;
}

std::string ContentJson(FakeContentManager& cm, const ContentId& id) {
  Bytes plain;
  EXPECT_TRUE(cm.GetContent(id, &plain).ok());
  auto json = GzipDecompress(plain);
  EXPECT_TRUE(json.ok()) << json.status().ToString();
  return json.ok() ? std::string(AsString(*json)) : "";
}

// Stores a hand-written manifest document as an `m` content, like another client would.
ContentId PutManifestJson(FakeContentManager& cm, std::string_view json) {
  auto gz = GzipCompress(AsBytes(json));
  EXPECT_TRUE(gz.ok());
  auto id = cm.WriteContent(*gz, 'm', 0);
  EXPECT_TRUE(id.ok());
  return *id;
}

std::unique_ptr<ManifestManager> MustOpen(FakeContentManager& cm,
                                          ManifestManagerOptions options = {}) {
  auto m = ManifestManager::Open(&cm, std::move(options));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : nullptr;
}

class ManifestTest : public ::testing::Test {
 protected:
  ManifestManagerOptions Options(int threshold = kDefaultAutoCompactionThreshold) {
    ManifestManagerOptions o;
    o.auto_compaction_threshold = threshold;
    o.now = clock_.Fn();
    return o;
  }

  FakeContentManager cm_;
  TestClock clock_;
};

TEST_F(ManifestTest, PutGetFindDelete) {
  auto m = MustOpen(cm_, Options());
  auto a = m->Put({{"type", "snapshot"}, {"hostname", "h1"}}, R"({"x": 1})");
  auto b = m->Put({{"type", "snapshot"}, {"hostname", "h2"}}, R"({"x": 2})");
  auto c = m->Put({{"type", "policy"}, {"policyType", "global"}}, "{}");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_TRUE(HexDecode(*a).ok());
  EXPECT_NE(*a, *b);

  auto got = m->Get(*a);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, *a);
  EXPECT_EQ(got->data, R"({"x":1})");  // compacted
  EXPECT_EQ(got->labels.at("hostname"), "h1");
  EXPECT_EQ(got->modified, kT0);

  auto snaps = m->Find({{"type", "snapshot"}});
  ASSERT_TRUE(snaps.ok());
  ASSERT_EQ(snaps->size(), 2u);
  EXPECT_EQ((*snaps)[0].id, *a);  // oldest first
  EXPECT_EQ((*snaps)[1].id, *b);
  EXPECT_EQ((*snaps)[0].length, 7u);
  EXPECT_EQ(m->Find({{"type", "snapshot"}, {"hostname", "h2"}})->size(), 1u);
  EXPECT_EQ(m->Find({{"hostname", "h3"}})->size(), 0u);
  EXPECT_EQ(m->Find({})->size(), 3u);

  ASSERT_TRUE(m->Delete(*a).ok());
  EXPECT_EQ(m->Get(*a).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->Find({{"type", "snapshot"}})->size(), 1u);
  EXPECT_EQ(m->Find({})->size(), 2u);
  EXPECT_TRUE(m->Delete("00000000000000000000000000000000").ok());  // unknown: no-op
  EXPECT_EQ(m->Get("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(ManifestTest, PutValidates) {
  auto m = MustOpen(cm_, Options());
  EXPECT_EQ(m->Put({{"hostname", "h"}}, "{}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m->Put({{"type", ""}}, "{}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m->Put({{"type", "t"}}, "{not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m->Put({{"type", "t"}}, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(m->Put({{"type", "t"}}, "null").ok());
  EXPECT_TRUE(m->Put({{"type", "t"}}, "[1, \"two\"]").ok());
}

TEST_F(ManifestTest, DataKeepsKeyOrder) {
  auto m = MustOpen(cm_, Options());
  auto id = m->Put({{"type", "t"}}, "{ \"zeta\" : 1,\n \"alpha\": {\"b\": [true, null], \"a\": 2.5} }");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(m->Get(*id)->data, R"({"zeta":1,"alpha":{"b":[true,null],"a":2.5}})");
  ASSERT_TRUE(m->Flush().ok());
  auto m2 = MustOpen(cm_, Options());
  EXPECT_EQ(m2->Get(*id)->data, R"({"zeta":1,"alpha":{"b":[true,null],"a":2.5}})");
}

TEST_F(ManifestTest, FlushWritesOneContentAndPersists) {
  auto m = MustOpen(cm_, Options());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(*m->Put({{"type", "snapshot"}, {"n", std::to_string(i)}}, "{}"));
  }
  // Nothing is visible to a new manager before Flush.
  EXPECT_EQ(MustOpen(cm_, Options())->Find({})->size(), 0u);
  int flushes = cm_.flush_count();
  ASSERT_TRUE(m->Flush().ok());
  EXPECT_EQ(cm_.flush_count(), flushes);  // the caller flushes the content manager
  EXPECT_EQ(ManifestContents(cm_).size(), 1u);
  EXPECT_EQ(m->committed_content_count(), 1u);
  ASSERT_TRUE(m->Flush().ok());  // nothing pending: no new content
  EXPECT_EQ(ManifestContents(cm_).size(), 1u);

  auto m2 = MustOpen(cm_, Options());
  auto found = m2->Find({{"type", "snapshot"}});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*found)[static_cast<size_t>(i)].id, ids[static_cast<size_t>(i)]);
    EXPECT_EQ((*found)[static_cast<size_t>(i)].labels.at("n"), std::to_string(i));
    EXPECT_EQ((*found)[static_cast<size_t>(i)].modified, kT0 + i * kSec);
  }

  // A deletion persists too.
  ASSERT_TRUE(m2->Delete(ids[2]).ok());
  ASSERT_TRUE(m2->Flush().ok());
  auto m3 = MustOpen(cm_, Options());
  EXPECT_EQ(m3->Get(ids[2]).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m3->Find({})->size(), 4u);
  // ...and so does it in the manager that wrote it.
  EXPECT_EQ(m2->Get(ids[2]).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m2->Find({})->size(), 4u);
}

TEST_F(ManifestTest, ContentBytes) {
  auto m = MustOpen(cm_, Options());
  clock_.now = kT0 + 500'000'000;
  auto id = m->Put({{"type", "snapshot"}, {"hostname", "host"}, {"a&b", "<x>"}},
                   R"({"source":{"host":"host"},"n":1})");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(m->Flush().ok());
  auto contents = ManifestContents(cm_);
  ASSERT_EQ(contents.size(), 1u);
  EXPECT_EQ(ContentJson(cm_, contents[0]),
            "{\"entries\":[{\"id\":\"" + *id +
                "\",\"labels\":{\"a&b\":\"<x>\",\"hostname\":\"host\",\"type\":\"snapshot\"},"
                "\"modified\":\"2022-10-04T12:00:00.5Z\","
                "\"data\":{\"source\":{\"host\":\"host\"},\"n\":1}}]}\n");
  // Metadata compression is requested (the content layer keeps the gzip when zstd is no help).
  EXPECT_EQ(*cm_.RequestedCompression(contents[0]), 0x1101u);
  // The content ID is the hash of the gzip bytes with prefix m.
  auto stored = cm_.StoredBytes(contents[0]);
  ASSERT_TRUE(stored.ok());
  Bytes plain;
  ASSERT_TRUE(cm_.GetContent(contents[0], &plain).ok());
  EXPECT_EQ(cm_.ComputeContentId(plain, 'm'), contents[0]);
  ASSERT_GE(plain.size(), 3u);
  EXPECT_EQ(plain[0], 0x1f);  // gzip magic
  EXPECT_EQ(plain[1], 0x8b);

  // A deletion marker.
  clock_.now = kT0 + 10 * kSec;
  ASSERT_TRUE(m->Delete(*id).ok());
  ASSERT_TRUE(m->Flush().ok());
  contents = ManifestContents(cm_);
  ASSERT_EQ(contents.size(), 2u);
  std::string marker = "{\"entries\":[{\"id\":\"" + *id +
                       "\",\"labels\":null,\"modified\":\"2022-10-04T12:00:10Z\","
                       "\"deleted\":true,\"data\":null}]}\n";
  EXPECT_TRUE(ContentJson(cm_, contents[0]) == marker || ContentJson(cm_, contents[1]) == marker);
}

TEST_F(ManifestTest, SerializeManifestJsonExact) {
  ManifestEntry a{"0123456789abcdef0123456789abcdef", {{"type", "policy"}}, kT0, false, "{}"};
  ManifestEntry d{"fedcba9876543210fedcba9876543210", {}, kT0 + 1, true, "null"};
  EXPECT_EQ(SerializeManifestJson({&a, &d}),
            "{\"entries\":[{\"id\":\"0123456789abcdef0123456789abcdef\",\"labels\":{\"type\":"
            "\"policy\"},\"modified\":\"2022-10-04T12:00:00Z\",\"data\":{}},{\"id\":"
            "\"fedcba9876543210fedcba9876543210\",\"labels\":null,\"modified\":"
            "\"2022-10-04T12:00:00.000000001Z\",\"deleted\":true,\"data\":null}]}\n");
}

TEST_F(ManifestTest, MergesContentsByModifiedTime) {
  // Two contents as other clients would have written them (one with kopia's old local offsets,
  // upper-case field names and unknown fields).
  PutManifestJson(cm_, R"({"entries":[
    {"id":"11111111111111111111111111111111","labels":{"type":"snapshot"},"modified":"2022-10-04T12:00:00Z","data":{"v":"old"}},
    {"id":"22222222222222222222222222222222","labels":{"type":"snapshot"},"modified":"2022-10-04T12:00:00Z","data":{"v":"live"}},
    {"id":"33333333333333333333333333333333","labels":{"type":"snapshot"},"modified":"2022-10-04T12:00:00Z","data":{"v":"newer"}},
    {"id":"44444444444444444444444444444444","labels":{"type":"policy"},"modified":"2022-10-04T12:00:00Z","data":{"v":"kept"}}
  ]})");
  PutManifestJson(cm_, R"({"Entries":[
    {"ID":"11111111111111111111111111111111","Labels":{"type":"snapshot"},"Modified":"2022-10-04T06:00:01-06:00","Data":{"v":"new"},"extra":1},
    {"id":"22222222222222222222222222222222","labels":null,"modified":"2022-10-04T12:00:01Z","deleted":true,"data":null},
    {"id":"33333333333333333333333333333333","labels":{"type":"snapshot"},"modified":"2022-10-04T11:59:59Z","data":{"v":"older"}},
    {"id":"44444444444444444444444444444444","labels":{"type":"policy"},"modified":"2022-10-04T12:00:00Z","data":{"v":"same time"}}
  ],"future":true})");
  auto m = MustOpen(cm_, Options());
  EXPECT_EQ(m->committed_content_count(), 2u);
  auto one = m->Get("11111111111111111111111111111111");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->data, R"({"v":"new"})");
  EXPECT_EQ(one->modified, kT0 + kSec);
  EXPECT_EQ(m->Get("22222222222222222222222222222222").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->Get("33333333333333333333333333333333")->data, R"({"v":"newer"})");
  // Equal times: the first one seen stays (strictly later replaces).
  auto four = m->Get("44444444444444444444444444444444");
  ASSERT_TRUE(four.ok());
  EXPECT_TRUE(four->data == R"({"v":"kept"})" || four->data == R"({"v":"same time"})");
  EXPECT_EQ(m->Find({})->size(), 3u);
}

TEST_F(ManifestTest, DeletionMarkerBeatsAClockAhead) {
  // An entry from a client whose clock is an hour ahead of ours.
  PutManifestJson(cm_, R"({"entries":[{"id":"55555555555555555555555555555555",
    "labels":{"type":"snapshot"},"modified":"2022-10-04T13:00:00Z","data":{}}]})");
  auto m = MustOpen(cm_, Options());  // our clock says 12:00
  ASSERT_TRUE(m->Delete("55555555555555555555555555555555").ok());
  ASSERT_TRUE(m->Flush().ok());
  auto m2 = MustOpen(cm_, Options());
  EXPECT_EQ(m2->Get("55555555555555555555555555555555").status().code(), StatusCode::kNotFound);
}

TEST_F(ManifestTest, RefreshSeesOtherClients) {
  auto m1 = MustOpen(cm_, Options());
  auto m2 = MustOpen(cm_, Options());
  auto id = m2->Put({{"type", "snapshot"}}, "{}");
  ASSERT_TRUE(m2->Flush().ok());
  EXPECT_EQ(m1->Get(*id).status().code(), StatusCode::kNotFound);
  auto mine = m1->Put({{"type", "policy"}}, "{}");  // pending survives a refresh
  ASSERT_TRUE(m1->Refresh().ok());
  EXPECT_TRUE(m1->Get(*id).ok());
  EXPECT_TRUE(m1->Get(*mine).ok());
}

TEST_F(ManifestTest, AutoCompactionAtThreshold) {
  std::vector<std::string> ids;
  {
    auto writer = MustOpen(cm_, Options(/*threshold=*/0));
    for (int i = 0; i < 4; ++i) {
      ids.push_back(*writer->Put({{"type", "snapshot"}, {"i", std::to_string(i)}},
                                 "{\"i\":" + std::to_string(i) + "}"));
      ASSERT_TRUE(writer->Flush().ok());  // one content per flush
    }
    ASSERT_TRUE(writer->Delete(ids[0]).ok());
    ASSERT_TRUE(writer->Flush().ok());
  }
  auto before = ManifestContents(cm_);
  ASSERT_EQ(before.size(), 5u);

  // Below the threshold: nothing changes.
  auto below = MustOpen(cm_, Options(/*threshold=*/6));
  EXPECT_EQ(below->committed_content_count(), 5u);
  EXPECT_EQ(ManifestContents(cm_).size(), 5u);

  int flushes = cm_.flush_count();
  auto m = MustOpen(cm_, Options(/*threshold=*/5));
  EXPECT_EQ(m->committed_content_count(), 1u);
  auto after = ManifestContents(cm_);
  ASSERT_EQ(after.size(), 1u);
  for (const ContentId& old : before) {
    EXPECT_NE(old, after[0]);
    auto info = cm_.GetContentInfo(old);
    ASSERT_TRUE(info.ok());
    EXPECT_TRUE(info->deleted);
  }
  EXPECT_EQ(cm_.flush_count(), flushes + 1);  // compaction is made durable at once, like kopia

  // Entries intact, in this manager and in a fresh one; the deleted one stays deleted.
  auto fresh = MustOpen(cm_, Options());
  for (ManifestManager* mm : {m.get(), fresh.get()}) {
    EXPECT_EQ(mm->Find({})->size(), 3u);
    EXPECT_EQ(mm->Get(ids[0]).status().code(), StatusCode::kNotFound);
    for (int i = 1; i < 4; ++i) {
      auto got = mm->Get(ids[static_cast<size_t>(i)]);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(got->data, "{\"i\":" + std::to_string(i) + "}");
      EXPECT_EQ(got->modified, kT0 + i * kSec);
    }
  }
  // The compacted content holds live entries only, no deletion markers.
  EXPECT_EQ(ContentJson(cm_, after[0]).find("deleted"), std::string::npos);
}

TEST_F(ManifestTest, CompactionOfOnlyDeletedEntriesLeavesNoContent) {
  {
    auto w = MustOpen(cm_, Options(0));
    auto id = w->Put({{"type", "t"}}, "{}");
    ASSERT_TRUE(w->Flush().ok());
    ASSERT_TRUE(w->Delete(*id).ok());
    ASSERT_TRUE(w->Flush().ok());
  }
  auto m = MustOpen(cm_, Options(2));
  EXPECT_EQ(m->committed_content_count(), 0u);
  EXPECT_EQ(ManifestContents(cm_).size(), 0u);
  EXPECT_EQ(m->Find({})->size(), 0u);
}

TEST_F(ManifestTest, ExplicitCompactDoesNotFlush) {
  auto m = MustOpen(cm_, Options(0));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(m->Put({{"type", "t"}}, "{}").ok());
    ASSERT_TRUE(m->Flush().ok());
  }
  int flushes = cm_.flush_count();
  ASSERT_TRUE(m->Compact().ok());
  EXPECT_EQ(cm_.flush_count(), flushes);
  EXPECT_EQ(ManifestContents(cm_).size(), 1u);
  EXPECT_EQ(MustOpen(cm_, Options())->Find({})->size(), 3u);
}

TEST_F(ManifestTest, MalformedContentsAreCorruption) {
  struct Case {
    const char* name;
    Bytes plaintext;
  };
  auto gz = [](std::string_view json) { return *GzipCompress(AsBytes(json)); };
  std::vector<Case> cases = {
      {"not gzip", ToBytes("{\"entries\":[]}")},
      {"truncated gzip", [&] {
         Bytes b = gz(R"({"entries":[]})");
         b.resize(b.size() / 2);
         return b;
       }()},
      {"not json", gz("{\"entries\":[")},
      {"not an object", gz("[]")},
      {"entries not an array", gz(R"({"entries":{}})")},
      {"null entry", gz(R"({"entries":[null]})")},
      {"entry without id", gz(R"({"entries":[{"labels":{"type":"t"},"modified":"2022-10-04T12:00:00Z"}]})")},
      {"label not a string", gz(R"({"entries":[{"id":"ab","labels":{"type":1},"modified":"2022-10-04T12:00:00Z"}]})")},
      {"bad time", gz(R"({"entries":[{"id":"ab","labels":{"type":"t"},"modified":"yesterday"}]})")},
      {"deleted not bool", gz(R"({"entries":[{"id":"ab","modified":"2022-10-04T12:00:00Z","deleted":"yes"}]})")},
  };
  for (const Case& c : cases) {
    FakeContentManager cm;
    ContentId id = cm.ComputeContentId(c.plaintext, 'm');
    cm.PutRaw(id, c.plaintext);
    auto m = ManifestManager::Open(&cm);
    ASSERT_FALSE(m.ok()) << c.name;
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << c.name;
    EXPECT_NE(m.status().message().find(id.ToString()), std::string::npos)
        << c.name << ": " << m.status().message();
  }
}

TEST_F(ManifestTest, TolerantDecoding) {
  // Missing labels/data, null entries list, Go's zero time: accepted as Go accepts them.
  auto entries = DecodeManifestContent(
      *GzipCompress(AsBytes(R"({"entries":[{"id":"ab"},{"id":"cd","labels":{"type":"t"},
        "modified":"0001-01-01T00:00:00Z","data":[1,2]}]})")),
      "mtest");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].data, "null");
  EXPECT_TRUE((*entries)[0].labels.empty());
  EXPECT_EQ((*entries)[1].data, "[1,2]");
  EXPECT_EQ((*entries)[1].modified, std::numeric_limits<int64_t>::min());  // saturated
  auto none = DecodeManifestContent(*GzipCompress(AsBytes(R"({"entries":null})")), "m");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(ManifestTest, UnrelatedContentsAreIgnored) {
  // File data, directories (k) and lists (x) around the m range.
  ASSERT_TRUE(cm_.WriteContent(ToBytes("data"), 0, 0).ok());
  ASSERT_TRUE(cm_.WriteContent(ToBytes("dir"), 'k', 0).ok());
  ASSERT_TRUE(cm_.WriteContent(ToBytes("list"), 'x', 0).ok());
  ASSERT_TRUE(cm_.WriteContent(ToBytes("other"), 'n', 0).ok());
  auto m = MustOpen(cm_, Options());
  EXPECT_EQ(m->committed_content_count(), 0u);
  ASSERT_TRUE(m->Put({{"type", "t"}}, "{}").ok());
  ASSERT_TRUE(m->Flush().ok());
  EXPECT_EQ(MustOpen(cm_, Options())->Find({})->size(), 1u);
}

TEST_F(ManifestTest, WriteFailureKeepsPending) {
  auto m = MustOpen(cm_, Options());
  auto id = m->Put({{"type", "t"}}, "{}");
  cm_.FailNextWrites(1);
  EXPECT_EQ(m->Flush().code(), StatusCode::kIOError);
  EXPECT_TRUE(m->Get(*id).ok());
  ASSERT_TRUE(m->Flush().ok());
  EXPECT_TRUE(MustOpen(cm_, Options())->Get(*id).ok());
}

TEST_F(ManifestTest, ConcurrentPuts) {
  auto m = MustOpen(cm_, Options());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(m->Put({{"type", "t"}, {"thread", std::to_string(t)}}, "{}").ok());
        if (i % 10 == 0) {
          ASSERT_TRUE(m->Flush().ok());
          ASSERT_TRUE(m->Find({{"thread", std::to_string(t)}}).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(m->Flush().ok());
  EXPECT_EQ(m->Find({})->size(), 200u);
  EXPECT_EQ(MustOpen(cm_, Options())->Find({})->size(), 200u);
}

TEST(GzipTest, RoundTripAndErrors) {
  for (size_t size : {0, 1, 100, 100000, 3000000}) {
    Bytes data(size);
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>((i * 7) ^ (i >> 5));
    auto gz = GzipCompress(data);
    ASSERT_TRUE(gz.ok());
    ASSERT_GE(gz->size(), 18u);
    EXPECT_EQ((*gz)[0], 0x1f);
    EXPECT_EQ((*gz)[1], 0x8b);
    auto back = GzipDecompress(*gz);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
  }
  // Two members decode as their concatenation (Go's multistream default).
  Bytes two = *GzipCompress(ToBytes("hello "));
  Bytes second = *GzipCompress(ToBytes("world"));
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(AsString(*GzipDecompress(two)), "hello world");

  Bytes gz = *GzipCompress(Bytes(10000, 'a'));
  EXPECT_EQ(GzipDecompress(gz, 9999).status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(GzipDecompress(gz, 10000).ok());
  Bytes bad = gz;
  bad[bad.size() - 6] ^= 1;  // CRC
  EXPECT_EQ(GzipDecompress(bad).status().code(), StatusCode::kCorruption);
  Bytes trailing = gz;
  trailing.push_back(0);
  EXPECT_EQ(GzipDecompress(trailing).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(GzipDecompress({}).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(GzipDecompress(ByteView(gz).first(gz.size() - 1)).status().code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace ferry::manifest
