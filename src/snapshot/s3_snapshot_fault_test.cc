// A 200 MB snapshot and its restore through a misbehaving S3 endpoint: moto behind
// src/blob/testing/fault_proxy.py, which answers requests at random with 500 InternalError,
// 503 SlowDown, drops connections before forwarding and after forwarding (the request took
// effect, the answer is lost), truncates bodies, and stalls 5 % of requests for 2 seconds before
// dropping them. Everything must still complete through the S3 backend's own retries, and what
// comes back must be identical: the restored tree is compared with the source (SHA-256 of every
// file, modes, mtimes), and every content of the repository is read and authenticated again.
//
// The stalls are not bounded: at 5 % of the ~530 requests of this test they are ~25 requests
// × 2 s, spread over the parallel uploads, downloads and reads; the whole test takes ~30 s on
// 2 cores (it prints the time of each phase).
//
// Runs as its own ctest entry (backend_suite_test.S3Faults), so its moto server is its own.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "blob/http_client.h"
#include "blob/s3_storage.h"
#include "blob/testing/fault_proxy.h"
#include "blob/testing/moto_server.h"
#include "cli/test_util.h"
#include "repo/repository.h"
#include "snapshot/backend_test_util.h"
#include "snapshot/restore.h"
#include "snapshot/uploader.h"

namespace ferry::snapshot {
namespace {

namespace fs = std::filesystem;
using blob::testing::MotoServer;
using ferry::testing::TempDir;
using namespace ferry::snapshot::testing;
using blob::testing::FaultProxy;

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// About 200 MB: a few big random files (most of the bytes, several packs each) and 150 small
// ones (many contents, many small ranged reads on restore), in nested directories.
int64_t MakeBigTree(const fs::path& root, int* files) {
  int64_t total = 0;
  *files = 0;
  const int64_t big[] = {int64_t(64) << 20, int64_t(48) << 20, int64_t(40) << 20,
                         int64_t(24) << 20, int64_t(12) << 20};
  for (size_t i = 0; i < std::size(big); ++i) {
    WriteRandomFile(root / "volumes" / ("disk" + std::to_string(i) + ".img"), big[i], 1000 + i,
                    0640, 1700000000000000000 + int64_t(i) * 123456789);
    total += big[i];
    ++*files;
  }
  for (int i = 0; i < 150; ++i) {
    int64_t size = 1 + (int64_t(i) * 7919 * 13) % (64 << 10);
    WriteRandomFile(root / "small" / ("d" + std::to_string(i % 6)) / ("f" + std::to_string(i)),
                    size, 5000 + uint64_t(i), 0644, 1600000000000000000 + i);
    total += size;
    ++*files;
  }
  return total;
}

TEST(S3SnapshotFaultTest, TwoHundredMegabytesSnapshotAndRestoreThroughInjectedFaults) {
  const auto t_start = std::chrono::steady_clock::now();
  MotoServer* moto = MotoServer::Shared();
  ASSERT_NE(moto, nullptr) << "this test needs moto (see docs/s3.md)";
  FaultProxy proxy(moto->port(), 20260301, {"error500=0.03", "slowdown=0.03", "drop=0.03", "lost_reply=0.02",
                                  "truncate=0.03", "stall=0.05", "--stall-seconds", "2",
                                  "--max-seconds", "280"});
  ASSERT_GT(proxy.port(), 0) << "fault_proxy.py did not start";

  TempDir dir("s3-fault-snapshot");
  fs::path src = dir.path() / "src";
  int files = 0;
  const int64_t total = MakeBigTree(src, &files);
  ASSERT_GE(total, int64_t(200'000'000));

  blob::S3Options o = moto->OptionsFor("ferry-test", "fault-snap-" + std::to_string(getpid()) + "-");
  o.endpoint = "127.0.0.1:" + std::to_string(proxy.port());
  // ~20 % of requests fail; 12 attempts make a request that fails every time (0.2^12) vanishingly
  // unlikely, short delays keep the test quick.
  o.retry.max_attempts = 12;
  o.retry.initial_delay = std::chrono::milliseconds(10);
  o.retry.max_delay = std::chrono::milliseconds(200);
  std::vector<std::shared_ptr<blob::S3Storage>> storages;  // for the client-side counters
  auto open_storage = [&]() -> std::shared_ptr<blob::Storage> {
    auto s = blob::S3Storage::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    storages.push_back(std::shared_ptr<blob::S3Storage>(std::move(*s)));
    return storages.back();
  };
  auto storage = open_storage();
  ASSERT_NE(storage, nullptr);
  Status created = repo::InitializeRepository(storage.get(), "pw", {}, "s3");
  ASSERT_TRUE(created.ok()) << created.ToString();
  repo::OpenOptions oo;
  oo.hostname = "host";
  oo.username = "user";
  auto repository = repo::Repository::Open(storage, "pw", oo);
  ASSERT_TRUE(repository.ok()) << repository.status().ToString();

  // Snapshot.
  auto t0 = std::chrono::steady_clock::now();
  UploadOptions uo;
  uo.parallelism = 2;
  auto m = Uploader(repository->get(), uo).SnapshotDirectory({"host", "user", "/data/pvc"}, src.string());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->stats.file_count, files);
  EXPECT_EQ(m->stats.total_size, total);
  EXPECT_EQ(m->stats.error_count, 0);
  const double t_snapshot = Since(t0);

  // Restore from a new storage object and repository (nothing in memory from the upload).
  repository->reset();
  storage.reset();
  storage = open_storage();
  ASSERT_NE(storage, nullptr);
  repository = repo::Repository::Open(storage, "pw", oo);
  ASSERT_TRUE(repository.ok()) << repository.status().ToString();
  auto list = ListSnapshots((*repository)->manifests(), SourceInfo{"host", "user", "/data/pvc"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  t0 = std::chrono::steady_clock::now();
  fs::path out = dir.path() / "restored";
  RestoreOptions ro;
  ro.parallel = 4;  // network-bound: more requests in flight than cores
  auto restored = Restore(*(*repository)->objects(), list->front().root_entry, out.string(), ro);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->bytes, total);
  EXPECT_EQ(restored->files, files);
  const double t_restore = Since(t0);

  // Identical: SHA-256 of every file, sizes, modes, mtimes, directories.
  t0 = std::chrono::steady_clock::now();
  ExpectSameTree(src, out);
  const double t_compare = Since(t0);

  // Verify: every content of the repository (file data, directories, manifests) is read,
  // authenticated and decrypted, by 4 threads.
  t0 = std::chrono::steady_clock::now();
  std::vector<content::ContentId> ids;
  ASSERT_TRUE((*repository)->contents()->IterateContents(false, [&](const content::ContentInfo& c) {
    ids.push_back(c.id);
    return Status::OK();
  }).ok());
  std::atomic<size_t> next{0};
  std::atomic<int64_t> content_bytes{0};
  std::mutex errors_mu;
  std::vector<std::string> errors;
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      Bytes data;
      for (size_t i; (i = next++) < ids.size();) {
        Status st = (*repository)->contents()->GetContent(ids[i], &data);
        if (!st.ok()) {
          std::lock_guard lock(errors_mu);
          errors.push_back(ids[i].ToString() + ": " + st.ToString());
        } else {
          content_bytes += int64_t(data.size());
        }
      }
    });
  }
  for (auto& th : readers) th.join();
  EXPECT_TRUE(errors.empty()) << errors.size() << " unreadable contents, first: " << errors.front();
  EXPECT_GE(content_bytes.load(), total);  // file data plus directories and manifests
  const double t_verify = Since(t0);

  // What the proxy did, and what the client saw.
  nlohmann::json f = proxy.Stats();
  ASSERT_TRUE(f.is_object()) << "no statistics from fault_proxy.py";
  auto n = [&](const char* k) { return static_cast<long long>(f.value(k, 0)); };
  const long long injected =
      n("error500") + n("slowdown") + n("drop") + n("lost_reply") + n("truncate") + n("stall");
  blob::S3Stats cs;
  for (const auto& s : storages) {
    blob::S3Stats x = s->stats();
    cs.requests += x.requests;
    cs.retries += x.retries;
    cs.server_errors += x.server_errors;
    cs.throttled += x.throttled;
    cs.timeouts += x.timeouts;
    cs.network_errors += x.network_errors;
  }
  std::printf(
      "%.1f MB in %d files, %zu contents: snapshot %.1f s, restore %.1f s, compare %.1f s, verify "
      "%.1f s, total %.1f s\n"
      "fault proxy: %lld requests, %lld faults injected (500: %lld, 503 SlowDown: %lld, dropped: "
      "%lld, reply lost after forwarding: %lld, truncated body: %lld, stalled 2 s: %lld)\n"
      "client: %lld requests, %lld retries (server errors %lld, throttled %lld, timeouts %lld, "
      "network errors %lld)\n",
      double(total) / 1e6, files, ids.size(), t_snapshot, t_restore, t_compare, t_verify,
      Since(t_start), n("requests"), injected, n("error500"), n("slowdown"), n("drop"),
      n("lost_reply"), n("truncate"), n("stall"), static_cast<long long>(cs.requests),
      static_cast<long long>(cs.retries), static_cast<long long>(cs.server_errors),
      static_cast<long long>(cs.throttled), static_cast<long long>(cs.timeouts),
      static_cast<long long>(cs.network_errors));
  for (const char* k : {"error500", "slowdown", "drop", "lost_reply", "truncate", "stall"}) {
    EXPECT_GT(f.value(k, 0), 0) << "no fault of kind " << k << " was injected";
  }
  EXPECT_EQ(cs.server_errors, n("error500"));
  EXPECT_EQ(cs.throttled, n("slowdown"));
  // Error answers and truncated bodies each cost the backend a retry. A dropped or stalled
  // request may instead be re-sent by libcurl itself (it does so once when a reused keep-alive
  // connection closes without an answer), so those are not counted here.
  EXPECT_GE(cs.retries, n("error500") + n("slowdown") + n("truncate"));

  // Leave the shared bucket small.
  DeleteAllBlobs(storage.get());
}

}  // namespace
}  // namespace ferry::snapshot
