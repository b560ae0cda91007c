#include "snapshot/work_pool.h"

namespace ferry::snapshot {

WorkPool::WorkPool(size_t threads, size_t queue_capacity) {
  if (threads == 0) threads = 1;
  capacity_ = threads + queue_capacity;
  resume_at_ = capacity_ - 1 - queue_capacity / 2;
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  not_empty_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkPool::Submit(std::function<void()> task) {
  std::unique_lock<std::mutex> lock(mu_);
  if (queue_.size() + running_ >= capacity_) {
    ++submitters_waiting_;
    not_full_.wait(lock, [this] { return queue_.size() + running_ <= resume_at_; });
    --submitters_waiting_;
  }
  queue_.push_back(std::move(task));
  lock.unlock();
  not_empty_.notify_one();
}

size_t WorkPool::waiting_submitters() {
  std::lock_guard<std::mutex> lock(mu_);
  return submitters_waiting_;
}

void WorkPool::Run() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      not_empty_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    task();
    task = nullptr;  // what the task holds (a chunk buffer) goes before a new one is submitted
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      wake = submitters_waiting_ > 0 && queue_.size() + running_ <= resume_at_;
    }
    if (wake) not_full_.notify_all();
  }
}

void TaskGroup::Add(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_ += n;
}

void TaskGroup::Done(const Status& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!s.ok() && first_error_.ok()) first_error_ = s;
  if (--pending_ == 0) cv_.notify_all();
}

Status TaskGroup::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return pending_ == 0; });
  return first_error_;
}

bool TaskGroup::failed() {
  std::lock_guard<std::mutex> lock(mu_);
  return !first_error_.ok();
}

}  // namespace ferry::snapshot
