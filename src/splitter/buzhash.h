// BUZHASH (kopia-format.md §15.2): chmduquesne/rollinghash v4 buzhash32 over a 64-byte window,
// as kopia's DYNAMIC-*-BUZHASH splitters use it. The splitter itself is NewBuzhashSplitter()
// in splitter.h; this header exposes the byte table for tests.
#pragma once

#include <cstdint>

namespace ferry::splitter {

// buzhash32.GenerateHashes(1): Go math/rand seeded with 1, uint32(Int63()), duplicates skipped.
// Listed, not regenerated (kopia-test-vectors.md §12.3).
extern const uint32_t kBuzhashTable[256];

}  // namespace ferry::splitter
