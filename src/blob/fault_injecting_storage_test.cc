#include "blob/fault_injecting_storage.h"

#include <gtest/gtest.h>

#include <chrono>

#include "blob/filesystem_storage.h"
#include "blob/memory_storage.h"
#include "blob/test_util.h"

namespace ferry::blob {
namespace {

using testutil::PatternBytes;

struct Stack {
  std::shared_ptr<MemoryStorage> memory = std::make_shared<MemoryStorage>();
  std::shared_ptr<FaultInjectingStorage> faults;
  explicit Stack(uint64_t seed = 1)
      : faults(std::make_shared<FaultInjectingStorage>(memory, seed)) {}
};

TEST(FaultInjectingStorageTest, FailNextN) {
  Stack s;
  s.faults->FailNext(Op::kPut, 2);
  Status first = s.faults->PutBlob("a", {});
  EXPECT_EQ(first.code(), StatusCode::kIOError);
  EXPECT_NE(first.message().find("injected"), std::string::npos);
  EXPECT_EQ(s.faults->PutBlob("b", {}).code(), StatusCode::kIOError);
  EXPECT_TRUE(s.faults->PutBlob("c", {}).ok());
  EXPECT_EQ(s.memory->BlobCount(), 1u) << "failed puts never reach the store";
  // Other operations were unaffected.
  EXPECT_TRUE(s.faults->GetBlob("c").ok());
  FaultCounters c = s.faults->Counters();
  EXPECT_EQ(c.Calls(Op::kPut), 3);
  EXPECT_EQ(c.Injected(Op::kPut), 2);
  EXPECT_EQ(c.Calls(Op::kGet), 1);
  EXPECT_EQ(c.Injected(Op::kGet), 0);
  EXPECT_EQ(c.TotalInjected(), 2);
}

TEST(FaultInjectingStorageTest, EveryOperationAndCustomCodes) {
  Stack s;
  ASSERT_TRUE(s.memory->PutBlob("a", PatternBytes(3, 1)).ok());
  s.faults->FailNext(Op::kGet, 1, StatusCode::kCorruption);
  s.faults->FailNext(Op::kGetMetadata, 1, StatusCode::kAuthentication);
  s.faults->FailNext(Op::kDelete, 1);
  s.faults->FailNext(Op::kList, 1, StatusCode::kNotFound);
  Bytes out;
  EXPECT_EQ(s.faults->GetBlob("a", 0, -1, &out).code(), StatusCode::kCorruption);
  EXPECT_EQ(s.faults->GetMetadata("a").status().code(), StatusCode::kAuthentication);
  EXPECT_EQ(s.faults->DeleteBlob("a").code(), StatusCode::kIOError);
  EXPECT_EQ(s.faults->ListBlobs("", [](const BlobMetadata&) { return Status::OK(); }).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(s.memory->BlobCount(), 1u);
  EXPECT_EQ(s.faults->Counters().TotalInjected(), 4);
  // All used up: everything works again.
  EXPECT_TRUE(s.faults->GetBlob("a").ok());
  EXPECT_TRUE(s.faults->DeleteBlob("a").ok());
}

TEST(FaultInjectingStorageTest, FailByIdPrefix) {
  Stack s;
  s.faults->FailMatching(Op::kPut, "p");  // every pack put, forever
  EXPECT_EQ(s.faults->PutBlob("p123", {}).code(), StatusCode::kIOError);
  EXPECT_EQ(s.faults->PutBlob("p456", {}).code(), StatusCode::kIOError);
  EXPECT_TRUE(s.faults->PutBlob("q123", {}).ok());
  EXPECT_TRUE(s.faults->PutBlob("xn0_1", {}).ok());
  s.faults->FailMatching(Op::kGet, "xn", 1);
  Bytes out;
  EXPECT_EQ(s.faults->GetBlob("xn0_1", 0, -1, &out).code(), StatusCode::kIOError);
  EXPECT_TRUE(s.faults->GetBlob("xn0_1", 0, -1, &out).ok());
  EXPECT_EQ(s.faults->Counters().Injected(Op::kPut), 2);
}

TEST(FaultInjectingStorageTest, ProbabilityIsSeededAndRoughlyRight) {
  auto run = [](uint64_t seed) {
    Stack s(seed);
    s.faults->SetFailureProbability(Op::kGetMetadata, 0.25);
    std::vector<bool> pattern;
    // "x" exists, so every failure is an injected one.
    EXPECT_TRUE(s.memory->PutBlob("x", {}).ok());
    for (int i = 0; i < 2000; ++i) pattern.push_back(!s.faults->GetMetadata("x").ok());
    return std::make_pair(pattern, s.faults->Counters().Injected(Op::kGetMetadata));
  };
  auto [p1, n1] = run(5);
  auto [p2, n2] = run(5);
  auto [p3, n3] = run(6);
  EXPECT_EQ(p1, p2) << "same seed, same faults";
  EXPECT_EQ(n1, n2);
  EXPECT_NE(p1, p3);
  EXPECT_GT(n1, 400);
  EXPECT_LT(n1, 600);
}

TEST(FaultInjectingStorageTest, TornWriteLeavesDetectableShortBlob) {
  Stack s;
  const Bytes data = PatternBytes(1000, 2);
  s.faults->TearNextPuts(1, 0.3);
  Status st = s.faults->PutBlob("p1", data);
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  auto md = s.memory->GetMetadata("p1");
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->length, 300);
  auto got = s.memory->GetBlob("p1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Bytes(data.begin(), data.begin() + 300));
  // Even a fraction of 1 keeps the blob short; an empty put writes nothing.
  s.faults->TearNextPuts(2, 1.0);
  EXPECT_FALSE(s.faults->PutBlob("p2", data).ok());
  EXPECT_EQ(s.memory->GetMetadata("p2")->length, 999);
  EXPECT_FALSE(s.faults->PutBlob("p3", {}).ok());
  EXPECT_EQ(s.memory->GetMetadata("p3").status().code(), StatusCode::kNotFound);
  FaultCounters c = s.faults->Counters();
  EXPECT_EQ(c.torn_writes, 3);
  EXPECT_EQ(c.Injected(Op::kPut), 3);
}

TEST(FaultInjectingStorageTest, TornWriteOnFilesystemLeavesNoTempFiles) {
  testutil::TempDir tmp;
  auto fs = CreateFilesystemStorage(tmp.Sub("repo"));
  ASSERT_TRUE(fs.ok());
  FaultInjectingStorage faults(std::shared_ptr<Storage>(std::move(*fs)));
  const Bytes data = PatternBytes(4096, 3);
  const std::string id = "p0123456789abcdef0123456789abcdef-s0011223344556677115";
  // A torn overwrite of an existing blob replaces it with a short one, never a mix.
  ASSERT_TRUE(faults.PutBlob(id, PatternBytes(4096, 4)).ok());
  faults.TearNextPuts(1, 0.5);
  EXPECT_FALSE(faults.PutBlob(id, data).ok());
  auto got = faults.GetBlob(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Bytes(data.begin(), data.begin() + 2048));
  for (const std::string& f : testutil::ListFilesRecursively(tmp.Sub("repo"))) {
    EXPECT_EQ(f.find(".tmp."), std::string::npos) << f;
  }
}

TEST(FaultInjectingStorageTest, RandomTornWrites) {
  Stack s(9);
  s.faults->SetTornWriteProbability(0.5, 0.5);
  int failed = 0;
  for (int i = 0; i < 100; ++i) {
    std::string id = "b" + std::to_string(i);
    Status st = s.faults->PutBlob(id, PatternBytes(100, i));
    auto md = s.memory->GetMetadata(id);
    ASSERT_TRUE(md.ok());
    if (st.ok()) {
      EXPECT_EQ(md->length, 100);
    } else {
      ++failed;
      EXPECT_EQ(md->length, 50);
    }
  }
  EXPECT_EQ(s.faults->Counters().torn_writes, failed);
  EXPECT_GT(failed, 25);
  EXPECT_LT(failed, 75);
}

TEST(FaultInjectingStorageTest, LatencyIsAdded) {
  Stack s;
  s.faults->SetLatency(Op::kGetMetadata, std::chrono::milliseconds(30));
  auto start = std::chrono::steady_clock::now();
  (void)s.faults->GetMetadata("x");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(30));
  start = std::chrono::steady_clock::now();
  (void)s.faults->PutBlob("x", {});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
}

TEST(FaultInjectingStorageTest, DisableAndClear) {
  Stack s;
  s.faults->FailNext(Op::kPut, 1);
  s.faults->SetFailureProbability(Op::kGet, 1.0);
  s.faults->SetEnabled(false);
  EXPECT_FALSE(s.faults->enabled());
  EXPECT_TRUE(s.faults->PutBlob("a", {}).ok());
  EXPECT_TRUE(s.faults->GetBlob("a").ok());
  EXPECT_EQ(s.faults->Counters().TotalInjected(), 0);
  s.faults->SetEnabled(true);
  EXPECT_FALSE(s.faults->PutBlob("a", {}).ok()) << "the scripted fault was kept while disabled";
  EXPECT_FALSE(s.faults->GetBlob("a").ok());
  s.faults->ClearFaults();
  EXPECT_TRUE(s.faults->GetBlob("a").ok());
  EXPECT_EQ(s.faults->Counters().TotalInjected(), 2);
  s.faults->ResetCounters();
  EXPECT_EQ(s.faults->Counters().TotalInjected(), 0);
  EXPECT_EQ(s.faults->Counters().Calls(Op::kGet), 0);
}

}  // namespace
}  // namespace ferry::blob
