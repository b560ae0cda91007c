#include "snapshot/worker_queue.h"

#include <algorithm>
#include <utility>

namespace ferry::snapshot {

WorkerQueue::WorkerQueue(size_t threads, size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)), resume_at_(capacity_ / 2) {
  threads = std::max<size_t>(threads, 1);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerQueue::~WorkerQueue() {
  Wait();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  not_empty_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerQueue::Submit(std::function<void()> job) {
  std::unique_lock<std::mutex> lock(mu_);
  if (queue_.size() >= capacity_) {
    ++submitters_waiting_;
    not_full_.wait(lock, [&] { return queue_.size() <= resume_at_; });
    --submitters_waiting_;
  }
  queue_.push_back(std::move(job));
  lock.unlock();
  not_empty_.notify_one();
}

void WorkerQueue::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

size_t WorkerQueue::DefaultParallelism() {
  return std::max<size_t>(std::thread::hardware_concurrency(), 1);
}

void WorkerQueue::Run() {
  for (;;) {
    std::function<void()> job;
    bool wake = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      not_empty_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      wake = submitters_waiting_ > 0 && queue_.size() <= resume_at_;
    }
    if (wake) not_full_.notify_all();
    job();
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      if (queue_.empty() && running_ == 0) idle_.notify_all();
    }
  }
}

}  // namespace ferry::snapshot
