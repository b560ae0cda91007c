// The name → construction table of kopia-format.md §4.
#include "crypto/hashing.h"

#include <string>

#include "crypto/hash_families.h"

namespace ferry::crypto {

namespace {

enum class Family { kBlake2b, kBlake2s, kBlake3, kHmac };

struct HashSpec {
  std::string_view name;
  Family family;
  size_t output_size;
  std::string_view digest;  // OpenSSL digest name for kHmac
};

// Sorted by name, which is the order kopia's hashing.SupportedAlgorithms() reports.
constexpr HashSpec kHashSpecs[] = {
    {"BLAKE2B-256", Family::kBlake2b, 32, {}},
    {"BLAKE2B-256-128", Family::kBlake2b, 16, {}},  // BLAKE2b-256 cut to 16, not BLAKE2b-128
    {"BLAKE2S-128", Family::kBlake2s, 16, {}},      // native 16-byte digest length
    {"BLAKE2S-256", Family::kBlake2s, 32, {}},
    {"BLAKE3-256", Family::kBlake3, 32, {}},
    {"BLAKE3-256-128", Family::kBlake3, 16, {}},
    {"HMAC-SHA224", Family::kHmac, 28, "SHA2-224"},
    {"HMAC-SHA256", Family::kHmac, 32, "SHA2-256"},
    {"HMAC-SHA256-128", Family::kHmac, 16, "SHA2-256"},
    {"HMAC-SHA3-224", Family::kHmac, 28, "SHA3-224"},
    {"HMAC-SHA3-256", Family::kHmac, 32, "SHA3-256"},
};

std::string JoinedNames() {
  std::string joined;
  for (const std::string& name : HashAlgorithmNames()) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

}  // namespace

const std::vector<std::string>& HashAlgorithmNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>();
    for (const HashSpec& spec : kHashSpecs) v->emplace_back(spec.name);
    return v;
  }();
  return *names;
}

Result<std::unique_ptr<HashFunction>> NewHashFunction(std::string_view name, ByteView secret) {
  for (const HashSpec& spec : kHashSpecs) {
    if (spec.name != name) continue;
    switch (spec.family) {
      case Family::kBlake2b:
        return NewBlake2bHash(spec.name, spec.output_size, secret);
      case Family::kBlake2s:
        // Go's blake2s.New128 refuses an empty key; New256 treats it as unkeyed.
        return NewBlake2sHash(spec.name, spec.output_size, spec.output_size == 16, secret);
      case Family::kBlake3:
        return NewBlake3Hash(spec.name, spec.output_size, secret);
      case Family::kHmac:
        return NewHmacHash(spec.name, spec.digest, spec.output_size, secret);
    }
  }
  return Status::InvalidArgument("unknown hash algorithm \"" + std::string(name) +
                                 "\"; valid names: " + JoinedNames());
}

}  // namespace ferry::crypto
