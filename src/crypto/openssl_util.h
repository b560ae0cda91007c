// Helpers for calling OpenSSL 3 from the crypto layer: owning pointers for its contexts, the
// algorithm objects fetched once per process, and turning its error queue into a Status message.
// Private to src/crypto.
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string>
#include <string_view>

namespace ferry::crypto {

struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EvpCipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct EvpKdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
struct EvpMacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree>;
using EvpKdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, EvpKdfCtxFree>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxFree>;

// Explicitly fetched algorithm objects, cached for the life of the process. OpenSSL 3 re-resolves
// the implementation on every call that is given an implicit object such as EVP_sha256() (a
// locked name lookup), so the hot paths use these instead. nullptr if the default provider lacks
// the algorithm (never on a standard OpenSSL 3 build).
const EVP_MD* FetchDigest(std::string_view name);  // "SHA2-224", "SHA2-256", "SHA3-224", "SHA3-256"
const EVP_CIPHER* FetchCipher(std::string_view name);  // "AES-256-GCM", "ChaCha20-Poly1305"
EVP_KDF* FetchKdf(std::string_view name);              // "HKDF", "SCRYPT", "PBKDF2"

// "what: <reasons from OpenSSL's error queue>"; clears the queue of the calling thread.
std::string OpenSslError(std::string_view what);

// OpenSSL fails calls that cannot fail by construction (digest updates, context copies) only when
// it cannot allocate memory. Interfaces without a Status (HashFunction::Hash) treat that like
// every other allocation in the program: they throw std::bad_alloc.
[[noreturn]] void ThrowOutOfMemory();

}  // namespace ferry::crypto
