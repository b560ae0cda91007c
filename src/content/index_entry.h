// One index entry (kopia-format.md §9): where a content lives and what it is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "content/content_id.h"

namespace ferry::content {

struct IndexEntry {
  ContentId id;
  // For entries read from an IndexView this points into the view's bytes: valid while the view
  // lives. For entries handed to a builder it must stay valid until Build returns.
  std::string_view pack_blob_id;
  uint32_t pack_offset = 0;       // absolute offset in the pack
  uint32_t packed_length = 0;     // stored length (AEAD output, +ECC)
  uint32_t original_length = 0;   // uncompressed plaintext length
  int64_t timestamp = 0;          // Unix seconds
  bool deleted = false;
  uint8_t format_version = 3;
  uint32_t compression_header = 0;  // 0 = not compressed
  uint8_t encryption_key_id = 0;
};

// kopia's merge precedence (§9.5): later timestamp wins; then non-deleted over deleted; then the
// lexicographically greater pack blob ID. Returns true if a should replace b.
inline bool Supersedes(const IndexEntry& a, const IndexEntry& b) {
  if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
  if (a.deleted != b.deleted) return !a.deleted;
  return a.pack_blob_id > b.pack_blob_id;
}

}  // namespace ferry::content
