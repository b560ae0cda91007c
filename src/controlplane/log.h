// The control plane's log: one line per event on stderr ("2026-11-27T18:00:00Z info node-1:
// DataUpload velero/b-x accepted"), like a node-agent pod's log. Thread-safe. Tests may install a
// sink to read what was logged.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace ferry::controlplane {

enum class LogLevel { kInfo, kWarning, kError };

void Log(LogLevel level, std::string_view message);
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(std::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }

// Replaces the destination (null: stderr). Returns the previous sink.
using LogSink = std::function<void(LogLevel, std::string_view)>;
LogSink SetLogSink(LogSink sink);

}  // namespace ferry::controlplane
