// ProgressTicker: calls a report function from a helper thread at a fixed interval until stopped
// (internal to the datapath layer). The engine's counters are atomics, so reading them from the
// ticker while the upload or restore runs is safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ferry::datapath {

class ProgressTicker {
 public:
  ProgressTicker(std::function<void()> report, std::chrono::milliseconds interval)
      : report_(std::move(report)) {
    if (!report_) return;
    thread_ = std::thread([this, interval] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        if (cv_.wait_for(lock, interval, [this] { return stop_; })) break;
        lock.unlock();
        report_();
        lock.lock();
      }
    });
  }
  ~ProgressTicker() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::function<void()> report_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ferry::datapath
