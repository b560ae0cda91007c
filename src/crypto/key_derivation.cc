// Password and HKDF key derivation (kopia-format.md §2.2, §3) and the format-blob cipher (§2.3).
#include "crypto/key_derivation.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>
#include <string>
#include <vector>

#include "crypto/aead.h"
#include "crypto/encryption.h"
#include "crypto/hmac.h"
#include "crypto/openssl_util.h"

namespace ferry::crypto {

namespace {

constexpr size_t kFormatKeySize = 32;
// kopia HEAD refuses salts under 128 bits for both password KDFs.
constexpr size_t kMinPasswordSaltSize = 16;
constexpr size_t kSha256Size = 32;

// OpenSSL takes octet-string parameters through non-const pointers but only reads them. Empty
// values get a non-null pointer: some providers treat a null one as "parameter not given" (HKDF
// would then refuse an empty key, which RFC 5869 and Go's hkdf accept).
OSSL_PARAM OctetParam(const char* key, ByteView value) {
  static uint8_t nothing = 0;
  uint8_t* data = value.empty() ? &nothing : const_cast<uint8_t*>(value.data());
  return OSSL_PARAM_construct_octet_string(key, data, value.size());
}

// Runs the fetched KDF `kdf_name` with `params` into a fresh buffer of `length` bytes.
Result<Bytes> RunKdf(const char* kdf_name, const OSSL_PARAM* params, size_t length) {
  EVP_KDF* kdf = FetchKdf(kdf_name);
  if (kdf == nullptr) return Status::Internal(OpenSslError(std::string("no OpenSSL ") + kdf_name));
  EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf));
  Bytes out(length);
  if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return Status::InvalidArgument(OpenSslError(std::string(kdf_name) + " derivation failed"));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& KeyDerivationAlgorithmNames() {
  static const auto* names =
      new std::vector<std::string>{"scrypt-65536-8-1", "pbkdf2-sha256-600000"};
  return *names;
}

Result<Bytes> DeriveFormatKey(std::string_view key_algo, std::string_view password,
                              ByteView salt) {
  const bool scrypt = key_algo == "scrypt-65536-8-1";
  if (!scrypt && key_algo != "pbkdf2-sha256-600000") {
    std::string names;
    for (const std::string& name : KeyDerivationAlgorithmNames()) {
      names += names.empty() ? "" : ", ";
      names += name;
    }
    return Status::InvalidArgument("unknown key derivation algorithm \"" + std::string(key_algo) +
                                   "\"; valid names: " + names);
  }
  if (salt.size() < kMinPasswordSaltSize) {
    return Status::InvalidArgument("key derivation salt must be at least 16 bytes, got " +
                                   std::to_string(salt.size()));
  }
  if (scrypt) return Scrypt(password, salt, 65536, 8, 1, kFormatKeySize);
  return Pbkdf2HmacSha256(password, salt, 600000, kFormatKeySize);
}

namespace {

// scrypt's mixing (RFC 7914 §3–§5), with the standard time-memory trade-off in ROMix: only every
// `stride`-th V_i is stored and the others are recomputed from the stored one before them. V is
// 128·r·N bytes — 64 MiB for kopia's N = 65536, r = 8 — and allocating it made key derivation
// the peak of every ferry command's memory (OpenSSL's EVP_KDF needs all of V: 80 MiB max RSS for
// `ferry snapshot list`, 31 MiB now). A quarter of V takes 1.5 extra BlockMix per lookup on
// average, yet this runs as fast as OpenSSL's full table (0.18 s): the smaller table stays in
// cache. An eighth (8 MiB) cost +0.08 s.
constexpr uint64_t kMaxScryptTableBytes = uint64_t{16} << 20;

inline uint32_t Rotl(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

// Salsa20/8 core: b = b + salsa20/8(b), on 16 little-endian words.
void Salsa20_8(uint32_t b[16]) {
  uint32_t x[16];
  std::memcpy(x, b, sizeof(x));
  for (int i = 0; i < 8; i += 2) {
    x[4] ^= Rotl(x[0] + x[12], 7);   x[8] ^= Rotl(x[4] + x[0], 9);
    x[12] ^= Rotl(x[8] + x[4], 13);  x[0] ^= Rotl(x[12] + x[8], 18);
    x[9] ^= Rotl(x[5] + x[1], 7);    x[13] ^= Rotl(x[9] + x[5], 9);
    x[1] ^= Rotl(x[13] + x[9], 13);  x[5] ^= Rotl(x[1] + x[13], 18);
    x[14] ^= Rotl(x[10] + x[6], 7);  x[2] ^= Rotl(x[14] + x[10], 9);
    x[6] ^= Rotl(x[2] + x[14], 13);  x[10] ^= Rotl(x[6] + x[2], 18);
    x[3] ^= Rotl(x[15] + x[11], 7);  x[7] ^= Rotl(x[3] + x[15], 9);
    x[11] ^= Rotl(x[7] + x[3], 13);  x[15] ^= Rotl(x[11] + x[7], 18);
    x[1] ^= Rotl(x[0] + x[3], 7);    x[2] ^= Rotl(x[1] + x[0], 9);
    x[3] ^= Rotl(x[2] + x[1], 13);   x[0] ^= Rotl(x[3] + x[2], 18);
    x[6] ^= Rotl(x[5] + x[4], 7);    x[7] ^= Rotl(x[6] + x[5], 9);
    x[4] ^= Rotl(x[7] + x[6], 13);   x[5] ^= Rotl(x[4] + x[7], 18);
    x[11] ^= Rotl(x[10] + x[9], 7);  x[8] ^= Rotl(x[11] + x[10], 9);
    x[9] ^= Rotl(x[8] + x[11], 13);  x[10] ^= Rotl(x[9] + x[8], 18);
    x[12] ^= Rotl(x[15] + x[14], 7); x[13] ^= Rotl(x[12] + x[15], 9);
    x[14] ^= Rotl(x[13] + x[12], 13); x[15] ^= Rotl(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; ++i) b[i] += x[i];
}

// BlockMix_{salsa20/8, r}: in and out are 2r blocks of 16 words and must not overlap.
void BlockMix(const uint32_t* in, uint32_t* out, uint32_t r) {
  uint32_t x[16];
  std::memcpy(x, in + (2 * r - 1) * 16, sizeof(x));
  for (uint32_t i = 0; i < 2 * r; ++i) {
    for (int w = 0; w < 16; ++w) x[w] ^= in[i * 16 + w];
    Salsa20_8(x);
    // Even blocks go to the first half of the output, odd ones to the second.
    std::memcpy(out + ((i & 1) * r + i / 2) * 16, x, sizeof(x));
  }
}

// ROMix on one 128·r-byte block of B (in place), storing V_i only for i % stride == 0.
void RoMix(uint8_t* block, uint64_t n, uint32_t r, uint64_t stride, std::vector<uint32_t>* table) {
  const size_t words = size_t(32) * r;
  std::vector<uint32_t> x(words), t(words), u(words);
  for (size_t w = 0; w < words; ++w) {
    x[w] = uint32_t(block[4 * w]) | uint32_t(block[4 * w + 1]) << 8 | uint32_t(block[4 * w + 2]) << 16 |
           uint32_t(block[4 * w + 3]) << 24;
  }
  uint32_t* v = table->data();
  for (uint64_t i = 0; i < n; ++i) {
    if (i % stride == 0) std::memcpy(v + (i / stride) * words, x.data(), words * 4);
    BlockMix(x.data(), t.data(), r);
    x.swap(t);
  }
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t* last = x.data() + (2 * r - 1) * 16;
    uint64_t j = (uint64_t(last[0]) | uint64_t(last[1]) << 32) & (n - 1);
    // V_j: the stored V before it, advanced j % stride times.
    const uint32_t* vj = v + (j / stride) * words;
    if (j % stride != 0) {
      std::memcpy(u.data(), vj, words * 4);
      for (uint64_t k = j % stride; k > 0; --k) {
        BlockMix(u.data(), t.data(), r);
        u.swap(t);
      }
      vj = u.data();
    }
    for (size_t w = 0; w < words; ++w) x[w] ^= vj[w];
    BlockMix(x.data(), t.data(), r);
    x.swap(t);
  }
  for (size_t w = 0; w < words; ++w) {
    block[4 * w] = uint8_t(x[w]);
    block[4 * w + 1] = uint8_t(x[w] >> 8);
    block[4 * w + 2] = uint8_t(x[w] >> 16);
    block[4 * w + 3] = uint8_t(x[w] >> 24);
  }
}

}  // namespace

Result<Bytes> Scrypt(std::string_view password, ByteView salt, uint64_t n, uint32_t r, uint32_t p,
                     size_t length) {
  if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0 || length == 0) {
    return Status::InvalidArgument("scrypt: N must be a power of two > 1, r, p and length > 0");
  }
  // Refuse parameters whose full table or B would exceed 4 GiB (the work grows with them too;
  // no password KDF kopia knows comes close).
  constexpr uint64_t kMaxMemory = uint64_t{4} << 30;
  const uint64_t per_block = uint64_t{128} * r;  // r ≤ 2^32, no overflow
  if (n > kMaxMemory / per_block || p > kMaxMemory / per_block || per_block * n + per_block * p > kMaxMemory) {
    return Status::InvalidArgument("scrypt parameters need more than 4 GiB of memory");
  }
  uint64_t stride = 1;
  while (per_block * (n / stride) > kMaxScryptTableBytes && stride < n) stride *= 2;
  FERRY_ASSIGN_OR_RETURN(Bytes b, Pbkdf2HmacSha256(password, salt, 1, size_t(per_block * p)));
  std::vector<uint32_t> table(size_t(n / stride) * size_t(32) * r);
  for (uint32_t i = 0; i < p; ++i) RoMix(b.data() + i * per_block, n, r, stride, &table);
  return Pbkdf2HmacSha256(password, b, 1, length);
}

Result<Bytes> Pbkdf2HmacSha256(std::string_view password, ByteView salt, uint32_t iterations,
                               size_t length) {
  if (iterations == 0 || length == 0) {
    return Status::InvalidArgument("PBKDF2: iterations and length must be positive");
  }
  char digest[] = "SHA2-256";
  uint64_t iter = iterations;
  // pkcs5 = 1 turns OpenSSL's SP 800-132 minimums off (0 turns them on): the RFC vectors use one
  // iteration and 4-byte salts, and DeriveFormatKey enforces kopia's own salt rule.
  int pkcs5 = 1;
  const OSSL_PARAM params[] = {
      OctetParam(OSSL_KDF_PARAM_PASSWORD, AsBytes(password)),
      OctetParam(OSSL_KDF_PARAM_SALT, salt),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5),
      OSSL_PARAM_construct_end()};
  return RunKdf("PBKDF2", params, length);
}

Result<Bytes> Hkdf(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  if (length == 0 || length > 255 * kSha256Size) {
    return Status::InvalidArgument("HKDF-SHA256 output must be 1..8160 bytes, got " +
                                   std::to_string(length));
  }
  char digest[] = "SHA2-256";
  // A zero-length salt means "HashLen zero bytes" (RFC 5869 §2.2), which is what HMAC with an
  // empty key computes anyway.
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OctetParam(OSSL_KDF_PARAM_KEY, ikm),
      OctetParam(OSSL_KDF_PARAM_SALT, salt),
      OctetParam(OSSL_KDF_PARAM_INFO, info),
      OSSL_PARAM_construct_end()};
  return RunKdf("HKDF", params, length);
}

Bytes HmacSha256(ByteView key, ByteView message) {
  auto hmac = Hmac::New("SHA2-256", key);
  if (!hmac.ok()) ThrowOutOfMemory();  // SHA-256 is always present: only allocation can fail
  Bytes out(hmac->size());
  hmac->Mac(message, out.data());
  return out;
}

Result<Bytes> DeriveKeyFromMasterKey(ByteView key, ByteView unique_id, std::string_view purpose,
                                     size_t length) {
  // kopia HEAD refuses an empty key ("invalid primary key").
  if (key.empty()) return Status::InvalidArgument("cannot derive a key from an empty key");
  return Hkdf(key, unique_id, AsBytes(purpose), length);
}

Result<Bytes> AesGcmSeal(ByteView key, ByteView plaintext, ByteView aad, ByteView nonce) {
  if (!nonce.empty() && nonce.size() != kNonceSize) {
    return Status::InvalidArgument("AES-GCM nonce must be 12 bytes");
  }
  Bytes out(kNonceSize + plaintext.size() + kTagSize);
  if (nonce.empty()) {
    FERRY_RETURN_IF_ERROR(RandomBytes(MutableByteView(out.data(), kNonceSize)));
  } else {
    std::memcpy(out.data(), nonce.data(), kNonceSize);
  }
  FERRY_RETURN_IF_ERROR(AeadSeal(AeadAlgorithm::kAes256Gcm, key, ByteView(out.data(), kNonceSize),
                                 aad, plaintext, out.data() + kNonceSize));
  return out;
}

Result<Bytes> AesGcmOpen(ByteView key, ByteView sealed, ByteView aad) {
  if (sealed.size() < kEncryptionOverhead) {
    return Status::Authentication("sealed data of " + std::to_string(sealed.size()) +
                                  " bytes is shorter than nonce and tag (28 bytes)");
  }
  Bytes out(sealed.size() - kEncryptionOverhead);
  Status status = AeadOpen(AeadAlgorithm::kAes256Gcm, key, sealed.first(kNonceSize), aad,
                           sealed.subspan(kNonceSize), out.data());
  if (!status.ok()) {
    SecureWipe(out.data(), out.size());
    return status;
  }
  return out;
}

}  // namespace ferry::crypto
