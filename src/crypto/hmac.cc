#include "crypto/hmac.h"

#include <openssl/evp.h>

#include <cstring>

namespace ferry::crypto {

namespace {

// The largest block of any OpenSSL digest (SHAKE128's rate; SHA3-224's is 144).
constexpr size_t kMaxBlockSize = 168;

// Per-thread scratch state that Mac() copies the keyed states into. EVP_MD_CTX_copy_ex() replaces
// whatever digest it held, so one context serves every Hmac (and digest) on the thread.
EVP_MD_CTX* ScratchContext() {
  thread_local EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) ThrowOutOfMemory();
  return ctx.get();
}

}  // namespace

Result<Hmac> Hmac::New(std::string_view digest_name, ByteView key) {
  const EVP_MD* md = FetchDigest(digest_name);
  if (md == nullptr) {
    return Status::Internal(OpenSslError("OpenSSL has no digest " + std::string(digest_name)));
  }
  const size_t block = static_cast<size_t>(EVP_MD_get_block_size(md));
  const size_t size = static_cast<size_t>(EVP_MD_get_size(md));
  uint8_t padded[kMaxBlockSize] = {};
  if (block > sizeof(padded) || size > EVP_MAX_MD_SIZE) {
    return Status::Internal("unexpected digest geometry for " + std::string(digest_name));
  }

  // K0: keys longer than a block are replaced by their digest, then zero-padded to a block.
  if (key.size() > block) {
    unsigned int n = 0;
    if (!EVP_Digest(key.data(), key.size(), padded, &n, md, nullptr)) {
      return Status::Internal(OpenSslError("hashing the HMAC key"));
    }
  } else if (!key.empty()) {
    std::memcpy(padded, key.data(), key.size());
  }

  EvpMdCtxPtr inner(EVP_MD_CTX_new());
  EvpMdCtxPtr outer(EVP_MD_CTX_new());
  if (!inner || !outer) return Status::Internal("out of memory creating HMAC state");
  uint8_t pad[sizeof(padded)];
  for (size_t i = 0; i < block; ++i) pad[i] = padded[i] ^ 0x36;
  bool ok = EVP_DigestInit_ex2(inner.get(), md, nullptr) &&
            EVP_DigestUpdate(inner.get(), pad, block);
  for (size_t i = 0; i < block; ++i) pad[i] = padded[i] ^ 0x5c;
  ok = ok && EVP_DigestInit_ex2(outer.get(), md, nullptr) &&
       EVP_DigestUpdate(outer.get(), pad, block);
  SecureWipe(padded, sizeof(padded));
  SecureWipe(pad, sizeof(pad));
  if (!ok) return Status::Internal(OpenSslError("initialising HMAC state"));
  return Hmac(std::move(inner), std::move(outer), size);
}

void Hmac::Mac(ByteView data, uint8_t* out) const {
  EVP_MD_CTX* ctx = ScratchContext();
  uint8_t inner_digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  // These calls only fail when OpenSSL cannot allocate the copied state.
  if (!EVP_MD_CTX_copy_ex(ctx, inner_.get()) || !EVP_DigestUpdate(ctx, data.data(), data.size()) ||
      !EVP_DigestFinal_ex(ctx, inner_digest, &n) || !EVP_MD_CTX_copy_ex(ctx, outer_.get()) ||
      !EVP_DigestUpdate(ctx, inner_digest, n) || !EVP_DigestFinal_ex(ctx, out, &n)) {
    ThrowOutOfMemory();
  }
}

}  // namespace ferry::crypto
