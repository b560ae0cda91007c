#include "object/object_id.h"

#include <cassert>
#include <utility>

namespace ferry::object {
namespace {

// Kopia keeps the count in a byte; more levels than this can never come from a real writer
// (each level divides the list size by ~50).
constexpr int kMaxIndirection = 255;

Status InvalidId(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid object ID \"" + std::string(text) + "\": " +
                                 std::string(why));
}

}  // namespace

ObjectId ObjectId::Direct(const content::ContentId& content) {
  ObjectId id;
  id.content_ = content;
  return id;
}

ObjectId ObjectId::Compressed(const content::ContentId& content) {
  ObjectId id = Direct(content);
  id.compressed_ = true;
  return id;
}

Result<ObjectId> ObjectId::Parse(std::string_view text) {
  ObjectId id;
  std::string_view rest = text;
  int indirection = 0;
  while (!rest.empty() && rest.front() == 'I') {
    if (++indirection > kMaxIndirection) return InvalidId(text, "too many levels of indirection");
    rest.remove_prefix(1);
  }
  id.indirection_ = static_cast<uint8_t>(indirection);
  bool marker = indirection > 0;
  if (!rest.empty() && rest.front() == 'Z') {
    id.compressed_ = true;
    marker = true;
    rest.remove_prefix(1);
  }
  if (!rest.empty() && rest.front() == 'D') {  // "direct" marker of early kopia versions
    marker = true;
    rest.remove_prefix(1);
  }
  if (id.indirection_ > 0 && id.compressed_) {
    return InvalidId(text, "compression and indirection are mutually exclusive");
  }
  if (rest.empty()) {
    // "" is the empty ID; a marker with nothing after it names no content.
    if (marker) return InvalidId(text, "no content ID");
    return id;
  }
  auto content = content::ContentId::Parse(rest);
  if (!content.ok()) return InvalidId(text, "malformed content ID \"" + std::string(rest) + "\"");
  id.content_ = *content;
  return id;
}

std::string ObjectId::ToString() const {
  std::string s(indirection_, 'I');
  if (compressed_) s.push_back('Z');
  if (!content_.empty()) s += content_.ToString();
  return s;
}

ObjectId ObjectId::Indirect() const {
  assert(!compressed_ && indirection_ < kMaxIndirection);
  ObjectId id = *this;
  ++id.indirection_;
  return id;
}

ObjectId ObjectId::IndexObjectId() const {
  assert(indirection_ > 0);
  ObjectId id = *this;
  --id.indirection_;
  return id;
}

}  // namespace ferry::object
