#include "content/content_id.h"

namespace ferry::content {

namespace {
bool ValidPrefix(char c) { return c >= 'g' && c <= 'z'; }
}  // namespace

Result<ContentId> ContentId::FromHash(char prefix, ByteView hash) {
  if (prefix != 0 && !ValidPrefix(prefix)) {
    return Status::InvalidArgument(std::string("invalid content ID prefix '") + prefix +
                                   "' (must be g..z)");
  }
  if (hash.empty() || hash.size() > kMaxContentHashSize) {
    return Status::InvalidArgument("invalid content hash length " + std::to_string(hash.size()));
  }
  ContentId id;
  id.prefix_ = static_cast<uint8_t>(prefix);
  id.hash_size_ = static_cast<uint8_t>(hash.size());
  std::memcpy(id.hash_, hash.data(), hash.size());
  return id;
}

Result<ContentId> ContentId::Parse(std::string_view text) {
  char prefix = 0;
  std::string_view hex = text;
  if (text.size() % 2 == 1) {
    prefix = text[0];
    hex = text.substr(1);
  }
  auto hash = HexDecode(hex);
  if (!hash.ok()) return Status::InvalidArgument("invalid content ID '" + std::string(text) + "'");
  auto id = FromHash(prefix, *hash);
  if (!id.ok()) return Status::InvalidArgument("invalid content ID '" + std::string(text) + "'");
  return id;
}

Result<ContentId> ContentId::FromKey(ByteView key) {
  if (key.size() < 2) return Status::Corruption("index key too short");
  return FromHash(static_cast<char>(key[0]), key.subspan(1));
}

std::string ContentId::ToString() const {
  std::string s;
  if (prefix_) s.push_back(static_cast<char>(prefix_));
  s += HexEncode(hash());
  return s;
}

}  // namespace ferry::content
