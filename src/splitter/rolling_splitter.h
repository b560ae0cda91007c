// The chunking procedure shared by BUZHASH and RABINKARP (kopia-format.md §15.1):
// a 64-byte window, zero-filled at object start and never reset at a cut; after each byte the
// chunk is cut if it holds at least `min` bytes and (hash & (avg - 1)) == 0, or if it holds `max`.
//
// Only the positions where a cut is allowed are hashed (see rolling_scan.h for why that is exact);
// between calls the splitter keeps the last 64 bytes of the stream so that windows straddling a
// call boundary see the same bytes as in one whole buffer.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "splitter/rolling_scan.h"
#include "splitter/splitter.h"

namespace ferry::splitter {

// Hash is a rolling_scan.h policy plus `static size_t Scan(const uint8_t* p, size_t n, Value mask)`
// with ScanOneLane's contract.
template <class Hash>
class RollingSplitter final : public Splitter {
 public:
  using Value = typename Hash::Value;

  // avg must be a power of two (mask = avg - 1); 1 <= min <= max.
  RollingSplitter(size_t min_size, size_t avg_size, size_t max_size)
      : min_(std::max<size_t>(min_size, 1)),
        max_(std::max(max_size, min_)),
        mask_(static_cast<Value>(avg_size - 1)) {
    Reset();
  }

  size_t NextSplitPoint(ByteView data) override {
    const size_t n = data.size();
    if (n == 0) return kNoSplit;
    const uint8_t* d = data.data();

    // Position i of `data` ends a chunk of count_ + i + 1 bytes. Cuts are allowed from `lo` on;
    // the cut at `max` is at position limit - 1.
    const size_t lo = count_ + 1 >= min_ ? 0 : min_ - count_ - 1;
    const size_t limit = max_ - count_;  // count_ < max_ always
    const size_t end = std::min(n, limit);

    size_t cut = kNoSplit;
    size_t i = lo;
    if (i < end && i < kWindowSize) {
      // The windows of the first 64 positions reach back into the previous call's bytes: scan them
      // in a stitched copy [history | data head].
      const size_t head_end = std::min(end, kWindowSize);
      uint8_t buf[2 * kWindowSize];
      std::memcpy(buf, history_.data(), kWindowSize);
      std::memcpy(buf + kWindowSize, d, head_end);
      const size_t r = ScanOneLane<Hash>(buf + kWindowSize + i, head_end - i, mask_);
      if (r < head_end - i) cut = i + r + 1;
      i = head_end;
    }
    if (cut == kNoSplit && i < end) {
      const size_t r = Hash::Scan(d + i, end - i, mask_);
      if (r < end - i) cut = i + r + 1;
    }
    if (cut == kNoSplit && end == limit) cut = limit;

    const size_t consumed = cut == kNoSplit ? n : cut;
    RememberTail(d, consumed);
    count_ = cut == kNoSplit ? count_ + n : 0;
    return cut;
  }

  void Reset() override {
    count_ = 0;
    history_.fill(0);  // the window starts as 64 zero bytes
  }

  size_t max_segment_size() const override { return max_; }

 private:
  // history_ = the last 64 bytes of (history_ ++ d[0..n)).
  void RememberTail(const uint8_t* d, size_t n) {
    if (n >= kWindowSize) {
      std::memcpy(history_.data(), d + n - kWindowSize, kWindowSize);
    } else {
      std::memmove(history_.data(), history_.data() + n, kWindowSize - n);
      std::memcpy(history_.data() + kWindowSize - n, d, n);
    }
  }

  const size_t min_;
  const size_t max_;
  const Value mask_;
  size_t count_ = 0;  // bytes of the current chunk fed so far
  std::array<uint8_t, kWindowSize> history_{};
};

}  // namespace ferry::splitter
