// The S2 block format (klauspost/compress s2), a superset of the Snappy block format:
//
//   block   = uvarint(decoded length) element*
//   element = literal | copy1 | copy2 | copy4           (tag = low 2 bits of the first byte)
//   literal (00): length-1 in the upper 6 bits if < 60; 60..63 mean 1..4 little-endian length
//                 bytes follow (holding length-1), then the literal bytes.
//   copy1   (01): length 4 + bits 2..4, offset = bits 5..7 << 8 | next byte.
//                 S2 only: offset 0 means "repeat the previous offset"; then bits 2..4 are a
//                 length code: 0..4 -> 4..8, 5 -> 8 + 1 byte, 6 -> 260 + 2 bytes LE,
//                 7 -> 65540 + 3 bytes LE.
//   copy2   (10): length 1 + upper 6 bits, 2-byte little-endian offset.
//   copy4   (11): length 1 + upper 6 bits, 4-byte little-endian offset.
//
// The repeat offset starts unset (a repeat before any copy is corrupt) and is not carried across
// blocks. Copies may overlap their own output (offset < length repeats a pattern).
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::compression::internal {

// Reads the uvarint length prefix of a block: at most 5 bytes, at most 2^32-1.
// On success sets *decoded_length and *prefix_size.
Status S2BlockDecodedLength(ByteView block, uint64_t* decoded_length, size_t* prefix_size);

// Decodes the elements that follow the length prefix into exactly dst.size() bytes. Any element
// that would read past `elements`, write past dst, or copy from before dst's start, and any
// length mismatch, is Corruption.
Status S2DecodeBlockElements(ByteView elements, MutableByteView dst);

}  // namespace ferry::compression::internal
