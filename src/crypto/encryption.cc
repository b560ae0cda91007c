// Content encryptors (kopia-format.md §5): AES256-GCM-HMAC-SHA256 and
// CHACHA20-POLY1305-HMAC-SHA256 share everything but the AEAD.
#include "crypto/encryption.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "crypto/aead.h"
#include "crypto/hmac.h"
#include "crypto/key_derivation.h"

namespace ferry::crypto {

namespace {

constexpr size_t kMasterKeySize = 32;
constexpr size_t kKeySize = 32;  // HMAC-SHA256 output = AEAD key

struct EncryptorSpec {
  std::string_view name;
  AeadAlgorithm aead;
};

// Sorted by name, which is the order kopia's encryption.SupportedAlgorithms() reports.
constexpr EncryptorSpec kEncryptorSpecs[] = {
    {"AES256-GCM-HMAC-SHA256", AeadAlgorithm::kAes256Gcm},
    {"CHACHA20-POLY1305-HMAC-SHA256", AeadAlgorithm::kChaCha20Poly1305},
};

// True if `in` lies (partly) in out's allocation, which resizing *out could move or overwrite.
bool Overlaps(ByteView in, const Bytes& out) {
  if (in.empty() || out.capacity() == 0) return false;
  const uint8_t* begin = out.data();
  const uint8_t* end = begin + out.capacity();
  return in.data() < end && begin < in.data() + in.size();
}

class HmacKeyedAeadEncryptor final : public Encryptor {
 public:
  // key_deriver = HMAC-SHA256 keyed with S = HKDF(masterKey, salt "encryption").
  HmacKeyedAeadEncryptor(std::string_view name, AeadAlgorithm aead, Hmac key_deriver)
      : name_(name), aead_(aead), key_deriver_(std::move(key_deriver)) {}

  std::string_view name() const override { return name_; }

  Status EncryptWithNonce(ByteView plaintext, ByteView iv, ByteView nonce,
                          Bytes* out) const override {
    if (nonce.size() != kNonceSize) return Status::InvalidArgument("nonce must be 12 bytes");
    // Resizing *out would invalidate a plaintext that lives in it.
    if (Overlaps(plaintext, *out)) {
      return Status::InvalidArgument("Encrypt: plaintext must not point into the output buffer");
    }
    uint8_t key[kKeySize];
    key_deriver_.Mac(iv, key);
    // resize() is free when *out is reused for blocks of the same size (the hot path).
    out->resize(kNonceSize + plaintext.size() + kTagSize);
    std::memcpy(out->data(), nonce.data(), kNonceSize);
    Status status = AeadSeal(aead_, ByteView(key, kKeySize), nonce, iv, plaintext,
                             out->data() + kNonceSize);
    SecureWipe(key, sizeof(key));
    if (!status.ok()) out->clear();
    return status;
  }

  Status EncryptWithNonceInto(ByteView plaintext, ByteView iv, ByteView nonce, MutableByteView out,
                              const std::function<void(ByteView piece)>& observe) const override {
    if (nonce.size() != kNonceSize) return Status::InvalidArgument("nonce must be 12 bytes");
    if (out.size() != kNonceSize + plaintext.size() + kTagSize) {
      return Status::InvalidArgument("EncryptInto: output must be plaintext size + 28 bytes");
    }
    uint8_t key[kKeySize];
    key_deriver_.Mac(iv, key);
    std::memcpy(out.data(), nonce.data(), kNonceSize);
    if (observe) observe(ByteView(out.data(), kNonceSize));
    Status status =
        AeadSealObserved(aead_, ByteView(key, kKeySize), nonce, iv, plaintext, out.data() + kNonceSize, observe);
    SecureWipe(key, sizeof(key));
    return status;
  }

  Status EncryptWithNonceInPieces(ByteView plaintext, ByteView iv, ByteView nonce, MutableByteView scratch,
                                  const std::function<Status(ByteView piece)>& emit) const override {
    if (nonce.size() != kNonceSize) return Status::InvalidArgument("nonce must be 12 bytes");
    if (scratch.size() < 64) return Status::InvalidArgument("EncryptInPieces: scratch must hold 64 bytes");
    uint8_t key[kKeySize];
    key_deriver_.Mac(iv, key);
    std::memcpy(scratch.data(), nonce.data(), kNonceSize);
    Status status = AeadSealInPieces(aead_, ByteView(key, kKeySize), nonce, iv, plaintext, scratch,
                                     kNonceSize, emit);
    SecureWipe(key, sizeof(key));
    return status;
  }

  Status Decrypt(ByteView ciphertext, ByteView iv, Bytes* out) const override {
    if (ciphertext.size() < kEncryptionOverhead) {
      out->clear();
      return Status::Authentication("encrypted data of " + std::to_string(ciphertext.size()) +
                                    " bytes is shorter than nonce and tag (28 bytes)");
    }
    if (Overlaps(ciphertext, *out)) {
      return Status::InvalidArgument("Decrypt: ciphertext must not point into the output buffer");
    }
    uint8_t key[kKeySize];
    key_deriver_.Mac(iv, key);
    out->resize(ciphertext.size() - kEncryptionOverhead);
    Status status = AeadOpen(aead_, ByteView(key, kKeySize), ciphertext.first(kNonceSize), iv,
                             ciphertext.subspan(kNonceSize), out->data());
    SecureWipe(key, sizeof(key));
    if (!status.ok()) {
      // Never hand out unauthenticated plaintext.
      SecureWipe(out->data(), out->size());
      out->clear();
      return status.WithContext(std::string(name_));
    }
    return status;
  }

 private:
  std::string_view name_;
  AeadAlgorithm aead_;
  Hmac key_deriver_;
};

std::string JoinedNames() {
  std::string joined;
  for (const std::string& name : EncryptionAlgorithmNames()) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

}  // namespace

Status Encryptor::Encrypt(ByteView plaintext, ByteView iv, Bytes* out) const {
  uint8_t nonce[kNonceSize];
  FERRY_RETURN_IF_ERROR(RandomBytes(MutableByteView(nonce, kNonceSize)));
  return EncryptWithNonce(plaintext, iv, ByteView(nonce, kNonceSize), out);
}

Status Encryptor::EncryptInto(ByteView plaintext, ByteView iv, MutableByteView out) const {
  return EncryptInto(plaintext, iv, out, {});
}

Status Encryptor::EncryptInto(ByteView plaintext, ByteView iv, MutableByteView out,
                              const std::function<void(ByteView piece)>& observe) const {
  uint8_t nonce[kNonceSize];
  FERRY_RETURN_IF_ERROR(RandomBytes(MutableByteView(nonce, kNonceSize)));
  return EncryptWithNonceInto(plaintext, iv, ByteView(nonce, kNonceSize), out, observe);
}

Status Encryptor::EncryptInPieces(ByteView plaintext, ByteView iv, MutableByteView scratch,
                                  const std::function<Status(ByteView piece)>& emit) const {
  uint8_t nonce[kNonceSize];
  FERRY_RETURN_IF_ERROR(RandomBytes(MutableByteView(nonce, kNonceSize)));
  return EncryptWithNonceInPieces(plaintext, iv, ByteView(nonce, kNonceSize), scratch, emit);
}

const std::vector<std::string>& EncryptionAlgorithmNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>();
    for (const EncryptorSpec& spec : kEncryptorSpecs) v->emplace_back(spec.name);
    return v;
  }();
  return *names;
}

Result<std::unique_ptr<Encryptor>> NewEncryptor(std::string_view name, ByteView master_key) {
  for (const EncryptorSpec& spec : kEncryptorSpecs) {
    if (spec.name != name) continue;
    if (master_key.size() != kMasterKeySize) {
      return Status::InvalidArgument("master key must be 32 bytes, got " +
                                     std::to_string(master_key.size()));
    }
    // S = HKDF-SHA256(ikm = masterKey, salt = "encryption", info = empty): the purpose is the
    // salt here, unlike DeriveKeyFromMasterKey (kopia-format.md §3 (B)).
    FERRY_ASSIGN_OR_RETURN(Bytes secret, Hkdf(master_key, AsBytes("encryption"), {}, kKeySize));
    auto key_deriver = Hmac::New("SHA2-256", secret);
    SecureWipe(secret.data(), secret.size());
    if (!key_deriver.ok()) return key_deriver.status();
    return std::unique_ptr<Encryptor>(
        new HmacKeyedAeadEncryptor(spec.name, spec.aead, std::move(key_deriver).value()));
  }
  return Status::InvalidArgument("unknown encryption algorithm \"" + std::string(name) +
                                 "\"; valid names: " + JoinedNames());
}

Status RandomBytes(MutableByteView out) {
  for (size_t done = 0; done < out.size();) {
    size_t chunk = std::min<size_t>(out.size() - done, INT_MAX);
    if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) {
      return Status::Internal(OpenSslError("RAND_bytes failed"));
    }
    done += chunk;
  }
  return Status::OK();
}

}  // namespace ferry::crypto
