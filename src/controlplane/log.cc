#include "controlplane/log.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "resource/time_util.h"

namespace ferry::controlplane {

namespace {
std::mutex& LogMutex() {
  static std::mutex m;
  return m;
}
LogSink& Sink() {
  static LogSink sink;
  return sink;
}
std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}
}  // namespace

void Log(LogLevel level, std::string_view message) {
  std::lock_guard<std::mutex> lock(LogMutex());
  if (Sink()) {
    Sink()(level, message);
    return;
  }
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  std::string stamp = resource::Rfc3339(ms / 1000);  // "...T18:00:00Z" → "...T18:00:00.123Z"
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(ms % 1000));
  stamp.insert(stamp.size() - 1, frac);
  std::cerr << stamp << " " << LevelName(level) << " " << message << "\n" << std::flush;
}

LogSink SetLogSink(LogSink sink) {
  std::lock_guard<std::mutex> lock(LogMutex());
  LogSink previous = std::move(Sink());
  Sink() = std::move(sink);
  return previous;
}

}  // namespace ferry::controlplane
