#include "compression/s2_block.h"

#include <cstring>

namespace ferry::compression::internal {
namespace {

inline uint32_t Load16(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8;
}
inline uint32_t Load24(const uint8_t* p) { return Load16(p) | static_cast<uint32_t>(p[2]) << 16; }
inline uint32_t Load32(const uint8_t* p) { return Load24(p) | static_cast<uint32_t>(p[3]) << 24; }

Status Corrupt(const char* what) { return Status::Corruption(std::string("s2 block: ") + what); }

}  // namespace

Status S2BlockDecodedLength(ByteView block, uint64_t* decoded_length, size_t* prefix_size) {
  uint64_t value = 0;
  for (size_t i = 0; i < 5; ++i) {
    if (i >= block.size()) return Corrupt("truncated length prefix");
    uint8_t b = block[i];
    value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (value > 0xffffffffu) break;
      *decoded_length = value;
      *prefix_size = i + 1;
      return Status::OK();
    }
  }
  return Corrupt("length prefix overflows 32 bits");
}

Status S2DecodeBlockElements(ByteView elements, MutableByteView dst) {
  const uint8_t* s = elements.data();
  const uint8_t* const s_end = s + elements.size();
  uint8_t* const d_begin = dst.data();
  uint8_t* d = d_begin;
  uint8_t* const d_end = d_begin + dst.size();
  // The offset a repeat copy reuses; 0 = none yet. Sizes below are compared in uint64_t so that
  // nothing can wrap, whatever the input says.
  uint64_t offset = 0;

  while (s < s_end) {
    const uint8_t tag = *s;
    uint64_t length;
    switch (tag & 0x03) {
      case 0x00: {  // literal
        uint64_t x = tag >> 2;
        size_t extra = x < 60 ? 0 : x - 59;  // 60..63 -> 1..4 length bytes
        if (static_cast<size_t>(s_end - s) < 1 + extra) return Corrupt("truncated literal tag");
        switch (extra) {
          case 1:
            x = s[1];
            break;
          case 2:
            x = Load16(s + 1);
            break;
          case 3:
            x = Load24(s + 1);
            break;
          case 4:
            x = Load32(s + 1);
            break;
          default:
            break;
        }
        s += 1 + extra;
        length = x + 1;
        if (length > static_cast<uint64_t>(s_end - s)) return Corrupt("literal runs past input");
        if (length > static_cast<uint64_t>(d_end - d)) return Corrupt("literal runs past output");
        if (length <= 16 && s_end - s >= 16 && d_end - d >= 16) {
          // Short literal with slack on both sides: one fixed-size copy beats a memcpy call;
          // the bytes written past the literal are overwritten by what follows.
          std::memcpy(d, s, 16);
        } else {
          std::memcpy(d, s, length);
        }
        d += length;
        s += length;
        continue;
      }
      case 0x01: {  // copy1, or S2 repeat when the offset is 0
        if (s_end - s < 2) return Corrupt("truncated copy1");
        length = (tag >> 2) & 0x07;
        const uint64_t o = (static_cast<uint64_t>(tag & 0xe0) << 3) | s[1];
        s += 2;
        if (o != 0) {
          offset = o;
          length += 4;
        } else {
          switch (length) {
            case 5:
              if (s_end - s < 1) return Corrupt("truncated repeat length");
              length = 8 + static_cast<uint64_t>(s[0]);
              s += 1;
              break;
            case 6:
              if (s_end - s < 2) return Corrupt("truncated repeat length");
              length = 260 + static_cast<uint64_t>(Load16(s));
              s += 2;
              break;
            case 7:
              if (s_end - s < 3) return Corrupt("truncated repeat length");
              length = 65540 + static_cast<uint64_t>(Load24(s));
              s += 3;
              break;
            default:
              length += 4;  // codes 0..4 -> 4..8
              break;
          }
        }
        break;
      }
      case 0x02:  // copy2
        if (s_end - s < 3) return Corrupt("truncated copy2");
        length = 1 + static_cast<uint64_t>(tag >> 2);
        offset = Load16(s + 1);
        s += 3;
        break;
      default:  // copy4
        if (s_end - s < 5) return Corrupt("truncated copy4");
        length = 1 + static_cast<uint64_t>(tag >> 2);
        offset = Load32(s + 1);
        s += 5;
        break;
    }

    if (offset == 0) return Corrupt("copy with offset 0 (or a repeat before any copy)");
    if (offset > static_cast<uint64_t>(d - d_begin))
      return Corrupt("copy offset before start of output");
    if (length > static_cast<uint64_t>(d_end - d)) return Corrupt("copy runs past output");

    const uint8_t* from = d - offset;
    if (offset >= 8 && length <= 16 && d_end - d >= 16) {
      // Short copy: two 8-byte moves. With offset >= 8 each move reads only bytes that are
      // already final (the second may read what the first just wrote, as LZ77 intends).
      std::memcpy(d, from, 8);
      std::memcpy(d + 8, from + 8, 8);
      d += length;
      continue;
    }
    if (offset >= length) {
      std::memcpy(d, from, length);
      d += length;
      continue;
    }
    // Overlapping copy: the output repeats the `offset` bytes before d. Copy that period, then
    // ever larger non-overlapping stretches of the already repeated pattern: after each memcpy
    // the distance from `from` to d is still a multiple of the period.
    uint64_t remaining = length;
    while (remaining > 0) {
      uint64_t n = static_cast<uint64_t>(d - from);
      if (n > remaining) n = remaining;
      std::memcpy(d, from, n);
      d += n;
      remaining -= n;
    }
  }
  if (d != d_end) return Corrupt("decoded data shorter than its length prefix");
  return Status::OK();
}

}  // namespace ferry::compression::internal
