#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "content/content_id.h"

namespace ferry::content {

// Where each pending content lives: content ID → (pack ordinal, entry index), one flat
// open-addressing table of 12-byte slots (linear probing, backward-shift deletion, no
// tombstones). The IDs are not stored: a slot is checked against the full ID of the entry it
// names, which the caller resolves (key_of), so a hash collision never makes new data look
// pending. An unordered_map node per content cost ~90 bytes; this costs ~16–24 per content.
// Not thread-safe (the content manager holds its lock).
class PendingLocations {
 public:
  struct Ref {
    uint32_t pack = 0;  // a pack ordinal, never 0
    uint32_t index = 0;
  };

  // KeyOf: const ContentId* (Ref) — the ID of the entry a stored Ref names (nullptr if none).
  template <typename KeyOf>
  std::optional<Ref> Find(const ContentId& id, const KeyOf& key_of) const {
    size_t at = FindSlot(id, key_of);
    if (at == kNone) return std::nullopt;
    return Ref{slots_[at].pack, slots_[at].index};
  }

  // Records id at ref (replacing where it was, if anywhere).
  template <typename KeyOf>
  void Set(const ContentId& id, Ref ref, const KeyOf& key_of) {
    size_t at = FindSlot(id, key_of);
    if (at != kNone) {
      slots_[at].pack = ref.pack;
      slots_[at].index = ref.index;
      return;
    }
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    Place(Slot{Hash(id), ref.pack, ref.index});
    ++size_;
  }

  // Forgets id; with only_pack != 0, only if it is recorded in that pack. True if forgotten.
  template <typename KeyOf>
  bool Erase(const ContentId& id, const KeyOf& key_of, uint32_t only_pack = 0) {
    size_t at = FindSlot(id, key_of);
    if (at == kNone || (only_pack != 0 && slots_[at].pack != only_pack)) return false;
    // Backward shift: pull later slots of the run into the hole when their home allows it.
    const size_t mask = slots_.size() - 1;
    size_t hole = at;
    for (size_t next = (hole + 1) & mask; slots_[next].pack != 0; next = (next + 1) & mask) {
      size_t home = slots_[next].hash & mask;
      // Move it unless its home lies cyclically in (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        slots_[hole] = slots_[next];
        hole = next;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    uint32_t hash = 0;
    uint32_t pack = 0;  // 0: empty
    uint32_t index = 0;
  };
  static constexpr size_t kNone = ~size_t{0};

  // Content IDs are hashes already; mixed anyway so that structured test IDs spread too.
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

  template <typename KeyOf>
  size_t FindSlot(const ContentId& id, const KeyOf& key_of) const {
    if (size_ == 0) return kNone;
    const size_t mask = slots_.size() - 1;
    const uint32_t hash = Hash(id);
    for (size_t at = hash & mask; slots_[at].pack != 0; at = (at + 1) & mask) {
      if (slots_[at].hash != hash) continue;
      const ContentId* key = key_of(Ref{slots_[at].pack, slots_[at].index});
      if (key && *key == id) return at;
    }
    return kNone;
  }

  void Place(Slot s) {
    const size_t mask = slots_.size() - 1;
    size_t at = s.hash & mask;
    while (slots_[at].pack != 0) at = (at + 1) & mask;
    slots_[at] = s;
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.pack != 0) Place(s);
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace ferry::content
