#include "blob/storage_conformance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace ferry::blob {

using testutil::PatternBytes;

void PrintTo(const StorageFactory& factory, std::ostream* os) { *os << factory.name; }

std::string StorageFactoryName(const ::testing::TestParamInfo<StorageFactory>& info) {
  return info.param.name;
}

void StorageConformanceTest::SetUp() {
  dir_ = std::make_unique<testutil::TempDir>();
  auto made = GetParam().make(dir_->path());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  storage_ = std::move(*made);
}

void StorageConformanceTest::TearDown() {
  if (storage_) {
    EXPECT_TRUE(storage_->Close().ok());
  }
  storage_.reset();
  dir_.reset();
}

namespace {

// Blob IDs shaped like kopia's, long enough to be sharded on the filesystem.
const std::string kPack1 = "p0123456789abcdef0123456789abcdef-s0011223344556677115";
const std::string kPack2 = "p0129999999abcdef0123456789abcdef-s0011223344556677115";
const std::string kPack3 = "pf00000000000000000000000000000001-s0011223344556677115";
const std::string kMetaPack = "q0123456789abcdef0123456789abcdef-s0011223344556677115";
const std::string kIndex0 = "xn0_a0bc0123456789abcdef0123456789-s0011223344556677115-c1";
const std::string kIndex1 = "xn1_b0bc0123456789abcdef0123456789-s0011223344556677115-c1";
const std::string kLog = "_log_20261127145335_61a2_1669560815_1669560815_1_12345";
const std::string kSession = "s0011223344556677115";

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Bytes Get(Storage& s, const std::string& id, int64_t offset = 0, int64_t length = -1) {
  Bytes out;
  Status st = s.GetBlob(id, offset, length, &out);
  EXPECT_TRUE(st.ok()) << id << " [" << offset << "," << length << "): " << st.ToString();
  return out;
}

Bytes Slice(const Bytes& b, size_t offset, size_t length) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(offset),
               b.begin() + static_cast<std::ptrdiff_t>(offset + length));
}

std::map<std::string, int64_t> ListMap(Storage& s, const std::string& prefix) {
  std::map<std::string, int64_t> out;
  Status st = s.ListBlobs(prefix, [&](const BlobMetadata& m) {
    EXPECT_FALSE(out.contains(m.id)) << "listed twice: " << m.id;
    out[m.id] = m.length;
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

}  // namespace

TEST_P(StorageConformanceTest, PutGetWholeBlob) {
  Bytes data = PatternBytes(1234, 1);
  ASSERT_TRUE(storage_->PutBlob("kopia.repository", data).ok());
  EXPECT_EQ(Get(*storage_, "kopia.repository"), data);
  auto whole = storage_->GetBlob("kopia.repository");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, data);

  ASSERT_TRUE(storage_->PutBlob(kPack1, data).ok());
  EXPECT_EQ(Get(*storage_, kPack1), data);
}

TEST_P(StorageConformanceTest, EmptyBlob) {
  ASSERT_TRUE(storage_->PutBlob("xe0", {}).ok());
  EXPECT_TRUE(Get(*storage_, "xe0").empty());
  EXPECT_TRUE(Get(*storage_, "xe0", 0, 0).empty());
  Bytes out;
  EXPECT_EQ(storage_->GetBlob("xe0", 0, 1, &out).code(), StatusCode::kInvalidArgument);
  auto md = storage_->GetMetadata("xe0");
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->length, 0);
  EXPECT_EQ(ListMap(*storage_, "xe"), (std::map<std::string, int64_t>{{"xe0", 0}}));
}

TEST_P(StorageConformanceTest, Ranges) {
  Bytes data = PatternBytes(1000, 2);
  ASSERT_TRUE(storage_->PutBlob(kPack1, data).ok());
  EXPECT_EQ(Get(*storage_, kPack1, 0, -1), data);
  EXPECT_EQ(Get(*storage_, kPack1, 0, 1000), data);
  EXPECT_EQ(Get(*storage_, kPack1, 10, 20), Slice(data, 10, 20));
  EXPECT_EQ(Get(*storage_, kPack1, 990, 10), Slice(data, 990, 10));
  EXPECT_EQ(Get(*storage_, kPack1, 500, -1), Slice(data, 500, 500));
  EXPECT_EQ(Get(*storage_, kPack1, 999, -1), Slice(data, 999, 1));
  EXPECT_TRUE(Get(*storage_, kPack1, 1000, 0).empty());
  EXPECT_TRUE(Get(*storage_, kPack1, 1000, -1).empty());
  EXPECT_TRUE(Get(*storage_, kPack1, 7, 0).empty());

  Bytes out = {1, 2, 3};
  EXPECT_EQ(storage_->GetBlob(kPack1, 990, 11, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty()) << "output must be empty after an error";
  EXPECT_EQ(storage_->GetBlob(kPack1, 1001, -1, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->GetBlob(kPack1, 1001, 0, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->GetBlob(kPack1, 0, 1001, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->GetBlob(kPack1, -1, 10, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->GetBlob(kPack1, 0, -2, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->GetBlob(kPack1, 0, -1, nullptr).code(), StatusCode::kInvalidArgument);
  // The whole blob is still fine after all those (cached or not).
  EXPECT_EQ(Get(*storage_, kPack1), data);
}

TEST_P(StorageConformanceTest, Overwrite) {
  ASSERT_TRUE(storage_->PutBlob(kIndex0, PatternBytes(100, 3)).ok());
  EXPECT_EQ(Get(*storage_, kIndex0, 50, 10), Slice(PatternBytes(100, 3), 50, 10));
  Bytes second = PatternBytes(10, 4);
  ASSERT_TRUE(storage_->PutBlob(kIndex0, second).ok());
  EXPECT_EQ(Get(*storage_, kIndex0), second);
  Bytes out;
  EXPECT_EQ(storage_->GetBlob(kIndex0, 50, 10, &out).code(), StatusCode::kInvalidArgument);
  auto md = storage_->GetMetadata(kIndex0);
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->length, 10);
  EXPECT_EQ(ListMap(*storage_, ""), (std::map<std::string, int64_t>{{kIndex0, 10}}));
}

TEST_P(StorageConformanceTest, BlobWriterIsInvisibleUntilCommit) {
  Bytes data = PatternBytes(3 << 20, 21);
  ASSERT_TRUE(storage_->PutBlob(kPack1, PatternBytes(10, 22)).ok());
  auto writer = storage_->NewBlobWriter(kPack1);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // Uneven pieces (one empty), written out of order, the middle ones from two threads at once.
  size_t cuts[] = {0, 1, 1, 65537, 1 << 20, 2 << 20, data.size()};
  auto piece = [&](size_t i) {
    return (*writer)->Write(int64_t(cuts[i]), ByteView(data.data() + cuts[i], cuts[i + 1] - cuts[i]));
  };
  ASSERT_TRUE(piece(5).ok());
  Status a, b;
  std::thread t1([&] { a = piece(3); });
  std::thread t2([&] { b = piece(4); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.ok() && b.ok()) << a.ToString() << b.ToString();
  for (size_t i : {2, 1, 0}) ASSERT_TRUE(piece(i).ok());
  EXPECT_EQ(Get(*storage_, kPack1), PatternBytes(10, 22)) << "the old blob stays until Commit";
  EXPECT_EQ(ListMap(*storage_, ""), (std::map<std::string, int64_t>{{kPack1, 10}}));
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(Get(*storage_, kPack1), data);
  EXPECT_EQ(ListMap(*storage_, ""), (std::map<std::string, int64_t>{{kPack1, int64_t(data.size())}}));
  EXPECT_FALSE((*writer)->Write(0, data).ok()) << "a committed writer accepts nothing more";
  EXPECT_FALSE((*writer)->Commit().ok());
  EXPECT_EQ(Get(*storage_, kPack1), data);
}

TEST_P(StorageConformanceTest, BlobWriterDiscardedLeavesNothing) {
  {
    auto writer = storage_->NewBlobWriter(kPack2);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE((*writer)->Write(0, PatternBytes(5000, 23)).ok());
  }
  EXPECT_EQ(storage_->GetMetadata(kPack2).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ListMap(*storage_, "").empty());
  // An empty blob through a writer.
  auto empty = storage_->NewBlobWriter(kPack2);
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE((*empty)->Commit().ok());
  EXPECT_TRUE(Get(*storage_, kPack2).empty());
  EXPECT_EQ(storage_->NewBlobWriter("../x").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StorageConformanceTest, DeleteAndMissing) {
  ASSERT_TRUE(storage_->PutBlob(kPack1, PatternBytes(10, 5)).ok());
  ASSERT_TRUE(storage_->PutBlob(kPack2, PatternBytes(10, 6)).ok());
  ASSERT_TRUE(storage_->DeleteBlob(kPack1).ok());
  Bytes out;
  Status s = storage_->GetBlob(kPack1, 0, -1, &out);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find(kPack1), std::string::npos) << s.message();
  EXPECT_EQ(storage_->GetMetadata(kPack1).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(storage_->DeleteBlob(kPack1).ok()) << "deleting a deleted blob is OK";
  EXPECT_TRUE(storage_->DeleteBlob("never-written").ok()) << "deleting a missing blob is OK";
  EXPECT_EQ(ListMap(*storage_, ""), (std::map<std::string, int64_t>{{kPack2, 10}}));
  // Re-creating a deleted blob works.
  ASSERT_TRUE(storage_->PutBlob(kPack1, PatternBytes(3, 7)).ok());
  EXPECT_EQ(Get(*storage_, kPack1), PatternBytes(3, 7));
}

TEST_P(StorageConformanceTest, MissingBlobIsNotFoundNamingTheBlob) {
  for (const std::string& id : {std::string("kopia.repository"), kPack1, kIndex0, kSession}) {
    Bytes out;
    Status s = storage_->GetBlob(id, 0, -1, &out);
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
    EXPECT_NE(s.message().find(id), std::string::npos) << s.message();
    EXPECT_EQ(storage_->GetBlob(id, 5, 10, &out).code(), StatusCode::kNotFound);
    auto md = storage_->GetMetadata(id);
    EXPECT_EQ(md.status().code(), StatusCode::kNotFound);
    EXPECT_NE(md.status().message().find(id), std::string::npos) << md.status().message();
  }
  EXPECT_TRUE(ListMap(*storage_, "").empty());
}

TEST_P(StorageConformanceTest, ListByPrefix) {
  const std::map<std::string, int64_t> all = {{"kopia.repository", 11},
                                              {"kopia.blobcfg", 12},
                                              {"kopia.maintenance", 13},
                                              {"xe1", 0},
                                              {"xe12", 1},
                                              {"xw1795791215", 2},
                                              {kIndex0, 3},
                                              {kIndex1, 4},
                                              {kPack1, 5},
                                              {kPack2, 6},
                                              {kPack3, 7},
                                              {kMetaPack, 8},
                                              {kLog, 9},
                                              {kSession, 10}};
  for (const auto& [id, len] : all) {
    ASSERT_TRUE(storage_->PutBlob(id, PatternBytes(static_cast<size_t>(len), 8)).ok()) << id;
  }
  auto filter = [&](const std::string& prefix) {
    std::map<std::string, int64_t> out;
    for (const auto& [id, len] : all) {
      if (id.starts_with(prefix)) out[id] = len;
    }
    return out;
  };
  for (const std::string& prefix : {std::string(""),
                                    std::string("p"),
                                    std::string("p0"),
                                    std::string("p012"),
                                    std::string("p0123"),
                                    std::string("p0129"),
                                    std::string("pf"),
                                    std::string("q"),
                                    std::string("x"),
                                    std::string("xn"),
                                    std::string("xn0_"),
                                    std::string("xn1_b0bc"),
                                    std::string("xe"),
                                    std::string("xe1"),
                                    std::string("kopia."),
                                    std::string("kopia.r"),
                                    std::string("_log_"),
                                    std::string("s"),
                                    std::string("zzz"),
                                    std::string("p1"),
                                    kPack1,
                                    kIndex0,
                                    std::string("xe12")}) {
    EXPECT_EQ(ListMap(*storage_, prefix), filter(prefix)) << "prefix \"" << prefix << "\"";
  }
  EXPECT_EQ(filter("x").size(), 5u);
  auto all_listed = storage_->ListAllBlobs("");
  ASSERT_TRUE(all_listed.ok());
  EXPECT_EQ(all_listed->size(), all.size());
}

TEST_P(StorageConformanceTest, ListCallbackErrorStopsListing) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(storage_->PutBlob("blob" + std::to_string(i), PatternBytes(4, 9)).ok());
  }
  int calls = 0;
  Status s = storage_->ListBlobs("", [&](const BlobMetadata&) {
    ++calls;
    return Status::Cancelled("enough");
  });
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(s.message(), "enough");
  EXPECT_EQ(calls, 1);
}

TEST_P(StorageConformanceTest, MetadataAndTimestamps) {
  const int64_t before = NowNanos();
  ASSERT_TRUE(storage_->PutBlob(kPack1, PatternBytes(777, 10)).ok());
  const int64_t after = NowNanos();
  auto md = storage_->GetMetadata(kPack1);
  ASSERT_TRUE(md.ok()) << md.status().ToString();
  EXPECT_EQ(md->id, kPack1);
  EXPECT_EQ(md->length, 777);
  if (GetParam().real_clock) {
    // Filesystem timestamps are coarse (kernel tick) and may trail the clock slightly.
    constexpr int64_t kSlack = 2'000'000'000;
    EXPECT_GE(md->timestamp_unix_nanos, before - kSlack);
    EXPECT_LE(md->timestamp_unix_nanos, after + kSlack);
  }
  bool seen = false;
  ASSERT_TRUE(storage_
                  ->ListBlobs(kPack1,
                              [&](const BlobMetadata& m) {
                                seen = true;
                                EXPECT_EQ(m.id, md->id);
                                EXPECT_EQ(m.length, md->length);
                                EXPECT_EQ(m.timestamp_unix_nanos, md->timestamp_unix_nanos);
                                return Status::OK();
                              })
                  .ok());
  EXPECT_TRUE(seen);

  // A rewrite gets a new timestamp, never an older one.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(storage_->PutBlob(kPack1, PatternBytes(778, 10)).ok());
  auto md2 = storage_->GetMetadata(kPack1);
  ASSERT_TRUE(md2.ok());
  EXPECT_EQ(md2->length, 778);
  EXPECT_GE(md2->timestamp_unix_nanos, md->timestamp_unix_nanos);
}

TEST_P(StorageConformanceTest, HostileIdsAreRefused) {
  const std::vector<std::string> hostile = {
      "",          "/",           "a/b",
      "../x",      "..",          ".",
      "x/../../y", "a\\b",        std::string("a\0b", 3),
      "a b",       "a\nb",        ".shards",
      ".hidden",   "x..y",        "p/../../../../etc/passwd",
      "\x7f",      "caf\xc3\xa9", std::string(kMaxBlobIdLength + 1, 'a')};
  for (const std::string& id : hostile) {
    Bytes out;
    EXPECT_EQ(storage_->PutBlob(id, PatternBytes(3, 11)).code(), StatusCode::kInvalidArgument)
        << "\"" << id << "\"";
    EXPECT_EQ(storage_->GetBlob(id, 0, -1, &out).code(), StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(storage_->GetMetadata(id).status().code(), StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(storage_->DeleteBlob(id).code(), StatusCode::kInvalidArgument) << id;
  }
  for (const std::string& prefix : {std::string("a/"), std::string("..\\"), std::string("\n")}) {
    EXPECT_EQ(storage_->ListBlobs(prefix, [](const BlobMetadata&) { return Status::OK(); }).code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(ListMap(*storage_, "").empty());
  // The longest allowed ID works.
  std::string longest(kMaxBlobIdLength, 'a');
  ASSERT_TRUE(storage_->PutBlob(longest, PatternBytes(5, 12)).ok());
  EXPECT_EQ(Get(*storage_, longest), PatternBytes(5, 12));
  EXPECT_EQ(ListMap(*storage_, "a").size(), 1u);
}

TEST_P(StorageConformanceTest, ConcurrentPutsFromEightThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 12;
  const std::string shared = "q0000000000000000000000000000shared-s0011223344556677115";
  auto own_id = [](int t, int i) {
    char buf[80];
    std::snprintf(buf, sizeof(buf), "p%02x%030d-s0011223344556677115", t, i);
    return std::string(buf);
  };
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!storage_
                 ->PutBlob(own_id(t, i), PatternBytes(1000 + static_cast<size_t>(i), t * 100 + i))
                 .ok()) {
          failures++;
        }
        if (!storage_->PutBlob(shared, PatternBytes(4096, 1000 + t)).ok()) failures++;
        Bytes out;
        Status s = storage_->GetBlob(shared, 0, -1, &out);
        // Whatever version is read must be complete: one of the writers' full contents.
        if (!s.ok() || out.size() != 4096) failures++;
        if (i % 4 == 0 &&
            !storage_->ListBlobs("p", [](const BlobMetadata&) { return Status::OK(); }).ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(Get(*storage_, own_id(t, i)),
                PatternBytes(1000 + static_cast<size_t>(i), t * 100 + i));
    }
  }
  Bytes final_shared = Get(*storage_, shared);
  bool matches_a_writer = false;
  for (int t = 0; t < kThreads; ++t)
    matches_a_writer |= final_shared == PatternBytes(4096, 1000 + t);
  EXPECT_TRUE(matches_a_writer);
  EXPECT_EQ(ListMap(*storage_, "p").size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(ListMap(*storage_, "").size(), static_cast<size_t>(kThreads * kPerThread + 1));
}

TEST_P(StorageConformanceTest, ConcurrentMixedOperations) {
  constexpr int kThreads = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        std::string id =
            "xn0_" + std::to_string(t) + "_" + std::to_string(i % 5) + "-s0011223344556677115-c1";
        if (!storage_->PutBlob(id, PatternBytes(64, i)).ok()) failures++;
        Bytes out;
        Status g = storage_->GetBlob(id, 0, -1, &out);
        // Another thread never deletes this thread's IDs, so the read must succeed.
        if (!g.ok() || out != PatternBytes(64, i)) failures++;
        if (i % 3 == 2 && !storage_->DeleteBlob(id).ok()) failures++;
        Status l = storage_->ListBlobs("xn0_", [&](const BlobMetadata& m) {
          if (m.length != 64) failures++;
          return Status::OK();
        });
        if (!l.ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_P(StorageConformanceTest, LargeBlob30MiB) {
  const Bytes data = PatternBytes(30u << 20, 13);
  ASSERT_TRUE(storage_->PutBlob(kPack3, data).ok());
  auto md = storage_->GetMetadata(kPack3);
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->length, static_cast<int64_t>(data.size()));
  Bytes out;
  ASSERT_TRUE(storage_->GetBlob(kPack3, 0, -1, &out).ok());
  EXPECT_TRUE(out == data);
  const size_t tail = 1u << 20;
  ASSERT_TRUE(storage_
                  ->GetBlob(kPack3, static_cast<int64_t>(data.size() - tail),
                            static_cast<int64_t>(tail), &out)
                  .ok());
  EXPECT_TRUE(out == Slice(data, data.size() - tail, tail));
  ASSERT_TRUE(storage_->GetBlob(kPack3, 12345678, 1000, &out).ok());
  EXPECT_TRUE(out == Slice(data, 12345678, 1000));
}

TEST_P(StorageConformanceTest, DisplayNameAndConfig) {
  EXPECT_FALSE(storage_->DisplayName().empty());
  auto config = storage_->Config();
  ASSERT_TRUE(config.contains("type"));
  EXPECT_FALSE(config["type"].empty());
}

TEST_P(StorageConformanceTest, UseAfterCloseFails) {
  ASSERT_TRUE(storage_->PutBlob("xe1", PatternBytes(1, 14)).ok());
  ASSERT_TRUE(storage_->Close().ok());
  EXPECT_TRUE(storage_->Close().ok()) << "Close is idempotent";
  Bytes out;
  EXPECT_EQ(storage_->GetBlob("xe1", 0, -1, &out).code(), StatusCode::kInternal);
  EXPECT_EQ(storage_->PutBlob("xe1", {}).code(), StatusCode::kInternal);
  EXPECT_EQ(storage_->GetMetadata("xe1").status().code(), StatusCode::kInternal);
  EXPECT_EQ(storage_->DeleteBlob("xe1").code(), StatusCode::kInternal);
  EXPECT_EQ(storage_->ListBlobs("", [](const BlobMetadata&) { return Status::OK(); }).code(),
            StatusCode::kInternal);
}

}  // namespace ferry::blob
