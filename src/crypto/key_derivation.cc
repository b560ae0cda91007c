// Password and HKDF key derivation (kopia-format.md §2.2, §3) and the format-blob cipher (§2.3).
#include "crypto/key_derivation.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>
#include <string>

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

Result<Bytes> Scrypt(std::string_view password, ByteView salt, uint64_t n, uint32_t r, uint32_t p,
                     size_t length) {
  if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0 || length == 0) {
    return Status::InvalidArgument("scrypt: N must be a power of two > 1, r, p and length > 0");
  }
  // OpenSSL refuses to allocate more than maxmem_bytes, and its limit is not a documented
  // constant (EVP_PBE_scrypt's is 32 MiB, too little for N = 65536, r = 8, which needs 64 MiB).
  // Allow exactly what these parameters need — V is 128·r·(N+2) bytes, B is 128·r·p — plus
  // slack, and refuse absurd requests ourselves.
  constexpr uint64_t kMaxMemory = uint64_t{4} << 30;
  const uint64_t per_block = uint64_t{128} * r;  // r ≤ 2^32, no overflow
  if (n + 2 > kMaxMemory / per_block || p > kMaxMemory / per_block ||
      per_block * (n + 2) + per_block * p > kMaxMemory) {
    return Status::InvalidArgument("scrypt parameters need more than 4 GiB of memory");
  }
  uint64_t maxmem = per_block * (n + 2) + per_block * p + (uint64_t{1} << 20);
  const OSSL_PARAM params[] = {
      OctetParam(OSSL_KDF_PARAM_PASSWORD, AsBytes(password)),
      OctetParam(OSSL_KDF_PARAM_SALT, salt),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  return RunKdf("SCRYPT", params, length);
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
