#include "cli/units.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ferry::cli {

namespace {

// One decimal, trailing zeros and dot removed: 1.0 → "1", 1.25 → "1.2".
std::string NiceNumber(double f) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f", f);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string Scaled(double f, double thousand, const char* const* prefixes, int count) {
  for (int i = 0; i < count; ++i) {
    if (f < 0.9 * thousand) return NiceNumber(f) + " " + prefixes[i] + "B";
    f /= thousand;
  }
  return NiceNumber(f) + " " + prefixes[count - 1] + "B";
}

bool EnvTrue(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return false;
  std::string_view s(v);
  return s == "1" || s == "true" || s == "TRUE" || s == "True" || s == "t";
}

}  // namespace

std::string BytesStringBase10(double bytes) {
  static const char* const kPrefixes[] = {"", "K", "M", "G", "T", "P", "E"};
  return Scaled(bytes, 1000, kPrefixes, 7);
}

std::string BytesStringBase2(double bytes) {
  static const char* const kPrefixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  return Scaled(bytes, 1024, kPrefixes, 7);
}

std::string BytesString(double bytes) {
  if (EnvTrue("KOPIA_BYTES_STRING_BASE_2") || EnvTrue("FERRY_BYTES_STRING_BASE_2")) {
    return BytesStringBase2(bytes);
  }
  return BytesStringBase10(bytes);
}

}  // namespace ferry::cli

namespace ferry::cli {

std::string GoDurationString(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? uint64_t(-ns) : uint64_t(ns);
  auto frac = [](uint64_t v, uint64_t unit, int digits) {
    std::string s = std::to_string(v / unit);
    uint64_t rem = v % unit;
    if (rem) {
      std::string f = std::to_string(rem);
      f = std::string(size_t(digits) - f.size(), '0') + f;
      while (!f.empty() && f.back() == '0') f.pop_back();
      s += "." + f;
    }
    return s;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + frac(u, 1000, 3) + "µs";
  if (u < 1000000000) return sign + frac(u, 1000000, 6) + "ms";
  uint64_t h = u / 3600000000000ull;
  u -= h * 3600000000000ull;
  uint64_t m = u / 60000000000ull;
  u -= m * 60000000000ull;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += frac(u, 1000000000, 9) + "s";
  return out;
}

}  // namespace ferry::cli

#include <ctime>

namespace ferry::cli {

namespace {
void SplitNanos(int64_t ns, time_t* secs, int64_t* frac) {
  int64_t s = ns / 1000000000;
  int64_t f = ns % 1000000000;
  if (f < 0) {
    f += 1000000000;
    --s;
  }
  *secs = time_t(s);
  *frac = f;
}
}  // namespace

std::string TimestampString(int64_t ns, bool precise) {
  time_t secs;
  int64_t frac;
  SplitNanos(ns, &secs, &frac);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  std::string s(buf);
  if (precise) {
    char ms[8];
    std::snprintf(ms, sizeof(ms), ".%03d", int(frac / 1000000));
    s += ms;
  }
  return s + " UTC";
}

std::string Rfc3339Nano(int64_t ns) {
  time_t secs;
  int64_t frac;
  SplitNanos(ns, &secs, &frac);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s(buf);
  if (frac) {
    char f[16];
    std::snprintf(f, sizeof(f), ".%09lld", static_cast<long long>(frac));
    std::string fs(f);
    while (fs.back() == '0') fs.pop_back();
    s += fs;
  }
  return s + "Z";
}

}  // namespace ferry::cli
