// HMAC (RFC 2104) over an OpenSSL digest with the key schedule done once.
//
// Construction hashes an over-long key, pads it to the digest's block size and absorbs the
// ipad and opad blocks into two digest states. Each Mac() then starts from copies of those states
// instead of re-keying: small messages (per-content key derivation, 16-byte IVs) stay cheap, and
// since the states are never modified one Hmac serves any number of threads. Private to
// src/crypto.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/openssl_util.h"

namespace ferry::crypto {

class Hmac {
 public:
  // digest_name: an OpenSSL digest name such as "SHA2-256" or "SHA3-224". Any key length,
  // including empty, is valid (RFC 2104).
  static Result<Hmac> New(std::string_view digest_name, ByteView key);

  Hmac(Hmac&&) = default;
  Hmac& operator=(Hmac&&) = default;

  // Length of the MAC in bytes (the digest length).
  size_t size() const { return size_; }

  // Writes size() bytes of HMAC(key, data) to out. Thread-safe.
  void Mac(ByteView data, uint8_t* out) const;

 private:
  Hmac(EvpMdCtxPtr inner, EvpMdCtxPtr outer, size_t size)
      : inner_(std::move(inner)), outer_(std::move(outer)), size_(size) {}

  EvpMdCtxPtr inner_;  // digest state after absorbing key ^ ipad
  EvpMdCtxPtr outer_;  // digest state after absorbing key ^ opad
  size_t size_;
};

}  // namespace ferry::crypto
