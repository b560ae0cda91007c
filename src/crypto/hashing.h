// Content hash functions, registered under the names kopia uses (kopia-format.md §4).
// A content ID is prefix + hash(uncompressed plaintext); the key is the repository's HMAC
// `secret` (may be empty, see the traps in §4).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::crypto {

inline constexpr size_t kMaxHashSize = 32;
inline constexpr std::string_view kDefaultHashAlgorithm = "BLAKE2B-256-128";

class HashFunction {
 public:
  virtual ~HashFunction() = default;

  virtual std::string_view name() const = 0;
  // Number of bytes Hash() writes: 16, 28 or 32.
  virtual size_t output_size() const = 0;
  // Writes output_size() bytes to out. Thread-safe: one HashFunction serves all threads.
  virtual void Hash(ByteView data, uint8_t* out) const = 0;

  Bytes Hash(ByteView data) const {
    Bytes out(output_size());
    Hash(data, out.data());
    return out;
  }
};

// All eleven algorithm names, in kopia's order (HashAlgorithms()[0] is not the default).
const std::vector<std::string>& HashAlgorithmNames();

// Creates the named hash keyed with `secret`. Unknown names are InvalidArgument with a message
// listing the valid names; keys the algorithm cannot take (BLAKE2S-128 with an empty key, BLAKE2
// keys over the maximum) are InvalidArgument too.
Result<std::unique_ptr<HashFunction>> NewHashFunction(std::string_view name, ByteView secret);

}  // namespace ferry::crypto
