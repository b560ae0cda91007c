#include "blob/retrying_storage.h"

#include <gtest/gtest.h>

#include <vector>

#include "blob/fault_injecting_storage.h"
#include "blob/filesystem_storage.h"
#include "blob/memory_storage.h"
#include "blob/test_util.h"

namespace ferry::blob {
namespace {

using testutil::PatternBytes;

struct Stack {
  std::shared_ptr<MemoryStorage> memory = std::make_shared<MemoryStorage>();
  std::shared_ptr<FaultInjectingStorage> faults =
      std::make_shared<FaultInjectingStorage>(memory, 3);
  std::vector<std::chrono::microseconds> sleeps;
  std::unique_ptr<RetryingStorage> retrying;

  explicit Stack(int attempts = 5) {
    RetryOptions o;
    o.max_attempts = attempts;
    o.initial_delay = std::chrono::microseconds(1000);
    o.max_delay = std::chrono::microseconds(4000);
    o.multiplier = 2;
    o.jitter = 0.5;
    o.sleep = [this](std::chrono::microseconds d) { sleeps.push_back(d); };
    retrying = std::make_unique<RetryingStorage>(faults, o);
  }
};

TEST(RetryingStorageTest, RecoversFromTransientFailures) {
  Stack s;
  s.faults->FailNext(Op::kPut, 3);
  ASSERT_TRUE(s.retrying->PutBlob("kopia.repository", PatternBytes(10, 1)).ok());
  EXPECT_EQ(s.faults->Counters().Calls(Op::kPut), 4);
  EXPECT_EQ(s.faults->Counters().Injected(Op::kPut), 3);
  EXPECT_EQ(s.retrying->retries(), 3);

  s.faults->FailNext(Op::kGet, 2);
  auto got = s.retrying->GetBlob("kopia.repository");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, PatternBytes(10, 1));

  s.faults->FailNext(Op::kGetMetadata, 1);
  EXPECT_TRUE(s.retrying->GetMetadata("kopia.repository").ok());
  s.faults->FailNext(Op::kDelete, 1);
  EXPECT_TRUE(s.retrying->DeleteBlob("kopia.repository").ok());
  EXPECT_EQ(s.memory->BlobCount(), 0u);
  EXPECT_EQ(s.retrying->retries(), 7);
}

TEST(RetryingStorageTest, BackoffGrowsWithJitterAndCap) {
  Stack s(6);
  s.faults->FailNext(Op::kPut, 5);
  ASSERT_TRUE(s.retrying->PutBlob("xe1", {}).ok());
  ASSERT_EQ(s.sleeps.size(), 5u);
  const int64_t nominal[] = {1000, 2000, 4000, 4000, 4000};
  for (size_t i = 0; i < s.sleeps.size(); ++i) {
    EXPECT_LE(s.sleeps[i].count(), nominal[i]) << i;
    EXPECT_GE(s.sleeps[i].count(), nominal[i] / 2) << i;
  }
}

TEST(RetryingStorageTest, GivesUpAfterMaxAttempts) {
  Stack s(3);
  s.faults->FailNext(Op::kPut, 10);
  Status st = s.retrying->PutBlob("xe1", {});
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_NE(st.message().find("after 3 attempts"), std::string::npos) << st.message();
  EXPECT_EQ(s.faults->Counters().Calls(Op::kPut), 3);
}

TEST(RetryingStorageTest, NeverRetriesPermanentErrors) {
  for (StatusCode code : {StatusCode::kNotFound, StatusCode::kInvalidArgument,
                          StatusCode::kAuthentication, StatusCode::kCorruption}) {
    Stack s;
    s.faults->FailNext(Op::kGet, 1, code);
    Bytes out;
    EXPECT_EQ(s.retrying->GetBlob("xe1", 0, -1, &out).code(), code);
    EXPECT_EQ(s.faults->Counters().Calls(Op::kGet), 1);
    EXPECT_EQ(s.retrying->retries(), 0);
  }
  // A real NotFound from the store: one call.
  Stack s;
  Bytes out;
  EXPECT_EQ(s.retrying->GetBlob("missing", 0, -1, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(s.faults->Counters().Calls(Op::kGet), 1);
  // Invalid IDs never reach the store.
  EXPECT_EQ(s.retrying->GetBlob("../x", 0, -1, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.faults->Counters().Calls(Op::kGet), 1);
}

TEST(RetryingStorageTest, TornWriteIsRepairedByTheRetry) {
  Stack s;
  s.faults->TearNextPuts(1, 0.5);
  const Bytes data = PatternBytes(1000, 9);
  ASSERT_TRUE(s.retrying->PutBlob("p1234", data).ok());
  auto got = s.memory->GetBlob("p1234");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, data);
  EXPECT_EQ(s.faults->Counters().torn_writes, 1);
}

TEST(RetryingStorageTest, ListRetriedOnlyBeforeFirstBlob) {
  Stack s;
  ASSERT_TRUE(s.memory->PutBlob("a", {}).ok());
  ASSERT_TRUE(s.memory->PutBlob("b", {}).ok());
  s.faults->FailNext(Op::kList, 2);
  int seen = 0;
  ASSERT_TRUE(s.retrying
                  ->ListBlobs("",
                              [&](const BlobMetadata&) {
                                ++seen;
                                return Status::OK();
                              })
                  .ok());
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(s.faults->Counters().Calls(Op::kList), 3);

  // An IOError from the callback after blobs were delivered is returned, not retried.
  seen = 0;
  Status st = s.retrying->ListBlobs("", [&](const BlobMetadata&) {
    ++seen;
    return Status::IOError("callback failed");
  });
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(st.message(), "callback failed");
  EXPECT_EQ(seen, 1);
}

TEST(RetryingStorageTest, RandomFaultsOnFilesystemAreHidden) {
  testutil::TempDir tmp;
  auto fs = CreateFilesystemStorage(tmp.Sub("repo"));
  ASSERT_TRUE(fs.ok());
  auto faults =
      std::make_shared<FaultInjectingStorage>(std::shared_ptr<Storage>(std::move(*fs)), 11);
  faults->SetFailureProbability(Op::kPut, 0.3);
  faults->SetFailureProbability(Op::kGet, 0.3);
  faults->SetTornWriteProbability(0.2);
  RetryOptions o;
  o.max_attempts = 30;
  o.initial_delay = std::chrono::microseconds(10);
  o.max_delay = std::chrono::microseconds(100);
  RetryingStorage retrying(faults, o);
  for (int i = 0; i < 30; ++i) {
    std::string id = "p" + std::to_string(1000 + i) + "0123456789abcdef0123456789";
    ASSERT_TRUE(retrying.PutBlob(id, PatternBytes(500, i)).ok());
    auto got = retrying.GetBlob(id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, PatternBytes(500, i));
  }
  EXPECT_GT(faults->Counters().TotalInjected(), 10);
  EXPECT_GT(faults->Counters().torn_writes, 0);
}

}  // namespace
}  // namespace ferry::blob
