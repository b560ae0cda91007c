// BLAKE3-256 and BLAKE3-256-128 (kopia-format.md §4), on the official C implementation whose
// runtime dispatch picks the widest SIMD kernel of the machine (AVX-512 / AVX2 / SSE4.1).
#include <blake3.h>

#include <cstring>

#include "crypto/hash_families.h"

namespace ferry::crypto {

namespace {

// The derive_key context kopia (repo/hashing/blake3_hashes.go) stretches short keys with.
constexpr char kKeyDerivationContext[] = "kopia blake3 derived key v1";

class Blake3Hash final : public HashFunction {
 public:
  Blake3Hash(std::string_view name, size_t output_size, const uint8_t key[BLAKE3_KEY_LEN])
      : name_(name), output_size_(output_size) {
    std::memcpy(key_, key, BLAKE3_KEY_LEN);
  }
  ~Blake3Hash() override { SecureWipe(key_, sizeof(key_)); }

  std::string_view name() const override { return name_; }
  size_t output_size() const override { return output_size_; }

  void Hash(ByteView data, uint8_t* out) const override {
    // Keyed init only loads the key words, so a fresh hasher per call costs less than copying a
    // prepared one (the hasher carries a ~1.9 KiB chaining-value stack).
    blake3_hasher hasher;
    blake3_hasher_init_keyed(&hasher, key_);
    blake3_hasher_update(&hasher, data.data(), data.size());
    blake3_hasher_finalize(&hasher, out, output_size_);  // BLAKE3 output is a prefix-stable XOF
  }

 private:
  std::string_view name_;
  size_t output_size_;
  uint8_t key_[BLAKE3_KEY_LEN];
};

}  // namespace

Result<std::unique_ptr<HashFunction>> NewBlake3Hash(std::string_view name, size_t output_size,
                                                    ByteView key) {
  uint8_t key32[BLAKE3_KEY_LEN];
  if (key.size() >= BLAKE3_KEY_LEN) {
    std::memcpy(key32, key.data(), BLAKE3_KEY_LEN);
  } else {
    blake3_hasher hasher;
    blake3_hasher_init_derive_key(&hasher, kKeyDerivationContext);
    blake3_hasher_update(&hasher, key.data(), key.size());
    blake3_hasher_finalize(&hasher, key32, BLAKE3_KEY_LEN);
  }
  std::unique_ptr<HashFunction> hash(new Blake3Hash(name, output_size, key32));
  SecureWipe(key32, sizeof(key32));
  return hash;
}

}  // namespace ferry::crypto
