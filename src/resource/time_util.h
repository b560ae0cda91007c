// Times and durations as Kubernetes writes them: RFC 3339 UTC seconds ("2026-11-27T18:00:00Z")
// and Go durations ("10m0s", "1h0m0s", "720h0m0s", "500ms").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry::resource {

int64_t NowUnixSeconds();
std::string Rfc3339(int64_t unix_seconds);
std::string NowRfc3339();
Result<int64_t> ParseRfc3339(std::string_view text);  // seconds; fractional part ignored

// Go's time.ParseDuration (units ns us µs ms s m h, fractions, sums like "1h30m").
Result<int64_t> ParseGoDurationNanos(std::string_view text);
// Go's Duration.String(): "10m0s", "1h0m0s", "1.5s", "0s".
std::string GoDuration(int64_t nanos);
// kubectl's age column: "5s", "3m12s", "4h", "2d3h" ...
std::string HumanAge(int64_t seconds);

}  // namespace ferry::resource
