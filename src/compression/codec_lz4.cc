// LZ4 frame format via liblz4's frame API, read-only. Kopia ≤ v0.22.3 wrote header 0x1400 with
// pierrec/lz4 v2 (frame magic 0x184D2204, independent 4 MiB blocks, content checksum); HEAD can
// no longer read it, so ferry reads such contents but never writes them.
#include <lz4frame.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "compression/codecs.h"

namespace ferry::compression::internal {
namespace {

struct DCtxDeleter {
  void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

Status Corrupt(const std::string& what) { return Status::Corruption("lz4: " + what); }

}  // namespace

Status Lz4Decompress(ByteView input, Bytes* out, size_t max_output) {
  const size_t start = out->size();
  if (input.empty()) return Corrupt("empty stream");

  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
    return Status::Internal("lz4: cannot allocate a decompression context");
  }
  std::unique_ptr<LZ4F_dctx, DCtxDeleter> dctx(raw);

  const size_t limit = max_output == SIZE_MAX ? max_output : max_output + 1;
  size_t capacity = InitialCapacity(input.size() * 4, input.size(), limit);
  size_t in_pos = 0;
  size_t produced = 0;
  size_t hint = 1;  // liblz4's "bytes still expected"; 0 exactly at the end of a frame
  Status status;
  out->resize(start + capacity);
  while (true) {
    // A frame just ended exactly where the input does: done (asking liblz4 again would only
    // report the size of a next frame header that does not exist).
    if (hint == 0 && in_pos == input.size()) break;
    if (produced == capacity) {
      if (capacity >= limit) break;
      capacity = std::min(limit, std::max(capacity * 2, size_t{64} << 10));
      out->resize(start + capacity);
    }
    size_t out_size = capacity - produced;
    size_t in_size = input.size() - in_pos;
    hint = LZ4F_decompress(dctx.get(), out->data() + start + produced, &out_size,
                           input.data() + in_pos, &in_size, nullptr);
    if (LZ4F_isError(hint)) {
      status = Corrupt(LZ4F_getErrorName(hint));
      break;
    }
    in_pos += in_size;
    produced += out_size;
    if (in_size == 0 && out_size == 0 && in_pos < input.size() && produced < capacity) {
      status = Corrupt("decoder made no progress");
      break;
    }
    // Finished when all input is consumed and liblz4 left output room (nothing pending).
    if (in_pos == input.size() && produced < capacity) break;
  }
  if (status.ok() && produced > max_output) status = OutputTooLarge(max_output);
  if (status.ok() && hint != 0) status = Corrupt("truncated frame");
  if (!status.ok()) {
    out->resize(start);
    return status;
  }
  out->resize(start + produced);
  return Status::OK();
}

}  // namespace ferry::compression::internal
