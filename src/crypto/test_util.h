// Helpers shared by the crypto tests: byte strings from hex, ranges and repeats.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace ferry::crypto::testing {

// Decodes test-vector hex; a malformed literal fails the test instead of crashing.
inline Bytes FromHex(std::string_view hex) {
  auto decoded = HexDecode(hex);
  EXPECT_TRUE(decoded.ok()) << "bad hex literal: " << hex;
  return decoded.ok() ? *decoded : Bytes{};
}

// The bytes first, first+1, ..., last (the "00..1f" notation of kopia-test-vectors.md).
inline Bytes Seq(int first, int last) {
  Bytes out;
  for (int b = first; b <= last; ++b) out.push_back(static_cast<uint8_t>(b));
  return out;
}

inline Bytes Repeat(uint8_t byte, size_t count) { return Bytes(count, byte); }

inline Bytes Concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace ferry::crypto::testing
