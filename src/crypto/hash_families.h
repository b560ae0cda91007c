// Constructors of the hash families behind NewHashFunction() (hashing.cc holds the name table).
// Each validates the key the way kopia's Go library does and returns InvalidArgument naming the
// algorithm when it cannot take it. `name` must outlive the HashFunction (hashing.cc passes
// literals). Private to src/crypto.
#pragma once

#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/hashing.h"

namespace ferry::crypto {

// BLAKE2b (RFC 7693) with a 32-byte digest length in the parameter block, keyed with `key`
// (0..64 bytes; empty = unkeyed), output truncated to `output_size` (16 or 32).
Result<std::unique_ptr<HashFunction>> NewBlake2bHash(std::string_view name, size_t output_size,
                                                     ByteView key);

// BLAKE2s with digest length `digest_size` (16 or 32, the full output). Keys are 0..32 bytes;
// `key_required` (BLAKE2S-128: Go's blake2s.New128 rejects an empty key) refuses empty ones.
Result<std::unique_ptr<HashFunction>> NewBlake2sHash(std::string_view name, size_t digest_size,
                                                     bool key_required, ByteView key);

// BLAKE3 keyed_hash; keys under 32 bytes are stretched with
// derive_key("kopia blake3 derived key v1", key), longer ones cut to 32. Output truncated to
// `output_size` (16 or 32).
Result<std::unique_ptr<HashFunction>> NewBlake3Hash(std::string_view name, size_t output_size,
                                                    ByteView key);

// HMAC over the OpenSSL digest `digest_name`, output truncated to `output_size`.
Result<std::unique_ptr<HashFunction>> NewHmacHash(std::string_view name,
                                                  std::string_view digest_name,
                                                  size_t output_size, ByteView key);

}  // namespace ferry::crypto
