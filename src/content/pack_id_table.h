#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "content/content_id.h"

namespace ferry::content {

// The entries of one pack that no index blob names yet, found by content ID: an open-addressing
// table (linear probing, backward-shift deletion, load <= 0.7) of 4-byte slots, each an entry
// index plus 11 bits of the ID's hash, so that nearly every probe that is not the ID is passed
// over without reading the entry. The IDs are not stored: a slot is checked against the full ID
// of the entry it names, which the caller resolves (key_of), so a hash collision never makes new
// data look stored.
//
// One table per pack rather than one for the session: a pack of 1 KiB contents holds ~19 600
// entries, 128 KiB of slots here, and its table goes when its index blob is written. (A single
// table of 12-byte slots reached 1.5 MB with three packs pending.) Not thread-safe.
class PackIdTable {
  static constexpr int kIndexBits = 21;
  static constexpr uint32_t kIndexMask = (1u << kIndexBits) - 1;  // index + 1; 0 = empty

 public:
  // Entry indexes must stay below this; a pack is sealed before it has more.
  static constexpr uint32_t kMaxEntries = kIndexMask;

  // KeyOf: const ContentId& (uint32_t index) — the ID of the pack's entry `index`.
  template <typename KeyOf>
  std::optional<uint32_t> Find(const ContentId& id, const KeyOf& key_of) const {
    size_t at = FindSlot(id, key_of);
    if (at == kNone) return std::nullopt;
    return (slots_[at] & kIndexMask) - 1;
  }

  // Adds `id` as entry `index` (< kMaxEntries). The caller makes sure it is not present.
  template <typename KeyOf>
  void Insert(const ContentId& id, uint32_t index, const KeyOf& key_of) {
    if ((size_ + 1) * 10 > slots_.size() * 7) Grow(key_of);
    Place(Hash(id), index);
    ++size_;
  }

  // Forgets `id`. True if it was there.
  template <typename KeyOf>
  bool Erase(const ContentId& id, const KeyOf& key_of) {
    size_t at = FindSlot(id, key_of);
    if (at == kNone) return false;
    // Backward shift: pull later slots of the run into the hole when their home allows it.
    const size_t mask = slots_.size() - 1;
    size_t hole = at;
    for (size_t next = (hole + 1) & mask; slots_[next] != 0; next = (next + 1) & mask) {
      const size_t home = Hash(key_of((slots_[next] & kIndexMask) - 1)) & mask;
      // Move it unless its home lies cyclically in (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        slots_[hole] = slots_[next];
        hole = next;
      }
    }
    slots_[hole] = 0;
    --size_;
    return true;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

 private:
  static constexpr size_t kNone = ~size_t{0};

  // Content IDs are hashes already; mixed anyway so that structured test IDs spread too. The
  // home slot takes the low bits, the tag the top 11 (tables stay below 2^21 slots).
  static uint32_t Hash(const ContentId& id) {
    ByteView h = id.hash();
    uint64_t x = 0;
    std::memcpy(&x, h.data(), h.size() < sizeof(x) ? h.size() : sizeof(x));
    x ^= uint64_t(uint8_t(id.prefix())) << 56 ^ h.size();
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return uint32_t(x);
  }
  static uint32_t Tag(uint32_t hash) { return hash & ~kIndexMask; }

  template <typename KeyOf>
  size_t FindSlot(const ContentId& id, const KeyOf& key_of) const {
    if (size_ == 0) return kNone;
    const size_t mask = slots_.size() - 1;
    const uint32_t hash = Hash(id);
    for (size_t at = hash & mask; slots_[at] != 0; at = (at + 1) & mask) {
      if ((slots_[at] & ~kIndexMask) != Tag(hash)) continue;
      if (key_of((slots_[at] & kIndexMask) - 1) == id) return at;
    }
    return kNone;
  }

  void Place(uint32_t hash, uint32_t index) {
    const size_t mask = slots_.size() - 1;
    size_t at = hash & mask;
    while (slots_[at] != 0) at = (at + 1) & mask;
    slots_[at] = Tag(hash) | (index + 1);
  }

  template <typename KeyOf>
  void Grow(const KeyOf& key_of) {
    std::vector<uint32_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 256 : old.size() * 2, 0);
    for (uint32_t s : old) {
      if (s != 0) Place(Hash(key_of((s & kIndexMask) - 1)), (s & kIndexMask) - 1);
    }
  }

  std::vector<uint32_t> slots_;
  size_t size_ = 0;
};

}  // namespace ferry::content
