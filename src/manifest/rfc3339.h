// RFC 3339 timestamps as kopia's JSON carries them (kopia-format.md §0): Go's time.Time marshals
// as RFC3339Nano — UTC written with `Z`, nanoseconds with trailing zeros trimmed and no fraction
// at all for whole seconds:
//
//   2022-10-04T12:00:00.5Z   2022-10-04T12:00:00Z   2022-10-04T12:00:00.123456789Z
//
// Readers must accept any offset (old kopia wrote local times such as `-07:00`) and any number
// of fraction digits (beyond nine are truncated, as Go does). Times before 1970 are ordinary:
// kopia's stdin snapshots carry `1754-08-30T22:43:41.128654848Z` (Go's zero time pushed through
// UnixNano and back).
//
// Two representations: int64 Unix nanoseconds (years 1677..2262, what ferry stores) and
// UnixTime (seconds + nanos, years 0000..9999, e.g. for Go's zero time 0001-01-01T00:00:00Z).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ferry {

struct UnixTime {
  int64_t seconds = 0;  // since 1970-01-01T00:00:00Z, negative before
  int32_t nanos = 0;    // 0..999'999'999, always forward from `seconds`

  friend bool operator==(const UnixTime&, const UnixTime&) = default;
  friend auto operator<=>(const UnixTime&, const UnixTime&) = default;
};

// Go's zero time.Time, 0001-01-01T00:00:00Z.
inline constexpr UnixTime kGoZeroTime{-62135596800, 0};

// Go's RFC3339Nano in UTC. Years outside 0000..9999 are written with more digits or a sign
// (as Go's Format does; Go's JSON encoder would refuse them).
std::string FormatRfc3339Nano(int64_t unix_nanos);
std::string FormatRfc3339Nano(UnixTime time);

// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t`/`z` and `,` accepted too). Calendar
// fields are range-checked (Feb 30 is an error). InvalidArgument quoting the text when malformed
// or, for the int64 form, outside 1677-09-21..2262-04-11.
Result<int64_t> ParseRfc3339(std::string_view text);
Result<UnixTime> ParseRfc3339Time(std::string_view text);

// Nanoseconds since the epoch; InvalidArgument when they do not fit in int64.
Result<int64_t> ToUnixNanos(UnixTime time);
UnixTime FromUnixNanos(int64_t unix_nanos);

}  // namespace ferry
