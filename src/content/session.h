// Session IDs (kopia-format.md §11.1): "s" + 16 random hex digits + the month counter (30-day
// periods since 2000-01-01 UTC) in lowercase hex. Every pack and index blob a writer creates ends
// with its session ID, which is how blob GC tells whose packs are whose.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::content {

// now_unix_seconds is the current time; the random part comes from the system CSPRNG.
std::string NewSessionId(int64_t now_unix_seconds);
// The month counter alone, e.g. 0x115 for October 2022.
std::string SessionMonthSuffix(int64_t now_unix_seconds);

}  // namespace ferry::content
