// The S3 backend over a real, misbehaving network: moto behind testing/fault_proxy.py, which
// answers some requests with 500 / 503 SlowDown, drops connections before or after forwarding,
// truncates bodies and stalls. A put/get/list/delete workload must still complete, through the
// backend's own retries; the test prints how many faults were injected.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "blob/s3_storage.h"
#include "blob/test_util.h"
#include "blob/testing/fault_proxy.h"
#include "blob/testing/moto_server.h"

namespace ferry::blob {
namespace {

using testing::FaultProxy;
using testing::MotoServer;
using testutil::PatternBytes;

// The proxy's fault sequence is seeded, so a failing run can be repeated.
constexpr uint64_t kProxySeed = 42;

class S3FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    moto_ = MotoServer::Shared();
    ASSERT_NE(moto_, nullptr);
    ASSERT_TRUE(moto_->SetAuth(true).ok());
  }
  S3Options Through(const FaultProxy& proxy, const std::string& prefix) {
    S3Options o = moto_->OptionsFor("ferry-test", prefix);
    o.endpoint = "127.0.0.1:" + std::to_string(proxy.port());
    return o;
  }
  MotoServer* moto_ = nullptr;
};

TEST_F(S3FaultTest, WorkloadCompletesThroughInjectedFaults) {
  FaultProxy proxy(moto_->port(), kProxySeed, {"error500=0.06", "slowdown=0.06", "drop=0.04",
                                   "lost_reply=0.04", "truncate=0.05", "stall=0.01",
                                   "--stall-seconds", "2", "--max-seconds", "120"});
  ASSERT_GT(proxy.port(), 0);
  S3Options o = Through(proxy, "faults" + std::to_string(getpid()) + "-");
  o.retry.max_attempts = 12;
  o.retry.initial_delay = std::chrono::milliseconds(10);
  o.retry.max_delay = std::chrono::milliseconds(200);
  o.stall_timeout = std::chrono::seconds(1);  // a 2 s stall becomes a timeout and a retry
  o.list_page_size = 10;
  auto opened = S3Storage::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  S3Storage& s = **opened;

  constexpr int kThreads = 4, kPerThread = 20;
  auto id_of = [](int t, int i) { return "p" + std::to_string(t) + "-" + std::to_string(i); };
  auto data_of = [](int t, int i) {
    return PatternBytes(static_cast<size_t>((t * 7919 + i * 104729) % 200000), t * 100 + i);
  };
  std::atomic<int> failures{0};
  std::vector<std::string> errors;
  std::mutex errors_mu;
  auto fail = [&](const Status& st) {
    failures++;
    std::lock_guard lock(errors_mu);
    errors.push_back(st.ToString());
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // One buffer for all reads of the thread: a GET writes into it directly, so a truncated
      // answer and its retry, or a longer previous blob, must leave no stale bytes behind.
      Bytes out;
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = id_of(t, i);
        const Bytes data = data_of(t, i);
        if (Status st = s.PutBlob(id, data); !st.ok()) fail(st);
        if (Status st = s.GetBlob(id, 0, -1, &out); !st.ok()) fail(st);
        else if (out != data) fail(Status::Corruption("wrong bytes for " + id));
        if (data.size() > 100) {
          if (Status st = s.GetBlob(id, 50, 40, &out); !st.ok()) fail(st);
          else if (out != Bytes(data.begin() + 50, data.begin() + 90)) {
            fail(Status::Corruption("wrong range for " + id));
          }
        }
        auto md = s.GetMetadata(id);
        if (!md.ok()) fail(md.status());
        else if (md->length != static_cast<int64_t>(data.size())) fail(Status::Corruption(id));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int round = 0; round < 3; ++round) {
    auto all = s.ListAllBlobs("p");
    if (!all.ok()) fail(all.status());
    else EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kPerThread));
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; i += 2) {
      if (Status st = s.DeleteBlob(id_of(t, i)); !st.ok()) fail(st);
    }
  }
  auto rest = s.ListAllBlobs("");
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->size(), static_cast<size_t>(kThreads * kPerThread / 2));
  EXPECT_EQ(failures.load(), 0) << (errors.empty() ? "" : errors.front());

  nlohmann::json faults = proxy.Stats();
  ASSERT_TRUE(faults.is_object());
  int64_t injected = 0;
  for (const char* k : {"error500", "slowdown", "drop", "lost_reply", "truncate", "stall"}) {
    injected += faults.value(k, 0);
  }
  S3Stats st = s.stats();
  std::printf(
      "fault proxy: %lld requests, %lld faults injected (500: %lld, 503 SlowDown: %lld, dropped: "
      "%lld, reply lost after forwarding: %lld, truncated body: %lld, stalled 2 s: %lld)\n"
      "client: %lld requests, %lld retries (server errors %lld, throttled %lld, timeouts %lld, "
      "network errors %lld)\n",
      static_cast<long long>(faults.value("requests", 0)), static_cast<long long>(injected),
      static_cast<long long>(faults.value("error500", 0)),
      static_cast<long long>(faults.value("slowdown", 0)),
      static_cast<long long>(faults.value("drop", 0)),
      static_cast<long long>(faults.value("lost_reply", 0)),
      static_cast<long long>(faults.value("truncate", 0)),
      static_cast<long long>(faults.value("stall", 0)), static_cast<long long>(st.requests),
      static_cast<long long>(st.retries), static_cast<long long>(st.server_errors),
      static_cast<long long>(st.throttled), static_cast<long long>(st.timeouts),
      static_cast<long long>(st.network_errors));
  EXPECT_GE(injected, 30) << "the workload should have met plenty of faults";
  EXPECT_GT(faults.value("stall", 0), 0);
  EXPECT_GT(faults.value("truncate", 0), 0);
  // Answers with an error status, truncated bodies and stalls each cost the backend a retry.
  // Dropped connections may instead be retried inside HttpClient (it re-sends a request once, as
  // libcurl does, when a reused keep-alive connection turns out dead), so they are not counted.
  const int64_t surfaced = faults.value("error500", 0) + faults.value("slowdown", 0) +
                           faults.value("truncate", 0) + faults.value("stall", 0);
  EXPECT_GE(st.retries, surfaced);
  EXPECT_EQ(st.server_errors, faults.value("error500", 0));
  EXPECT_EQ(st.throttled, faults.value("slowdown", 0));
}

// The proxy keeps connections alive (HTTP/1.1 with Content-Length, unlike moto, which closes
// each one): requests of one thread go over one connection, bodies of every size.
TEST_F(S3FaultTest, KeptAliveConnectionsAreReused) {
  FaultProxy proxy(moto_->port(), kProxySeed, {"--max-seconds", "60"});
  ASSERT_GT(proxy.port(), 0);
  auto opened = S3Storage::Open(Through(proxy, "reuse" + std::to_string(getpid()) + "-"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  S3Storage& s = **opened;
  Bytes out;
  for (int i = 0; i < 10; ++i) {
    const Bytes data = PatternBytes(static_cast<size_t>(i) * 150000, i);
    const std::string id = "preuse" + std::to_string(i);
    ASSERT_TRUE(s.PutBlob(id, data).ok());
    ASSERT_TRUE(s.GetBlob(id, 0, -1, &out).ok());
    EXPECT_EQ(out, data);
    ASSERT_TRUE(s.GetMetadata(id).ok());
    ASSERT_TRUE(s.DeleteBlob(id).ok());
  }
  S3Stats st = s.stats();
  EXPECT_EQ(st.requests, 41);
  EXPECT_EQ(st.retries, 0);
  EXPECT_EQ(st.connections_opened, 1) << "one thread, one kept-alive connection";
  EXPECT_EQ(proxy.Stats().value("requests", 0), 41);
}

// A store that ignores Range answers 200 with the whole object; the backend cuts the range out
// of it (in the caller's buffer) so that the contract holds, at the end and past it too.
TEST_F(S3FaultTest, ServerThatIgnoresRangeStillGivesTheRange) {
  ASSERT_TRUE(moto_->SetAuth(false).ok());  // the proxy drops a signed header
  FaultProxy proxy(moto_->port(), kProxySeed, {"--ignore-range", "--max-seconds", "60"});
  ASSERT_GT(proxy.port(), 0);
  auto opened = S3Storage::Open(Through(proxy, "norange" + std::to_string(getpid()) + "-"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  S3Storage& s = **opened;
  const Bytes data = PatternBytes(300000, 7);
  ASSERT_TRUE(s.PutBlob("pnorange", data).ok());
  Bytes out = PatternBytes(500000, 8);  // longer than the blob, full of other bytes
  ASSERT_TRUE(s.GetBlob("pnorange", 1000, 5000, &out).ok());
  EXPECT_EQ(out, Bytes(data.begin() + 1000, data.begin() + 6000));
  ASSERT_TRUE(s.GetBlob("pnorange", 299990, -1, &out).ok());
  EXPECT_EQ(out, Bytes(data.end() - 10, data.end()));
  ASSERT_TRUE(s.GetBlob("pnorange", 300000, -1, &out).ok());  // at the very end: empty
  EXPECT_TRUE(out.empty());
  for (auto [offset, length] : {std::pair<int64_t, int64_t>{299000, 2000}, {400000, 10}}) {
    out = data;
    Status beyond = s.GetBlob("pnorange", offset, length, &out);
    EXPECT_EQ(beyond.code(), StatusCode::kInvalidArgument) << beyond.ToString();
    EXPECT_TRUE(out.empty());
  }
  ASSERT_TRUE(s.GetBlob("pnorange", 0, -1, &out).ok());
  EXPECT_EQ(out, data);
  EXPECT_GE(proxy.Stats().value("range_ignored", 0), 5);
  ASSERT_TRUE(moto_->SetAuth(true).ok());
}

TEST_F(S3FaultTest, RetriesAreBoundedThenIOError) {
  FaultProxy proxy(moto_->port(), kProxySeed, {"slowdown=1.0", "--max-seconds", "60"});
  ASSERT_GT(proxy.port(), 0);
  S3Options o = Through(proxy, "bounded-");
  o.retry.max_attempts = 3;
  auto s = S3Storage::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIOError);
  EXPECT_EQ(s.status().message(),
            "GET bounded-.storageconfig on bucket ferry-test at http://" + o.endpoint +
                " (prefix bounded-) failed after 3 attempts: HTTP 503 SlowDown: injected by "
                "fault_proxy");
  EXPECT_EQ(proxy.Stats().value("slowdown", 0), 3);
}

TEST_F(S3FaultTest, LearnsTheBucketRegionUnlessOneWasGiven) {
  FaultProxy proxy(moto_->port(), kProxySeed, {"--bucket-region", "eu-west-1", "--max-seconds", "60"});
  ASSERT_GT(proxy.port(), 0);
  S3Options o = Through(proxy, "region-");
  auto s = S3Storage::Open(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->region(), "eu-west-1");
  ASSERT_TRUE((*s)->PutBlob("xe1", {}).ok());
  EXPECT_EQ(proxy.Stats().value("wrong_region", 0), 1) << "learned once, then signed right";

  o.region = "us-east-1";  // explicit and wrong: say so instead of guessing
  auto wrong = S3Storage::Open(o);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "bucket ferry-test at http://" + o.endpoint +
                                          " is in region eu-west-1, not us-east-1: use "
                                          "--region=eu-west-1");
}

}  // namespace
}  // namespace ferry::blob
