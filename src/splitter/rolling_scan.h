// The search loop shared by the two rolling-hash splitters: find the first position whose
// 64-byte window hash has all `mask` bits clear.
//
// A window hash depends only on the 64 bytes that end at a position, never on how the stream
// reached them, so the hash can be started fresh anywhere from the 64 preceding bytes: 64 zero
// bytes hash to 0 (for both hashes), and rolling the 64 real bytes in while zeros roll out gives
// the hash of the real window. That makes two speed-ups exact (they find the same first position
// as rolling byte by byte from the start of the object):
//   * bytes that cannot end a chunk (before `min`) are never hashed, only their last 64 are read;
//   * a long range is scanned as kLanes interleaved lanes over consecutive blocks, each lane with
//     its own fresh hash, so the CPU overlaps the lanes' loop-carried dependency chains.
// A Hash policy provides:
//   using Value;                                          // uint32_t or uint64_t
//   static Value Roll(Value h, uint8_t out, uint8_t in);  // drop `out` (oldest), append `in`
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::splitter {

inline constexpr size_t kWindowSize = 64;  // kopia's splitterSlidingWindowSize

// The hash of the window p[-64..-1].
template <class Hash>
typename Hash::Value HashWindow(const uint8_t* p) {
  typename Hash::Value h = 0;
  const uint8_t* w = p - kWindowSize;
  for (size_t i = 0; i < kWindowSize; ++i) h = Hash::Roll(h, 0, w[i]);
  return h;
}

// First i in [0, n) whose window p[i-63..i] hashes to a value with (h & mask) == 0, or n.
// p[-64..n) must be readable.
template <class Hash>
size_t ScanOneLane(const uint8_t* p, size_t n, typename Hash::Value mask) {
  typename Hash::Value h = HashWindow<Hash>(p);
  const uint8_t* out = p - kWindowSize;
  for (size_t i = 0; i < n; ++i) {
    h = Hash::Roll(h, out[i], p[i]);
    if ((h & mask) == 0) return i;
  }
  return n;
}

// ScanOneLane over exactly kLanes * kBlock bytes, lane j covering block j; returns the first hit
// or kLanes * kBlock. After a hit in lane j the loop goes on (lanes < j may still hit earlier
// positions) until block end or a hit in lane 0. kBlock is a constant so that the lanes share one
// pointer with fixed displacements instead of needing a register each.
template <class Hash, size_t kLanes, size_t kBlock>
size_t ScanGroup(const uint8_t* g, typename Hash::Value mask) {
  using Value = typename Hash::Value;
  Value h[kLanes] = {};
  // Fresh window hashes for all lanes at once, so that their chains overlap too.
  const uint8_t* w = g - kWindowSize;
  for (size_t i = 0; i < kWindowSize; ++i) {
    for (size_t j = 0; j < kLanes; ++j) h[j] = Hash::Roll(h[j], 0, w[j * kBlock + i]);
  }
  size_t first_lane = kLanes;  // lane of the earliest hit found so far
  size_t first = kLanes * kBlock;
  for (size_t t = 0; t < kBlock; ++t) {
    const uint8_t* in = g + t;
    const uint8_t* out = in - kWindowSize;
    bool any = false;
    for (size_t j = 0; j < kLanes; ++j) {
      h[j] = Hash::Roll(h[j], out[j * kBlock], in[j * kBlock]);
      any |= (h[j] & mask) == 0;
    }
    if (any) [[unlikely]] {
      for (size_t j = 0; j < first_lane; ++j) {
        if ((h[j] & mask) == 0) {
          first_lane = j;
          first = j * kBlock + t;
          break;
        }
      }
      if (first_lane == 0) break;
    }
  }
  return first;
}

// Same contract as ScanOneLane, faster on long ranges: whole groups of kLanes * kBlock bytes, then
// smaller groups of kLanes * 512, then what is left by one lane.
template <class Hash, size_t kLanes, size_t kBlock>
size_t ScanLanes(const uint8_t* p, size_t n, typename Hash::Value mask) {
  constexpr size_t kTailBlock = 512;
  static_assert(kBlock >= kTailBlock && kTailBlock >= kWindowSize);
  size_t done = 0;
  for (; n - done >= kLanes * kBlock; done += kLanes * kBlock) {
    const size_t r = ScanGroup<Hash, kLanes, kBlock>(p + done, mask);
    if (r < kLanes * kBlock) return done + r;
  }
  for (; n - done >= kLanes * kTailBlock; done += kLanes * kTailBlock) {
    const size_t r = ScanGroup<Hash, kLanes, kTailBlock>(p + done, mask);
    if (r < kLanes * kTailBlock) return done + r;
  }
  return done + ScanOneLane<Hash>(p + done, n - done, mask);
}

}  // namespace ferry::splitter
