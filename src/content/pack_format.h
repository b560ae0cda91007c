// The tail of a pack blob (kopia-format.md §8.2–8.4): random padding to a 4096-byte boundary,
// the encrypted pack-local index, and the postamble that locates it. Readers never need these
// (the index blobs say where every content is); they let `kopia index recover` rebuild indexes.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::content {

inline constexpr size_t kPackPreambleSize = 32;
inline constexpr size_t kPackAlignment = 4096;

struct Postamble {
  Bytes local_index_iv;
  uint64_t local_index_offset = 0;
  uint64_t local_index_length = 0;
};

// Appends the postamble bytes (version 1, IV, offset, length, CRC-32, length byte).
Status AppendPostamble(const Postamble& p, Bytes* pack);
// Parses the postamble at the end of a pack (or of its last bytes). Corruption on a bad CRC or
// impossible lengths.
Result<Postamble> ParsePostamble(ByteView pack_tail);

// Bytes of random padding kopia adds before the local index: 1..4096, so that the index starts
// on a 4096-byte boundary (a full 4096 when already aligned).
inline size_t PackPaddingLength(size_t size) { return kPackAlignment - size % kPackAlignment; }

}  // namespace ferry::content
