// Snappy/S2 framed streams (https://github.com/google/snappy/blob/main/framing_format.txt with
// the S2 extensions of klauspost/compress/s2):
//
//   stream = chunk*            chunk = type(1) length(3, little-endian) body(length)
//   0xff stream identifier: body "S2sTwO" (S2) or "sNaPpY" (Snappy); must come first, may repeat
//   0x00 compressed data:   masked CRC-32C (4, LE) of the decoded data, then one S2 block
//   0x01 uncompressed data: masked CRC-32C (4, LE), then the data itself
//   0x02..0x7f reserved, unskippable (error); 0x80..0xfd reserved, skippable; 0xfe padding
//
// Writing: ferry emits the Snappy-compatible subset: "sNaPpY" identifier, blocks of at most
// 64 KiB compressed with libsnappy (Snappy blocks are valid S2 blocks), and an uncompressed chunk
// wherever Snappy does not shrink a block. That is exactly the form klauspost's own
// WriterSnappyCompat produces; kopia's S2 reader accepts it, and so does any Snappy reader.
#include <snappy.h>

#include <algorithm>
#include <cstring>

#include "compression/codecs.h"
#include "compression/crc32c.h"
#include "compression/s2_block.h"

namespace ferry::compression::internal {
namespace {

constexpr uint8_t kChunkCompressed = 0x00;
constexpr uint8_t kChunkUncompressed = 0x01;
constexpr uint8_t kChunkStreamIdentifier = 0xff;
constexpr char kS2Magic[] = "S2sTwO";
constexpr char kSnappyMagic[] = "sNaPpY";
constexpr size_t kMagicSize = 6;
constexpr size_t kChecksumSize = 4;
// Snappy framing caps a chunk's decoded data at 64 KiB; S2 raises that to 4 MiB. Like kopia's
// reader, refuse anything bigger before allocating for it.
constexpr size_t kWriteBlockSize = size_t{64} << 10;
constexpr size_t kMaxDecodedBlockSize = size_t{4} << 20;

uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

void StoreChunkHeader(uint8_t* p, uint8_t type, size_t length, uint32_t masked_crc) {
  p[0] = type;
  p[1] = static_cast<uint8_t>(length);
  p[2] = static_cast<uint8_t>(length >> 8);
  p[3] = static_cast<uint8_t>(length >> 16);
  p[4] = static_cast<uint8_t>(masked_crc);
  p[5] = static_cast<uint8_t>(masked_crc >> 8);
  p[6] = static_cast<uint8_t>(masked_crc >> 16);
  p[7] = static_cast<uint8_t>(masked_crc >> 24);
}

Status Corrupt(const std::string& what) { return Status::Corruption("s2 stream: " + what); }

Status CheckCrc(uint32_t stored_masked, const uint8_t* data, size_t n) {
  uint32_t actual = crc32c::Value(data, n);
  if (crc32c::Unmask(stored_masked) != actual) return Corrupt("CRC-32C mismatch");
  return Status::OK();
}

}  // namespace

Status S2Compress(ByteView input, Bytes* out) {
  const size_t start = out->size();
  const size_t blocks = (input.size() + kWriteBlockSize - 1) / kWriteBlockSize;
  // Worst case per block: 8-byte chunk header + the larger of raw data and Snappy's bound.
  const size_t per_block_bound = 8 + snappy::MaxCompressedLength(kWriteBlockSize);
  out->resize(start + 4 + kMagicSize + blocks * per_block_bound);
  uint8_t* p = out->data() + start;
  p[0] = kChunkStreamIdentifier;
  p[1] = kMagicSize;
  p[2] = 0;
  p[3] = 0;
  std::memcpy(p + 4, kSnappyMagic, kMagicSize);
  p += 4 + kMagicSize;

  for (size_t pos = 0; pos < input.size(); pos += kWriteBlockSize) {
    const size_t n = std::min(kWriteBlockSize, input.size() - pos);
    const uint8_t* block = input.data() + pos;
    const uint32_t crc = crc32c::Mask(crc32c::Value(block, n));
    size_t compressed = 0;
    snappy::RawCompress(reinterpret_cast<const char*>(block), n, reinterpret_cast<char*>(p + 8),
                        &compressed);
    if (compressed < n) {
      StoreChunkHeader(p, kChunkCompressed, kChecksumSize + compressed, crc);
      p += 8 + compressed;
    } else {
      // Not worth it for this block (random data): store it raw, as S2 and Snappy writers do.
      StoreChunkHeader(p, kChunkUncompressed, kChecksumSize + n, crc);
      std::memcpy(p + 8, block, n);
      p += 8 + n;
    }
  }
  out->resize(static_cast<size_t>(p - out->data()));
  return Status::OK();
}

Status S2Decompress(ByteView input, Bytes* out, size_t max_output) {
  const uint8_t* s = input.data();
  const uint8_t* const end = s + input.size();
  const size_t start = out->size();
  bool seen_identifier = false;

  // An empty stream is valid: kopia's S2 writer emits nothing at all for empty input.
  while (s < end) {
    if (end - s < 4) return Corrupt("truncated chunk header");
    const uint8_t type = s[0];
    const size_t length = static_cast<size_t>(s[1]) | static_cast<size_t>(s[2]) << 8 |
                          static_cast<size_t>(s[3]) << 16;
    s += 4;
    if (static_cast<size_t>(end - s) < length) return Corrupt("truncated chunk");
    const uint8_t* body = s;
    s += length;

    if (!seen_identifier && type != kChunkStreamIdentifier) {
      return Corrupt("missing stream identifier");
    }
    switch (type) {
      case kChunkStreamIdentifier:
        if (length != kMagicSize || (std::memcmp(body, kS2Magic, kMagicSize) != 0 &&
                                     std::memcmp(body, kSnappyMagic, kMagicSize) != 0)) {
          return Corrupt("bad stream identifier");
        }
        seen_identifier = true;
        continue;

      case kChunkCompressed: {
        if (length < kChecksumSize) return Corrupt("compressed chunk shorter than its checksum");
        const uint32_t stored = LoadLe32(body);
        const ByteView block(body + kChecksumSize, length - kChecksumSize);
        uint64_t n = 0;
        size_t prefix = 0;
        FERRY_RETURN_IF_ERROR(S2BlockDecodedLength(block, &n, &prefix).WithContext("s2 stream"));
        if (n > kMaxDecodedBlockSize) return Corrupt("block larger than 4 MiB");
        const size_t have = out->size() - start;
        if (n > max_output - have) return OutputTooLarge(max_output);
        const size_t at = out->size();
        out->resize(at + n);
        const MutableByteView dst(out->data() + at, n);
        FERRY_RETURN_IF_ERROR(
            S2DecodeBlockElements(block.subspan(prefix), dst).WithContext("s2 stream"));
        FERRY_RETURN_IF_ERROR(CheckCrc(stored, dst.data(), n));
        continue;
      }

      case kChunkUncompressed: {
        if (length < kChecksumSize) return Corrupt("uncompressed chunk shorter than its checksum");
        const size_t n = length - kChecksumSize;
        if (n > kMaxDecodedBlockSize) return Corrupt("block larger than 4 MiB");
        const size_t have = out->size() - start;
        if (n > max_output - have) return OutputTooLarge(max_output);
        FERRY_RETURN_IF_ERROR(CheckCrc(LoadLe32(body), body + kChecksumSize, n));
        out->insert(out->end(), body + kChecksumSize, body + length);
        continue;
      }

      default:
        if (type <= 0x7f) return Corrupt("reserved unskippable chunk type " + std::to_string(type));
        continue;  // 0x80..0xfd reserved skippable, 0xfe padding
    }
  }
  return Status::OK();
}

}  // namespace ferry::compression::internal
