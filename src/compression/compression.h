// Compression with kopia's 4-byte big-endian header IDs (kopia-format.md §6). Compressed
// payloads are header || stream. Decompression handles every compressor kopia can write;
// compression is offered for the zstd, gzip, pgzip, deflate and s2 families.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::compression {

using HeaderId = uint32_t;
inline constexpr HeaderId kNoCompression = 0;
inline constexpr size_t kHeaderSize = 4;
// Guard against decompression bombs: no kopia content is larger than this once decompressed.
inline constexpr size_t kDefaultMaxDecompressedSize = size_t{256} << 20;

struct CompressorInfo {
  std::string name;    // kopia's name, e.g. "zstd-fastest"
  HeaderId header_id;  // e.g. 0x1101
  bool deprecated;     // listed only with --deprecated
  bool can_compress;   // false for read-only ones (lz4)
};

// Every compressor kopia knows, in kopia's order.
const std::vector<CompressorInfo>& Compressors();

// InvalidArgument listing the valid names when unknown.
Result<CompressorInfo> CompressorByName(std::string_view name);
Result<CompressorInfo> CompressorByHeaderId(HeaderId id);

// What is compressed. Metadata (directories, manifests) is JSON whose repeats are near each
// other: zstd compresses it with a 64 KiB window, which needs a context of ~0.34 MB instead of
// ~0.58 MB for a 140 KB directory and compresses it as well. The stream format is the same.
enum class Payload { kData, kMetadata };

// Replaces *out with header || compressed stream. Thread-safe. `input` must not overlap *out.
Status Compress(std::string_view name, ByteView input, Bytes* out);
Status Compress(HeaderId id, ByteView input, Bytes* out, Payload payload = Payload::kData);

// Reads the header and decompresses into *out (replacing it). Truncated or corrupt input is
// Status::Corruption, never a crash; output beyond max_output is refused (Corruption); an
// unknown header ID is Unsupported. On error *out is left empty. `input` must not overlap *out.
Status Decompress(ByteView input, Bytes* out, size_t max_output = kDefaultMaxDecompressedSize);

// The header ID at the start of a compressed payload (Corruption when shorter than 4 bytes).
Result<HeaderId> PeekHeaderId(ByteView input);

// Frees the codec contexts kept between calls for reuse (a zstd context sized for a large
// directory holds ~0.6 MB). A backup calls it once its tree is stored, before its final flush.
void ReleaseIdleContexts();

}  // namespace ferry::compression
