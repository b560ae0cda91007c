// Human-readable sizes as kopia prints them: base 10 ("1.2 GB") unless
// KOPIA_BYTES_STRING_BASE_2 (or FERRY_BYTES_STRING_BASE_2) asks for base 2 ("1.1 GiB").
#pragma once

#include <cstdint>
#include <string>

namespace ferry::cli {

std::string BytesStringBase10(double bytes);
std::string BytesStringBase2(double bytes);
std::string BytesString(double bytes);

}  // namespace ferry::cli

namespace ferry::cli {
// Go's time.Duration String(): "24h0m0s", "20m0s", "1.5s", "300ms", "0s".
std::string GoDurationString(int64_t nanos);
}  // namespace ferry::cli

namespace ferry::cli {
// "2026-11-27 14:27:54 UTC" (kopia's formatTimestamp, in UTC); precise adds ".000" millis.
std::string TimestampString(int64_t unix_nanos, bool precise = false);
// RFC 3339 with nanoseconds, trailing zeros trimmed, UTC: what Go's JSON writes for time.Time.
std::string Rfc3339Nano(int64_t unix_nanos);
}  // namespace ferry::cli
