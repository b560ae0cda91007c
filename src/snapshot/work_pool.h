// WorkPool: a fixed set of threads draining a bounded task queue. Submit blocks while the pool
// holds `threads + queue_capacity` tasks (running or waiting), which is how the uploader keeps
// memory flat whatever the size of the tree: the walker cannot run ahead of the workers by more
// than `queue_capacity` tasks. With queue_capacity 0, Submit hands a task over only when a
// worker is idle (the chunk pool: every waiting chunk would be a multi-MiB buffer).
// A submitter that had to wait resumes only once half the queue has drained, so that a walker
// faster than the workers (small files) is woken once per several tasks rather than after each
// (a wake-up and a wait, two futex calls, per file otherwise).
//
// TaskGroup counts the tasks of one job (a file's chunks, a whole snapshot) so that the job can
// wait for just its own tasks and collect the first error.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"

namespace ferry::snapshot {

class WorkPool {
 public:
  WorkPool(size_t threads, size_t queue_capacity);
  ~WorkPool();  // runs the queued tasks, then joins
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Enqueues; blocks while threads + queue_capacity tasks are running or waiting.
  void Submit(std::function<void()> task);
  size_t threads() const { return threads_.size(); }
  // Submitters blocked in Submit right now.
  size_t waiting_submitters();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<std::function<void()>> queue_;
  size_t capacity_;
  size_t resume_at_;            // a waiting submitter resumes at this many running or waiting
  size_t submitters_waiting_ = 0;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class TaskGroup {
 public:
  void Add(int n = 1);
  // Marks one task done, recording its status (the first error wins).
  void Done(const Status& s = Status::OK());
  // Waits until every added task is done; returns the first error.
  Status Wait();
  bool failed();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_ = 0;
  Status first_error_;
};

}  // namespace ferry::snapshot
