#include "cli/progress_display.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/units.h"

namespace ferry::cli {

namespace {
int64_t MonoNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

ProgressDisplay::ProgressDisplay(std::string mode, std::string verb, std::function<ProgressSample()> sample)
    : mode_(std::move(mode)), verb_(std::move(verb)), sample_(std::move(sample)), start_ns_(MonoNanos()) {
  if (mode_ == "auto") mode_ = isatty(STDERR_FILENO) ? "bar" : "none";
  if (mode_ != "none") thread_ = std::thread([this] { Loop(); });
}

ProgressDisplay::~ProgressDisplay() { Stop(); }

void ProgressDisplay::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    Draw(sample_(), true);
  }
}

void ProgressDisplay::Loop() {
  auto period = std::chrono::milliseconds(mode_ == "json" ? 1000 : 250);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period);
    if (stop_) break;
    lock.unlock();
    Draw(sample_(), false);
    lock.lock();
  }
}

void ProgressDisplay::Draw(const ProgressSample& s, bool final) {
  double secs = double(MonoNanos() - start_ns_) / 1e9;
  if (mode_ == "json") {
    std::fprintf(stderr, "{\"bytesDone\":%lld,\"totalBytes\":%lld,\"files\":%lld,\"errors\":%lld%s}\n",
                 static_cast<long long>(s.bytes_done), static_cast<long long>(s.total_bytes < 0 ? 0 : s.total_bytes),
                 static_cast<long long>(s.files), static_cast<long long>(s.errors), final ? ",\"done\":true" : "");
    std::fflush(stderr);
    return;
  }
  double speed = secs > 0 ? double(s.bytes_done) / secs : 0;
  std::string line = verb_ + " " + BytesString(double(s.bytes_done));
  if (s.total_bytes >= 0) {
    int width = 24;
    double frac = s.total_bytes > 0 ? std::min(1.0, double(s.bytes_done) / double(s.total_bytes)) : 1.0;
    int filled = int(frac * width);
    line = verb_ + " [" + std::string(size_t(filled), '#') + std::string(size_t(width - filled), '.') + "] " +
           BytesString(double(s.bytes_done)) + " / " + BytesString(double(s.total_bytes));
    if (!final && speed > 0 && s.total_bytes > s.bytes_done) {
      line += ", ETA " + GoDurationString(int64_t(double(s.total_bytes - s.bytes_done) / speed) * 1000000000);
    }
  }
  line += ", " + std::to_string(s.files) + " files, " + BytesString(speed) + "/s";
  if (s.errors) line += ", " + std::to_string(s.errors) + " errors";
  std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  std::fflush(stderr);
  drew_ = true;
}

}  // namespace ferry::cli
