#include "controlplane/data_path_manager.h"

#include <chrono>

namespace ferry::controlplane {

void TransferContext::ReportProgress(const datapath::Progress& p) {
  std::lock_guard<std::mutex> lock(mutex_);
  progress_ = p;
  has_progress_ = true;
}

DataPathManager::DataPathManager(int slots) : slots_(slots < 1 ? 1 : slots) {}

DataPathManager::~DataPathManager() {
  CancelAll();
  std::map<std::string, Entry> entries;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries.swap(entries_);
  }
  for (auto& [key, e] : entries) {
    if (e.thread.joinable()) e.thread.join();
  }
}

bool DataPathManager::TryStart(const std::string& key, TransferFn fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.count(key)) return false;
  if (static_cast<int>(entries_.size()) >= slots_) return false;
  Entry& e = entries_[key];
  e.context = std::make_unique<TransferContext>();
  TransferContext* context = e.context.get();
  e.thread = std::thread([this, key, context, fn = std::move(fn)] {
    TransferOutcome outcome = fn(*context);
    std::lock_guard<std::mutex> l(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      it->second.outcome = std::move(outcome);
      it->second.done = true;
    }
    finished_cv_.notify_all();
  });
  return true;
}

bool DataPathManager::IsRunning(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.count(key) > 0;
}

void DataPathManager::Cancel(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) it->second.context->cancel_ = true;
}

void DataPathManager::CancelAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [key, e] : entries_) e.context->cancel_ = true;
}

std::optional<datapath::Progress> DataPathManager::LatestProgress(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  TransferContext& c = *it->second.context;
  std::lock_guard<std::mutex> l(c.mutex_);
  if (!c.has_progress_) return std::nullopt;
  return c.progress_;
}

std::vector<DataPathManager::Finished> DataPathManager::TakeFinished() {
  std::vector<Finished> out;
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (!it->second.done) {
        ++it;
        continue;
      }
      out.push_back({it->first, std::move(it->second.outcome)});
      threads.push_back(std::move(it->second.thread));
      it = entries_.erase(it);
    }
  }
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
  return out;
}

void DataPathManager::WaitForFinished(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  finished_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] {
    for (auto& [key, e] : entries_) {
      if (e.done) return true;
    }
    return false;
  });
}

int DataPathManager::slots() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_;
}

void DataPathManager::set_slots(int slots) {
  std::lock_guard<std::mutex> lock(mutex_);
  slots_ = slots < 1 ? 1 : slots;
}

int DataPathManager::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(entries_.size());
}

}  // namespace ferry::controlplane
