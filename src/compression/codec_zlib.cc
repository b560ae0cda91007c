// gzip (kopia's gzip and pgzip families) and raw deflate via zlib. Go's compress/gzip and
// klauspost's pgzip both produce standard RFC 1952 members, and klauspost's flate a standard
// RFC 1951 stream, so zlib reads everything kopia writes; what zlib writes, Go reads.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "compression/codecs.h"

namespace ferry::compression::internal {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper
constexpr int kRawWindowBits = -15;       // 32 KiB window, no wrapper
// zlib counts in 32-bit uInt; feed and drain it in pieces no larger than this.
constexpr size_t kMaxStep = size_t{1} << 30;

// zlib streams allocate a few hundred KiB each; keep them per thread and reset them between
// uses instead of paying malloc/mmap and page faults for every small content.
class StreamCache {
 public:
  ~StreamCache() {
    for (auto& z : deflaters_) {
      if (z != nullptr) deflateEnd(z.get());
    }
    for (auto& z : inflaters_) {
      if (z != nullptr) inflateEnd(z.get());
    }
  }
  // index: level (1..9) for gzip, 10 + level for raw.
  z_stream* Deflater(int level, int window_bits) {
    const size_t i = static_cast<size_t>(level + (window_bits < 0 ? 10 : 0));
    if (i >= deflaters_.size()) return nullptr;
    auto& z = deflaters_[i];
    if (z == nullptr) {
      auto fresh = std::make_unique<z_stream>();
      if (deflateInit2(fresh.get(), level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK) {
        return nullptr;
      }
      z = std::move(fresh);
    } else if (deflateReset(z.get()) != Z_OK) {
      return nullptr;
    }
    return z.get();
  }
  z_stream* Inflater(bool gzip) {
    auto& z = inflaters_[gzip ? 0 : 1];
    if (z == nullptr) {
      auto fresh = std::make_unique<z_stream>();
      if (inflateInit2(fresh.get(), gzip ? kGzipWindowBits : kRawWindowBits) != Z_OK)
        return nullptr;
      z = std::move(fresh);
    } else if (inflateReset(z.get()) != Z_OK) {
      return nullptr;
    }
    return z.get();
  }

 private:
  std::array<std::unique_ptr<z_stream>, 20> deflaters_;
  std::array<std::unique_ptr<z_stream>, 2> inflaters_;
};

StreamCache& Streams() {
  thread_local StreamCache cache;
  return cache;
}

Status Compress(int level, int window_bits, ByteView input, Bytes* out) {
  z_stream* z = Streams().Deflater(level, window_bits);
  if (z == nullptr)
    return Status::Internal("zlib: cannot initialize deflate at level " + std::to_string(level));
  const size_t start = out->size();
  size_t in_pos = 0;
  size_t produced = 0;
  // deflateBound is an upper bound for a single-pass compression; the loop only guards the
  // general case.
  out->resize(start + deflateBound(z, static_cast<uLong>(input.size())));
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (produced == out->size() - start)
      out->resize(out->size() + std::max<size_t>(produced / 2, 4096));
    const size_t in_step = std::min(input.size() - in_pos, kMaxStep);
    const size_t out_step = std::min(out->size() - start - produced, kMaxStep);
    z->next_in = const_cast<Bytef*>(input.data() + in_pos);
    z->avail_in = static_cast<uInt>(in_step);
    z->next_out = out->data() + start + produced;
    z->avail_out = static_cast<uInt>(out_step);
    const int flush = in_pos + in_step == input.size() ? Z_FINISH : Z_NO_FLUSH;
    rc = deflate(z, flush);
    in_pos += in_step - z->avail_in;
    produced += out_step - z->avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      out->resize(start);
      return Status::Internal("zlib: deflate failed");
    }
  }
  out->resize(start + produced);
  return Status::OK();
}

// Inflates input into *out. With gzip, further members may follow each other (like Go's
// multistream reader); anything after the last member must itself be a member.
Status Decompress(bool gzip, ByteView input, Bytes* out, size_t max_output) {
  const char* name = gzip ? "gzip" : "deflate";
  auto corrupt = [name](const char* what) {
    return Status::Corruption(std::string(name) + ": " + what);
  };
  const size_t start = out->size();
  if (input.empty()) return corrupt("empty stream");

  z_stream* z = Streams().Inflater(gzip);
  if (z == nullptr) return Status::Internal("zlib: cannot initialize inflate");
  // Guess the output size: gzip's trailer holds the last member's size mod 2^32.
  size_t hint = input.size() * 4;
  if (gzip && input.size() >= 18) {
    const uint8_t* t = input.data() + input.size() - 4;
    hint = (static_cast<size_t>(t[0]) | static_cast<size_t>(t[1]) << 8 |
            static_cast<size_t>(t[2]) << 16 | static_cast<size_t>(t[3]) << 24) +
           1;
  }
  const size_t limit = max_output == SIZE_MAX ? max_output : max_output + 1;
  size_t capacity = InitialCapacity(hint, input.size(), limit);

  size_t in_pos = 0;
  size_t produced = 0;
  Status status;
  out->resize(start + capacity);
  while (true) {
    if (produced == capacity) {
      if (capacity >= limit) break;
      capacity = std::min(limit, std::max(capacity * 2, size_t{64} << 10));
      out->resize(start + capacity);
    }
    const size_t in_step = std::min(input.size() - in_pos, kMaxStep);
    const size_t out_step = std::min(capacity - produced, kMaxStep);
    z->next_in = const_cast<Bytef*>(input.data() + in_pos);
    z->avail_in = static_cast<uInt>(in_step);
    z->next_out = out->data() + start + produced;
    z->avail_out = static_cast<uInt>(out_step);
    const int rc = inflate(z, Z_NO_FLUSH);
    in_pos += in_step - z->avail_in;
    produced += out_step - z->avail_out;
    if (rc == Z_STREAM_END) {
      if (in_pos == input.size()) break;  // clean end
      if (!gzip) {
        status = corrupt("data after the final block");
        break;
      }
      inflateReset(z);  // another gzip member follows
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress possible: out of output room (the loop grows it) or out of input.
      if (z->avail_out == 0) continue;
      status = corrupt("truncated stream");
      break;
    }
    if (rc != Z_OK) {
      status = corrupt(z->msg != nullptr ? z->msg : "corrupt stream");
      break;
    }
    if (in_pos == input.size() && z->avail_out != 0) {
      status = corrupt("truncated stream");
      break;
    }
  }
  if (status.ok() && produced > max_output) status = OutputTooLarge(max_output);
  if (!status.ok()) {
    out->resize(start);
    return status;
  }
  out->resize(start + produced);
  return Status::OK();
}

}  // namespace

Status GzipCompress(int level, ByteView input, Bytes* out) {
  return Compress(level, kGzipWindowBits, input, out);
}
Status DeflateCompress(int level, ByteView input, Bytes* out) {
  return Compress(level, kRawWindowBits, input, out);
}
Status GzipDecompress(ByteView input, Bytes* out, size_t max_output) {
  return Decompress(true, input, out, max_output);
}
Status DeflateDecompress(ByteView input, Bytes* out, size_t max_output) {
  return Decompress(false, input, out, max_output);
}

}  // namespace ferry::compression::internal
