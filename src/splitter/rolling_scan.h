// The search loop shared by the two rolling-hash splitters: find the first position whose
// 64-byte window hash has all `mask` bits clear.
//
// A window hash depends only on the 64 bytes that end at a position, never on how the stream
// reached them, so the hash can be started fresh anywhere from the 64 preceding bytes. That makes
// two speed-ups exact (they find the same first position as rolling byte by byte from the start):
//   * bytes that cannot end a chunk (before `min`) are never hashed, only their last 64 are read;
//   * a long range is scanned as kLanes interleaved lanes over consecutive blocks, each lane with
//     its own fresh hash, so the CPU overlaps the lanes' loop-carried dependency chains.
// A Hash policy provides:
//   using Value;                                         // uint32_t or uint64_t
//   static Value Fresh(const uint8_t* p);                // hash of the window p[-64..-1]
//   static Value Roll(Value h, uint8_t out, uint8_t in); // drop `out` (oldest), append `in`
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::splitter {

inline constexpr size_t kWindowSize = 64;  // kopia's splitterSlidingWindowSize

// First i in [0, n) whose window p[i-63..i] hashes to a value with (h & mask) == 0, or n.
// p[-64..n) must be readable.
template <class Hash>
size_t ScanOneLane(const uint8_t* p, size_t n, typename Hash::Value mask) {
  typename Hash::Value h = Hash::Fresh(p);
  const uint8_t* out = p - kWindowSize;
  for (size_t i = 0; i < n; ++i) {
    h = Hash::Roll(h, out[i], p[i]);
    if ((h & mask) == 0) return i;
  }
  return n;
}

// Same contract as ScanOneLane, faster on long ranges. Whole groups of kLanes * kBlock bytes are
// scanned lane-parallel; a group with any hit is rescanned by one lane to find the first hit, which
// costs at most one group per chunk (hits are rare: one per `mask + 1` bytes on average).
template <class Hash, size_t kLanes, size_t kBlock>
size_t ScanLanes(const uint8_t* p, size_t n, typename Hash::Value mask) {
  using Value = typename Hash::Value;
  constexpr size_t kGroup = kLanes * kBlock;
  size_t done = 0;
  while (n - done >= kGroup) {
    const uint8_t* g = p + done;
    Value h[kLanes];
    for (size_t j = 0; j < kLanes; ++j) h[j] = Hash::Fresh(g + j * kBlock);
    bool hit = false;
    for (size_t t = 0; t < kBlock; ++t) {
      bool any = false;
      for (size_t j = 0; j < kLanes; ++j) {
        const uint8_t* q = g + j * kBlock + t;
        h[j] = Hash::Roll(h[j], q[-static_cast<ptrdiff_t>(kWindowSize)], q[0]);
        any |= (h[j] & mask) == 0;
      }
      if (any) {
        hit = true;
        break;
      }
    }
    if (hit) return done + ScanOneLane<Hash>(g, kGroup, mask);
    done += kGroup;
  }
  return done + ScanOneLane<Hash>(p + done, n - done, mask);
}

}  // namespace ferry::splitter
