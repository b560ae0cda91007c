#include "snapshot/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::snapshot {
namespace {

// Tasks that wait for a gate, so the test decides when the pool drains.
class Gate {
 public:
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A submitter that found the pool full (2 threads + a queue of 8 = 10 tasks held) is let in only
// once half the queue has drained, at 5 held tasks, not at the first task done.
TEST(WorkPoolTest, ASubmitterThatWaitedResumesOnceHalfTheQueueHasDrained) {
  constexpr int kThreads = 2, kQueue = 8, kFull = kThreads + kQueue;
  std::vector<Gate> gates(kFull + 1);
  std::atomic<int> ran{0};
  std::atomic<bool> let_in{false};
  {
    WorkPool pool(kThreads, kQueue);
    for (int i = 0; i < kFull; ++i) {
      pool.Submit([&, i] {
        gates[size_t(i)].Wait();
        ++ran;
      });
    }
    std::thread submitter([&] {
      pool.Submit([&] {
        gates[kFull].Wait();
        ++ran;
      });
      let_in = true;
    });
    // On the way out, even after a failed assertion: every task may finish, the submitter joins.
    struct Finish {
      std::vector<Gate>& gates;
      std::thread& thread;
      ~Finish() {
        for (auto& g : gates) g.Open();
        thread.join();
      }
    } finish{gates, submitter};
    auto wait_for = [](const std::function<bool()>& done) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!done() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return done();
    };
    ASSERT_TRUE(wait_for([&] { return pool.waiting_submitters() == 1; }));
    // Tasks finish in order (two workers take them from the queue in order).
    for (int done = 1; done <= kFull - 1 - kQueue / 2 - 1; ++done) {  // 9, 8, 7, 6 held
      gates[size_t(done - 1)].Open();
      ASSERT_TRUE(wait_for([&] { return ran.load() == done; }));
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      EXPECT_FALSE(let_in.load()) << "let in with " << kFull - done << " tasks held";
    }
    gates[size_t(kFull - 1 - kQueue / 2 - 1)].Open();  // 5 held: the submitter goes on
    EXPECT_TRUE(wait_for([&] { return let_in.load(); }));
  }
  EXPECT_EQ(ran.load(), kFull + 1);
}

// With no queue (the chunk pool), a task is handed over only when a worker is idle.
TEST(WorkPoolTest, WithoutAQueueATaskWaitsForAnIdleWorker) {
  std::atomic<int> running{0}, max_running{0}, ran{0};
  {
    WorkPool pool(3, 0);
    for (int i = 0; i < 60; ++i) {
      pool.Submit([&] {
        const int now = ++running;
        int m = max_running.load();
        while (now > m && !max_running.compare_exchange_weak(m, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        --running;
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 60);
  EXPECT_LE(max_running.load(), 3);
  EXPECT_GE(max_running.load(), 2);
}

}  // namespace
}  // namespace ferry::snapshot
