// Byte buffers and views used across every layer, and the encodings kopia's formats use
// (lowercase hex, standard base64 with padding).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ferry {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using MutableByteView = std::span<uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Lowercase hex, no separators.
std::string HexEncode(ByteView data);
// Accepts upper and lower case; odd length or a non-hex character is an error.
Result<Bytes> HexDecode(std::string_view hex);

// RFC 4648 §4 standard alphabet with '=' padding (what Go's encoding/json writes for []byte).
std::string Base64Encode(ByteView data);
Result<Bytes> Base64Decode(std::string_view text);

// Overwrites memory that held secrets (keys, passwords) in a way the compiler cannot elide.
void SecureWipe(void* data, size_t size);

}  // namespace ferry
