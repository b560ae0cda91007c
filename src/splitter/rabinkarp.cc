#include "splitter/rabinkarp.h"

#include <array>
#include <bit>
#include <memory>

#include "splitter/rolling_scan.h"
#include "splitter/rolling_splitter.h"

namespace ferry::splitter {
namespace {

constexpr int kDegree = 63 - std::countl_zero(kRabinKarpPolynomial);  // 53
static_assert(kDegree == 53);

// x mod P for polynomials over GF(2) stored as bit masks.
constexpr uint64_t PolyMod(uint64_t x) {
  while (x != 0) {
    const int d = 63 - std::countl_zero(x);
    if (d < kDegree) break;
    x ^= kRabinKarpPolynomial << (d - kDegree);
  }
  return x;
}

struct Tables {
  // kReduce[b] = (b·x^53 mod P) | (b << 53): XORed into V << 8 it clears the 8 bits that the shift
  // pushed above degree 53 and adds their residue — rollinghash's `mod` table.
  std::array<uint64_t, 256> reduce{};
  // kOut8[b] = b·x^512 mod P: the byte leaving the window, already multiplied by the x^8 of the
  // shift that follows (rollinghash's out[b] = b·x^504 mod P, times x^8).
  std::array<uint64_t, 256> out8{};
};

constexpr Tables MakeTables() {
  // Both tables are linear in b, so only the 8 single-bit entries are computed the long way
  // (this keeps the compile-time evaluation within every compiler's step limit).
  uint64_t out_bit[8] = {};
  for (int k = 0; k < 8; ++k) {
    uint64_t h = uint64_t{1} << k;
    for (size_t i = 0; i < kWindowSize; ++i) h = PolyMod(h << 8);
    out_bit[k] = h;
  }
  Tables t;
  for (uint64_t b = 0; b < 256; ++b) {
    t.reduce[b] = PolyMod(b << kDegree) | (b << kDegree);
    for (int k = 0; k < 8; ++k) {
      if ((b >> k) & 1) t.out8[b] ^= out_bit[k];
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();

// V(w[0..63]) = (sum_i w[i]·x^(8·(63 − i))) mod P, w[0] oldest, always fully reduced (< 2^53).
// rollinghash rolls as V' = (((V ^ out[o]) << 8) | c) ^ mod[(V ^ out[o]) >> 45]. Reduction is
// linear, so that equals (V·x^8 mod P) ^ (o·x^512 mod P) ^ c, which is what Roll computes: the
// loop-carried chain is then shift → table load → XOR, and the o/c terms are computed off it.
struct RabinKarp {
  using Value = uint64_t;
  static constexpr int kTopShift = kDegree - 8;  // 45: the byte that the next shift pushes out

  static Value TimesX8(Value v) { return (v << 8) ^ kTables.reduce[v >> kTopShift]; }

  static Value Roll(Value v, uint8_t out, uint8_t in) {
    return TimesX8(v) ^ (kTables.out8[out] ^ in);
  }

  // The chain is ~7 cycles per byte (shift, L1 load, XOR); eight lanes overlap it (measured:
  // 1.15 GiB/s of hashing with four lanes, 1.4-1.5 GiB/s with eight).
  static size_t Scan(const uint8_t* p, size_t n, Value mask) {
    return ScanLanes<RabinKarp, 8, 4 * 1024>(p, n, mask);
  }
};

}  // namespace

std::unique_ptr<Splitter> NewRabinKarpSplitter(size_t min_size, size_t avg_size,
                                               size_t max_size) {
  return std::make_unique<RollingSplitter<RabinKarp>>(min_size, avg_size, max_size);
}

}  // namespace ferry::splitter
