// The stream codecs behind compression.h, one family per file. Internal to the compression layer
// (tests may use them directly). Every function appends to *out and never reads outside `input`;
// decoders refuse to append more than `max_output` bytes and report damaged or truncated
// input as Status::Corruption.
#pragma once

#include <cstddef>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::compression::internal {

// zstd (codec_zstd.cc). `profile` selects ferry's parameters for kopia's four zstd names.
enum class ZstdProfile { kFastest, kDefault, kBetter, kBest };
// small_window: a 64 KiB window (metadata, see compression.h's Payload).
Status ZstdCompress(ZstdProfile profile, ByteView input, Bytes* out, bool small_window = false);
// Accepts any number of concatenated frames (and skippable frames); an empty stream is valid
// (kopia's zstd writer emits nothing at all for empty input).
Status ZstdDecompress(ByteView input, Bytes* out, size_t max_output);
// Frees the contexts kept for reuse.
void ZstdReleaseIdleContexts();

// gzip (RFC 1952) and raw deflate (RFC 1951) via zlib (codec_zlib.cc). `level` is zlib's 1..9.
Status GzipCompress(int level, ByteView input, Bytes* out);
Status DeflateCompress(int level, ByteView input, Bytes* out);
// Accepts multi-member gzip; trailing bytes that are not a gzip member are an error.
Status GzipDecompress(ByteView input, Bytes* out, size_t max_output);
// Exactly one raw deflate stream; bytes after its final block are an error.
Status DeflateDecompress(ByteView input, Bytes* out, size_t max_output);

// Snappy/S2 framed streams (codec_s2.cc). The writer emits the Snappy-compatible subset of S2
// (see docs/compression.md); the reader accepts the full S2 block format.
Status S2Compress(ByteView input, Bytes* out);
Status S2Decompress(ByteView input, Bytes* out, size_t max_output);

// LZ4 frame format (codec_lz4.cc), read-only: kopia HEAD can no longer read LZ4.
Status Lz4Decompress(ByteView input, Bytes* out, size_t max_output);

// Shared by the decoders: the error for output that would exceed max_output.
Status OutputTooLarge(size_t max_output);

// Where a decoder starts its output buffer: the stream's own size hint (`hint`, e.g. a declared
// content size), capped at `limit` and at 32x the input (at least 64 KiB), so a lying header
// cannot make ferry allocate much up front. The buffer still grows, up to the limit, when the
// data really expands that far.
size_t InitialCapacity(size_t hint, size_t input_size, size_t limit);

}  // namespace ferry::compression::internal
