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
