#include "volume/quantity.h"

#include <cctype>
#include <limits>

namespace ferry::volume {

namespace {

__extension__ typedef __int128 i128;  // exact products of a 30-digit mantissa and a 2^60 unit

Status Bad(std::string_view text, const std::string& why) {
  return Status::InvalidArgument("invalid quantity \"" + std::string(text) + "\": " + why +
                                 " (examples: 10Gi, 500Mi, 1.5Ti, 100G, 1e9)");
}

}  // namespace

Result<int64_t> ParseQuantity(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return Bad(text, "empty");
  if (s.front() == '+') s.remove_prefix(1);
  if (!s.empty() && s.front() == '-') return Bad(text, "volume sizes cannot be negative");

  // Mantissa: digits with an optional fraction, kept as an integer and a count of decimals.
  i128 mantissa = 0;
  int decimals = 0, digits = 0;
  bool point = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !point) {
      point = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      if (++digits > 30) return Bad(text, "too many digits");
      mantissa = mantissa * 10 + (c - '0');
      if (point) ++decimals;
    } else {
      break;
    }
  }
  if (digits == 0) return Bad(text, "no number");

  std::string_view suffix = s.substr(i);
  int binary_shift = 0;  // multiply by 2^binary_shift
  int decimal_exp = 0;   // multiply by 10^decimal_exp
  if (suffix.empty()) {
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    const std::string_view kBinary = "KMGTPE";
    size_t k = kBinary.find(suffix[0]);
    if (k == std::string_view::npos) return Bad(text, "unknown suffix \"" + std::string(suffix) + "\"");
    binary_shift = 10 * int(k + 1);
  } else if (suffix == "k") {
    decimal_exp = 3;
  } else if (suffix.size() == 1 && std::string_view("MGTPE").find(suffix[0]) != std::string_view::npos) {
    decimal_exp = 3 * int(std::string_view("MGTPE").find(suffix[0]) + 2);
  } else if (suffix == "m") {
    decimal_exp = -3;
  } else if (suffix == "u") {
    decimal_exp = -6;
  } else if (suffix == "n") {
    decimal_exp = -9;
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::string_view e = suffix.substr(1);
    bool negative = false;
    if (!e.empty() && (e[0] == '+' || e[0] == '-')) {
      negative = e[0] == '-';
      e.remove_prefix(1);
    }
    if (e.empty() || e.size() > 3) return Bad(text, "bad exponent");
    for (char c : e) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return Bad(text, "bad exponent");
      decimal_exp = decimal_exp * 10 + (c - '0');
    }
    if (negative) decimal_exp = -decimal_exp;
  } else {
    return Bad(text, "unknown suffix \"" + std::string(suffix) + "\"");
  }

  // value = mantissa * 2^shift * 10^(decimal_exp - decimals), rounded up.
  const i128 kMax = std::numeric_limits<int64_t>::max();
  i128 numerator = mantissa;
  i128 denominator = 1;
  int exp10 = decimal_exp - decimals;
  for (int k = 0; k < binary_shift; ++k) {
    numerator *= 2;
    if (numerator / (i128(1) << 30) > kMax) return Bad(text, "too large");
  }
  for (; exp10 > 0; --exp10) {
    numerator *= 10;
    if (numerator / (i128(1) << 30) > kMax) return Bad(text, "too large");
  }
  for (; exp10 < 0; ++exp10) {
    denominator *= 10;
    if (denominator > kMax * 1000) break;  // anything left rounds up to 1 (or stays 0)
  }
  i128 value = (numerator + denominator - 1) / denominator;
  if (value > kMax) return Bad(text, "too large");
  return int64_t(value);
}

std::string FormatQuantity(int64_t bytes) {
  if (bytes <= 0) return std::to_string(bytes);
  const char* kSuffix[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  int best = -1;
  for (int k = 0; k < 6; ++k) {
    int64_t unit = int64_t(1) << (10 * (k + 1));
    if (bytes % unit == 0) best = k;
  }
  if (best < 0) return std::to_string(bytes);
  return std::to_string(bytes >> (10 * (best + 1))) + kSuffix[best];
}

}  // namespace ferry::volume
