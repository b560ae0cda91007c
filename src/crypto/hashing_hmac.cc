// HMAC-SHA224/256/SHA3 content hashes: kopia's hmac.New(hash, secret), truncated.
#include <cstring>

#include "crypto/hash_families.h"
#include "crypto/hmac.h"

namespace ferry::crypto {

namespace {

class HmacHash final : public HashFunction {
 public:
  HmacHash(std::string_view name, size_t output_size, Hmac hmac)
      : name_(name), output_size_(output_size), hmac_(std::move(hmac)) {}

  std::string_view name() const override { return name_; }
  size_t output_size() const override { return output_size_; }

  void Hash(ByteView data, uint8_t* out) const override {
    if (output_size_ == hmac_.size()) {
      hmac_.Mac(data, out);
      return;
    }
    uint8_t full[EVP_MAX_MD_SIZE];
    hmac_.Mac(data, full);
    std::memcpy(out, full, output_size_);
  }

 private:
  std::string_view name_;
  size_t output_size_;
  Hmac hmac_;
};

}  // namespace

Result<std::unique_ptr<HashFunction>> NewHmacHash(std::string_view name,
                                                  std::string_view digest_name,
                                                  size_t output_size, ByteView key) {
  FERRY_ASSIGN_OR_RETURN(Hmac hmac, Hmac::New(digest_name, key));
  if (output_size > hmac.size()) return Status::Internal("HMAC output longer than its digest");
  return std::unique_ptr<HashFunction>(new HmacHash(name, output_size, std::move(hmac)));
}

}  // namespace ferry::crypto
