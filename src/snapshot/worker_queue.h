// WorkerQueue: the read side's thread pool. N threads drain a bounded FIFO; Submit blocks while
// the queue is full, so a walker that discovers work faster than it can be done (a tree of
// millions of small files) holds at most `capacity` pending jobs — and, in restore, at most that
// many open file descriptors.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry::snapshot {

class WorkerQueue {
 public:
  // threads >= 1; capacity >= 1.
  WorkerQueue(size_t threads, size_t capacity);
  // Waits for every submitted job, then joins the threads.
  ~WorkerQueue();
  WorkerQueue(const WorkerQueue&) = delete;
  WorkerQueue& operator=(const WorkerQueue&) = delete;

  // Enqueues a job; blocks while `capacity` jobs are waiting (once blocked, until half of them
  // have been taken). Jobs must not throw.
  void Submit(std::function<void()> job);
  // Blocks until every job submitted so far has finished.
  void Wait();

  // Hardware threads (at least 1); what `parallel = 0` means.
  static size_t DefaultParallelism();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable not_empty_, not_full_, idle_;
  std::deque<std::function<void()>> queue_;
  const size_t capacity_;
  // A submitter that found the queue full resumes once it is down to this many jobs: one wake-up
  // per several jobs rather than a wake-up and a wait per job (a tree of small files).
  const size_t resume_at_;
  size_t submitters_waiting_ = 0;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ferry::snapshot
