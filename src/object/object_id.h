// Object IDs (kopia-format.md §13.1): `I*` (indirection count) `Z?` (legacy object-level
// compression) `D?` (ignored legacy marker) then a content ID.
//
//   d9295958410ae3b73f68033274cd7a8f     a file stored in one content
//   k18c2fa7d9108a2bf0d9d5b8e7993c48d    a directory (content prefix `k`)
//   Ixf5da1bbcdbc267fa123d93aaf90cbd75   a large file: its indirect list is object x…
//   IIx…                                 the list itself was large enough to be split
//   Zd92959…                             format-v1 object whose content is header || stream
//
// `Z` together with `I` is invalid (kopia refuses it too). The empty string is the empty ID.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "content/content_id.h"

namespace ferry::object {

class ObjectId {
 public:
  ObjectId() = default;  // the empty ID ("")

  // The object that is exactly the plaintext of `content`.
  static ObjectId Direct(const content::ContentId& content);
  // Legacy (format v1): the content's plaintext is a compression header followed by the stream.
  static ObjectId Compressed(const content::ContentId& content);

  // Parses the string form. Errors are InvalidArgument quoting the offending text.
  static Result<ObjectId> Parse(std::string_view text);
  std::string ToString() const;

  bool empty() const { return content_.empty(); }
  int indirection() const { return indirection_; }
  bool is_indirect() const { return indirection_ > 0; }
  bool compressed() const { return compressed_; }
  // The content named at the end of the ID (for an indirect ID, the list's content).
  const content::ContentId& content_id() const { return content_; }
  // Kopia recognises directories by their content prefix, with or without indirection.
  bool is_directory() const { return content_.prefix() == 'k'; }

  // `I` + this: the object whose indirect list is stored in this object.
  ObjectId Indirect() const;
  // This ID minus one `I`: the object holding the indirect list. Requires is_indirect().
  ObjectId IndexObjectId() const;

  friend bool operator==(const ObjectId& a, const ObjectId& b) = default;
  friend std::strong_ordering operator<=>(const ObjectId& a, const ObjectId& b) {
    if (auto c = a.indirection_ <=> b.indirection_; c != 0) return c;
    if (auto c = a.compressed_ <=> b.compressed_; c != 0) return c;
    return a.content_ <=> b.content_;
  }

 private:
  content::ContentId content_;
  uint8_t indirection_ = 0;
  bool compressed_ = false;
};

}  // namespace ferry::object
