#include "controlplane/log.h"

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
  std::cerr << resource::NowRfc3339() << " " << LevelName(level) << " " << message << "\n" << std::flush;
}

LogSink SetLogSink(LogSink sink) {
  std::lock_guard<std::mutex> lock(LogMutex());
  LogSink previous = std::move(Sink());
  Sink() = std::move(sink);
  return previous;
}

}  // namespace ferry::controlplane
