#include "crypto/aead.h"

#include <openssl/evp.h>

#include <openssl/err.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "crypto/openssl_util.h"

namespace ferry::crypto {

namespace {

// EVP_CipherUpdate takes an int length; feed larger buffers in pieces (the AEADs stream).
constexpr size_t kMaxUpdate = size_t{1} << 30;

const EVP_CIPHER* Cipher(AeadAlgorithm algorithm) {
  static const EVP_CIPHER* const aes = FetchCipher("AES-256-GCM");
  static const EVP_CIPHER* const chacha = FetchCipher("ChaCha20-Poly1305");
  return algorithm == AeadAlgorithm::kAes256Gcm ? aes : chacha;
}

// The calling thread's context for `algorithm`, created with the cipher bound but no key. Later
// EVP_CipherInit_ex2() calls pass cipher = nullptr, which re-keys the existing provider context
// instead of freeing and re-allocating it.
EVP_CIPHER_CTX* ThreadContext(AeadAlgorithm algorithm) {
  thread_local EvpCipherCtxPtr contexts[2];
  EvpCipherCtxPtr& ctx = contexts[algorithm == AeadAlgorithm::kAes256Gcm ? 0 : 1];
  if (!ctx) {
    const EVP_CIPHER* cipher = Cipher(algorithm);
    if (cipher == nullptr) return nullptr;
    EvpCipherCtxPtr fresh(EVP_CIPHER_CTX_new());
    if (!fresh || !EVP_CipherInit_ex2(fresh.get(), cipher, nullptr, nullptr, 1, nullptr)) {
      return nullptr;
    }
    ctx = std::move(fresh);
  }
  return ctx.get();
}

Status CheckSizes(ByteView key, ByteView nonce) {
  if (key.size() != kAeadKeySize) {
    return Status::InvalidArgument("AEAD key must be 32 bytes, got " + std::to_string(key.size()));
  }
  if (nonce.size() != kAeadNonceSize) {
    return Status::InvalidArgument("AEAD nonce must be 12 bytes, got " +
                                   std::to_string(nonce.size()));
  }
  return Status::OK();
}

// Runs key/nonce setup, the additional data and the payload through ctx; the caller finishes.
bool Process(EVP_CIPHER_CTX* ctx, int encrypt, ByteView key, ByteView nonce, ByteView aad,
             ByteView in, uint8_t* out) {
  if (!EVP_CipherInit_ex2(ctx, nullptr, key.data(), nonce.data(), encrypt, nullptr)) return false;
  int n = 0;
  for (size_t done = 0; done < aad.size();) {
    size_t chunk = std::min(aad.size() - done, kMaxUpdate);
    if (!EVP_CipherUpdate(ctx, nullptr, &n, aad.data() + done, static_cast<int>(chunk))) {
      return false;
    }
    done += chunk;
  }
  for (size_t done = 0; done < in.size();) {
    size_t chunk = std::min(in.size() - done, kMaxUpdate);
    if (!EVP_CipherUpdate(ctx, out + done, &n, in.data() + done, static_cast<int>(chunk))) {
      return false;
    }
    done += chunk;
  }
  return true;
}

}  // namespace

Status AeadSeal(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                ByteView plaintext, uint8_t* out) {
  return AeadSealObserved(algorithm, key, nonce, aad, plaintext, out, {});
}

Status AeadSealObserved(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                        ByteView plaintext, uint8_t* out, const SealedPieceObserver& observe) {
  FERRY_RETURN_IF_ERROR(CheckSizes(key, nonce));
  EVP_CIPHER_CTX* ctx = ThreadContext(algorithm);
  if (ctx == nullptr || !Process(ctx, 1, key, nonce, aad, {}, nullptr)) {
    return Status::Internal(OpenSslError("AEAD encryption failed"));
  }
  for (size_t done = 0; done < plaintext.size();) {
    const size_t n = std::min(plaintext.size() - done, kObservedPieceBytes);
    int out_len = 0;
    // GCM and ChaCha20-Poly1305 are stream modes: every input byte comes out at once.
    if (!EVP_CipherUpdate(ctx, out + done, &out_len, plaintext.data() + done, static_cast<int>(n)) ||
        size_t(out_len) != n) {
      return Status::Internal(OpenSslError("AEAD encryption failed"));
    }
    if (observe) observe(ByteView(out + done, n));
    done += n;
  }
  uint8_t* tag = out + plaintext.size();
  int n = 0;
  if (!EVP_CipherFinal_ex(ctx, tag, &n) ||
      !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize), tag)) {
    return Status::Internal(OpenSslError("AEAD encryption failed"));
  }
  if (observe) observe(ByteView(tag, kAeadTagSize));
  return Status::OK();
}

Status AeadSealInPieces(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                        ByteView plaintext, MutableByteView scratch, size_t prefix,
                        const std::function<Status(ByteView piece)>& emit) {
  FERRY_RETURN_IF_ERROR(CheckSizes(key, nonce));
  if (scratch.size() < prefix + kAeadTagSize + 1) {
    return Status::InvalidArgument("AeadSealInPieces: scratch buffer too small");
  }
  EVP_CIPHER_CTX* ctx = ThreadContext(algorithm);
  if (ctx == nullptr || !Process(ctx, 1, key, nonce, aad, {}, nullptr)) {
    return Status::Internal(OpenSslError("AEAD encryption failed"));
  }
  uint8_t* buf = scratch.data();
  size_t fill = prefix;
  for (size_t done = 0; done < plaintext.size();) {
    const size_t n = std::min(scratch.size() - fill, plaintext.size() - done);
    int out_len = 0;
    // GCM and ChaCha20-Poly1305 are stream modes: every input byte comes out at once.
    if (!EVP_CipherUpdate(ctx, buf + fill, &out_len, plaintext.data() + done, static_cast<int>(n)) ||
        size_t(out_len) != n) {
      return Status::Internal(OpenSslError("AEAD encryption failed"));
    }
    fill += n;
    done += n;
    if (fill == scratch.size()) {
      FERRY_RETURN_IF_ERROR(emit(ByteView(buf, fill)));
      fill = 0;
    }
  }
  uint8_t tag[kAeadTagSize];
  int n = 0;
  if (!EVP_CipherFinal_ex(ctx, tag, &n) ||
      !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize), tag)) {
    return Status::Internal(OpenSslError("AEAD encryption failed"));
  }
  // The tag may straddle two pieces: every piece but the last stays full.
  for (size_t t = 0; t < kAeadTagSize;) {
    const size_t m = std::min(scratch.size() - fill, kAeadTagSize - t);
    std::memcpy(buf + fill, tag + t, m);
    fill += m;
    t += m;
    if (fill == scratch.size() && t < kAeadTagSize) {
      FERRY_RETURN_IF_ERROR(emit(ByteView(buf, fill)));
      fill = 0;
    }
  }
  return emit(ByteView(buf, fill));
}

Status AeadOpen(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                ByteView sealed, uint8_t* out) {
  FERRY_RETURN_IF_ERROR(CheckSizes(key, nonce));
  if (sealed.size() < kAeadTagSize) {
    return Status::Authentication("ciphertext of " + std::to_string(sealed.size()) +
                                  " bytes is shorter than the authentication tag");
  }
  const size_t length = sealed.size() - kAeadTagSize;
  EVP_CIPHER_CTX* ctx = ThreadContext(algorithm);
  if (ctx == nullptr || !Process(ctx, 0, key, nonce, aad, sealed.first(length), out) ||
      !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize),
                           const_cast<uint8_t*>(sealed.data() + length))) {
    return Status::Internal(OpenSslError("AEAD decryption failed"));
  }
  int n = 0;
  if (!EVP_CipherFinal_ex(ctx, out + length, &n)) {
    ERR_clear_error();
    return Status::Authentication("authentication tag mismatch (wrong key or corrupted data)");
  }
  return Status::OK();
}

}  // namespace ferry::crypto
