#include "manifest/rfc3339.h"

#include <cstdio>

namespace ferry {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                  // [0, 399]
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          // [0, 146096]
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Reads exactly n digits at text[*pos].
bool Digits(std::string_view text, size_t* pos, size_t n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char a, char b = 0) {
  if (*pos >= text.size() || (text[*pos] != a && (b == 0 || text[*pos] != b))) return false;
  ++*pos;
  return true;
}

Status Malformed(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid RFC 3339 time \"" + std::string(text) + "\": " +
                                 std::string(why));
}

}  // namespace

UnixTime FromUnixNanos(int64_t unix_nanos) {
  int64_t seconds = FloorDiv(unix_nanos, kNanosPerSecond);
  return UnixTime{seconds, static_cast<int32_t>(unix_nanos - seconds * kNanosPerSecond)};
}

Result<int64_t> ToUnixNanos(UnixTime time) {
  // Before 1970 borrow a second first: the earliest representable time has seconds * 1e9 below
  // INT64_MIN and only the added nanoseconds bring it back in range.
  int64_t seconds = time.seconds;
  int64_t frac = time.nanos;
  if (seconds < 0 && frac > 0) {
    ++seconds;
    frac -= kNanosPerSecond;
  }
  int64_t nanos;
  if (__builtin_mul_overflow(seconds, kNanosPerSecond, &nanos) ||
      __builtin_add_overflow(nanos, frac, &nanos)) {
    return Status::InvalidArgument("time " + FormatRfc3339Nano(time) +
                                   " is outside the range of int64 nanoseconds (1677..2262)");
  }
  return nanos;
}

std::string FormatRfc3339Nano(int64_t unix_nanos) {
  return FormatRfc3339Nano(FromUnixNanos(unix_nanos));
}

std::string FormatRfc3339Nano(UnixTime time) {
  int64_t days = FloorDiv(time.seconds, kSecondsPerDay);
  int64_t secs = time.seconds - days * kSecondsPerDay;
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%s%04lld-%02d-%02dT%02d:%02d:%02d",
                        year < 0 ? "-" : "", static_cast<long long>(year < 0 ? -year : year),
                        month, day, static_cast<int>(secs / 3600),
                        static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (time.nanos != 0) {
    std::snprintf(buf, sizeof(buf), ".%09d", time.nanos);
    std::string frac(buf);
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  out.push_back('Z');
  return out;
}

Result<UnixTime> ParseRfc3339Time(std::string_view text) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !Digits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !Digits(text, &pos, 2, &day) || !Expect(text, &pos, 'T', 't') ||
      !Digits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !Digits(text, &pos, 2, &second)) {
    return Malformed(text, "expected YYYY-MM-DDTHH:MM:SS");
  }
  if (month < 1 || month > 12) return Malformed(text, "month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) return Malformed(text, "day out of range");
  if (hour > 23) return Malformed(text, "hour out of range");
  if (minute > 59) return Malformed(text, "minute out of range");
  if (second > 59) return Malformed(text, "second out of range");  // Go refuses leap seconds

  int32_t nanos = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return Malformed(text, "empty fraction of a second");
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
  }

  int64_t offset = 0;
  if (Expect(text, &pos, 'Z', 'z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!Digits(text, &pos, 2, &oh) || !Expect(text, &pos, ':') || !Digits(text, &pos, 2, &om)) {
      return Malformed(text, "expected a zone offset ±HH:MM");
    }
    if (oh > 23 || om > 59) return Malformed(text, "zone offset out of range");
    offset = sign * (int64_t{oh} * 3600 + int64_t{om} * 60);
  } else {
    return Malformed(text, "expected Z or a zone offset");
  }
  if (pos != text.size()) return Malformed(text, "unexpected text after the time");

  int64_t seconds = DaysFromCivil(year, month, day) * kSecondsPerDay + int64_t{hour} * 3600 +
                    int64_t{minute} * 60 + second - offset;
  return UnixTime{seconds, nanos};
}

Result<int64_t> ParseRfc3339(std::string_view text) {
  FERRY_ASSIGN_OR_RETURN(UnixTime time, ParseRfc3339Time(text));
  auto nanos = ToUnixNanos(time);
  if (!nanos.ok()) return Malformed(text, "outside the range of int64 nanoseconds (1677..2262)");
  return nanos;
}

}  // namespace ferry
