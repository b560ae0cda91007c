// Raw AEAD seal/open (AES-256-GCM per NIST SP 800-38D, ChaCha20-Poly1305 per RFC 8439) with a
// 32-byte key, 12-byte nonce and 16-byte tag. Content encryption (encryption.cc) and the format
// blob cipher (key_derivation.cc) are built on these; tests check them against the published
// known answers directly.
//
// Each thread keeps one EVP_CIPHER_CTX per algorithm and re-keys it per call, so a call costs a
// key schedule and no allocation. Private to src/crypto.
#pragma once

#include <cstdint>
#include <functional>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::crypto {

enum class AeadAlgorithm { kAes256Gcm, kChaCha20Poly1305 };

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;

// Writes ciphertext (plaintext.size() bytes) followed by the tag to `out`, which must have room
// for plaintext.size() + kAeadTagSize bytes. `out` may be exactly plaintext.data() (in place) but
// must not overlap it otherwise. Key and nonce sizes are InvalidArgument when wrong.
Status AeadSeal(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                ByteView plaintext, uint8_t* out);

// Called with consecutive final pieces of a sealed output right after each is written, while it
// is in the CPU cache (for a checksum of the output without reading it from memory again).
using SealedPieceObserver = std::function<void(ByteView piece)>;
// Pieces of at most this size are observed.
inline constexpr size_t kObservedPieceBytes = 256 << 10;

// AeadSeal that calls observe() (if set) on [out, out + plaintext.size() + kAeadTagSize) in
// consecutive pieces of at most kObservedPieceBytes, each as soon as it is written (the tag last).
Status AeadSealObserved(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                        ByteView plaintext, uint8_t* out, const SealedPieceObserver& observe);

// AeadSeal's output (ciphertext, then the tag) produced through `scratch` in pieces, for outputs
// written elsewhere as they are made (a large content straight into a pack file): the buffer
// stays in the CPU cache and no output-sized memory is touched. emit() is called with
// consecutive pieces, the first starting with scratch[0, prefix) (bytes the caller put there,
// such as the nonce), each full but the last. emit() must not seal or open on this thread (the
// thread's cipher context is in use); its error ends the call. scratch must have room for
// prefix + kAeadTagSize + 1 bytes.
Status AeadSealInPieces(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                        ByteView plaintext, MutableByteView scratch, size_t prefix,
                        const std::function<Status(ByteView piece)>& emit);

// Verifies and decrypts `sealed` = ciphertext || tag into `out` (room for
// sealed.size() - kAeadTagSize bytes; same aliasing rule). A tag mismatch is
// Status::Authentication; `out` then holds unauthenticated bytes that the caller must discard.
Status AeadOpen(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                ByteView sealed, uint8_t* out);

}  // namespace ferry::crypto
