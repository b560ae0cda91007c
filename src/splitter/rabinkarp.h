// RABINKARP (kopia-format.md §15.3): chmduquesne/rollinghash v4 rabinkarp64 over a 64-byte window,
// as kopia's DYNAMIC-*-RABINKARP splitters use it. The splitter itself is NewRabinKarpSplitter()
// in splitter.h; this header exposes the polynomial for tests.
#pragma once

#include <cstdint>

namespace ferry::splitter {

// rabinkarp64.RandomPolynomial(1): irreducible over GF(2), degree 53 (kopia-test-vectors.md §12.4).
inline constexpr uint64_t kRabinKarpPolynomial = 0x2e3e3e4a305605;

}  // namespace ferry::splitter
