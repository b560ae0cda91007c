// Progress of long operations, the way users expect it: on a terminal, a bar on stderr with
// bytes done / total, files, speed and ETA, redrawn a few times a second; with
// --progress=json, one JSON line per second on stderr ({"bytesDone":…,"totalBytes":…,
// "files":…,"errors":…}), which is what the data mover's status reports; otherwise nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ferry::cli {

struct ProgressSample {
  int64_t bytes_done = 0;
  int64_t total_bytes = -1;  // unknown while estimating
  int64_t files = 0;
  int64_t errors = 0;
  int64_t cached_bytes = 0;
};

class ProgressDisplay {
 public:
  // mode: "auto" (bar when stderr is a terminal), "bar", "json", "none".
  ProgressDisplay(std::string mode, std::string verb, std::function<ProgressSample()> sample);
  ~ProgressDisplay();  // stops and prints the final line
  void Stop();

 private:
  void Loop();
  void Draw(const ProgressSample& s, bool final);

  std::string mode_;
  std::string verb_;
  std::function<ProgressSample()> sample_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  int64_t start_ns_;
  bool drew_ = false;
};

}  // namespace ferry::cli
