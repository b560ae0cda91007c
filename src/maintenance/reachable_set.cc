#include "maintenance/reachable_set.h"

#include <algorithm>
#include <cstring>

namespace ferry::maintenance {

ReachableSet::Key ReachableSet::KeyOf(const content::ContentId& id) {
  Key k{};
  k[0] = uint8_t(id.prefix());
  ByteView h = id.hash();
  std::memcpy(k.data() + 1, h.data(), std::min<size_t>(h.size(), k.size() - 1));
  return k;
}

void ReachableSet::Add(const content::ContentId& id) {
  // Fold duplicates before growing: snapshots of the same data add the same keys again and again.
  if (keys_.size() == keys_.capacity() && keys_.size() >= 1024 && keys_.size() > 2 * compacted_size_) Compact();
  keys_.push_back(KeyOf(id));
}

void ReachableSet::Compact() {
  std::sort(keys_.begin(), keys_.end());
  keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
  compacted_size_ = keys_.size();
}

void ReachableSet::Seal() {
  Compact();
  keys_.shrink_to_fit();
}

bool ReachableSet::Contains(const content::ContentId& id) const {
  return std::binary_search(keys_.begin(), keys_.end(), KeyOf(id));
}

}  // namespace ferry::maintenance
