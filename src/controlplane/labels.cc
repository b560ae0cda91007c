#include "controlplane/labels.h"

#include <openssl/evp.h>

#include "base/bytes.h"

namespace ferry::controlplane {

namespace {
constexpr size_t kMaxLabelValue = 63;
constexpr size_t kKeptPrefix = 57;
constexpr size_t kHashHexDigits = 6;
}  // namespace

std::string SanitizeLabelValue(std::string_view value) {
  if (value.size() <= kMaxLabelValue) return std::string(value);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(value.data(), value.size(), digest, &digest_len, EVP_sha256(), nullptr);
  std::string hex = HexEncode(ByteView(digest, digest_len));
  return std::string(value.substr(0, kKeptPrefix)) + hex.substr(0, kHashHexDigits);
}

std::string DataMoverSourcePath(std::string_view source_namespace, std::string_view pvc) {
  return std::string(kDataMoverRequester) + "/kopia/" + std::string(source_namespace) + "/" +
         std::string(pvc);
}

}  // namespace ferry::controlplane
