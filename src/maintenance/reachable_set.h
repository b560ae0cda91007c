// The set of contents reachable from snapshots, kept compact: 16 bytes per content (the prefix
// byte and the first 15 bytes of the hash) in one sorted vector, so a million contents cost
// 16 MB. Two contents sharing a key (a 120-bit collision) would make an unreachable content
// look reachable — it is kept, never wrongly deleted.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "content/content_id.h"

namespace ferry::maintenance {

class ReachableSet {
 public:
  using Key = std::array<uint8_t, 16>;
  static Key KeyOf(const content::ContentId& id);

  // Adding is cheap (append); duplicates are folded when the vector doubles and at Seal.
  void Add(const content::ContentId& id);
  // Sorts and deduplicates; call once before Contains.
  void Seal();
  bool Contains(const content::ContentId& id) const;
  size_t size() const { return keys_.size(); }
  size_t memory_bytes() const { return keys_.capacity() * sizeof(Key); }

 private:
  void Compact();

  std::vector<Key> keys_;
  size_t compacted_size_ = 0;  // keys_[0, compacted_size_) are sorted and unique
};

}  // namespace ferry::maintenance
