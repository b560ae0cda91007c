// Content encryption (kopia-format.md §5): per-IV keys K = HMAC-SHA256(S, IV) with
// S = HKDF-SHA256(masterKey, salt "encryption"), then an AEAD with a random 12-byte nonce and
// additional data = IV. Stored bytes: nonce(12) || ciphertext || tag(16).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::crypto {

inline constexpr std::string_view kDefaultEncryptionAlgorithm = "AES256-GCM-HMAC-SHA256";
inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kEncryptionOverhead = kNonceSize + kTagSize;  // 28

class Encryptor {
 public:
  virtual ~Encryptor() = default;

  virtual std::string_view name() const = 0;
  size_t overhead() const { return kEncryptionOverhead; }

  // Encrypts `plaintext` under the key derived from `iv`; replaces *out's contents with
  // nonce || ciphertext || tag. Thread-safe. *out may be reused between calls to avoid allocation.
  Status Encrypt(ByteView plaintext, ByteView iv, Bytes* out) const;
  // Same with a caller-chosen nonce (test vectors only: real nonces must be random).
  virtual Status EncryptWithNonce(ByteView plaintext, ByteView iv, ByteView nonce,
                                  Bytes* out) const = 0;
  // Encrypts into `out`, which must be exactly plaintext.size() + overhead() bytes and must not
  // overlap the plaintext: lets a caller encrypt straight into its final place (a pack buffer).
  Status EncryptInto(ByteView plaintext, ByteView iv, MutableByteView out) const;
  // EncryptInto that hands `out` to observe() in consecutive pieces (nonce, ciphertext pieces of
  // at most 256 KiB, tag), each right after it is written, while it is in the CPU cache.
  Status EncryptInto(ByteView plaintext, ByteView iv, MutableByteView out,
                     const std::function<void(ByteView piece)>& observe) const;
  // observe may be empty.
  virtual Status EncryptWithNonceInto(ByteView plaintext, ByteView iv, ByteView nonce, MutableByteView out,
                                      const std::function<void(ByteView piece)>& observe) const = 0;
  // EncryptInto's output handed to emit() in pieces made in `scratch` (reused, so it stays in the
  // CPU cache): for writing a large content straight to a file without an output-sized buffer.
  // Pieces are consecutive and each fills scratch but the last; scratch must have room for at
  // least 64 bytes. emit() must not encrypt or decrypt on this thread.
  Status EncryptInPieces(ByteView plaintext, ByteView iv, MutableByteView scratch,
                         const std::function<Status(ByteView piece)>& emit) const;
  virtual Status EncryptWithNonceInPieces(ByteView plaintext, ByteView iv, ByteView nonce,
                                          MutableByteView scratch,
                                          const std::function<Status(ByteView piece)>& emit) const = 0;
  // Verifies and decrypts; a wrong key or tampered data is Status::Authentication, never garbage.
  virtual Status Decrypt(ByteView ciphertext, ByteView iv, Bytes* out) const = 0;
};

// All content encryption names, in kopia's order.
const std::vector<std::string>& EncryptionAlgorithmNames();

// Unknown names are InvalidArgument listing the valid names. master_key must be 32 bytes.
Result<std::unique_ptr<Encryptor>> NewEncryptor(std::string_view name, ByteView master_key);

// Fills `out` with cryptographically secure random bytes.
Status RandomBytes(MutableByteView out);

}  // namespace ferry::crypto
