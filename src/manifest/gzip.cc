#include "manifest/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <string>

namespace ferry::manifest {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper

}  // namespace

Result<Bytes> GzipCompress(ByteView data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("deflateInit2 failed");
  }
  Bytes out(deflateBound(&z, static_cast<uLong>(data.size())));
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);  // deflateBound guarantees one call suffices
  size_t produced = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::Internal("gzip compression failed: " + std::to_string(rc));
  out.resize(produced);
  return out;
}

Result<Bytes> GzipDecompress(ByteView data, size_t max_output) {
  Bytes out;
  if (data.empty()) return Status::Corruption("gzip: empty input");
  size_t pos = 0;
  while (pos < data.size()) {
    z_stream z{};
    if (inflateInit2(&z, kGzipWindowBits) != Z_OK) return Status::Internal("inflateInit2 failed");
    z.next_in = const_cast<Bytef*>(data.data() + pos);
    z.avail_in = static_cast<uInt>(data.size() - pos);
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      size_t old = out.size();
      size_t grow = std::min(std::max<size_t>(4096, old), max_output - old);
      if (grow == 0) {
        inflateEnd(&z);
        return Status::Corruption("gzip: output exceeds " + std::to_string(max_output) +
                                  " bytes");
      }
      out.resize(old + grow);
      z.next_out = out.data() + old;
      z.avail_out = static_cast<uInt>(grow);
      rc = inflate(&z, Z_NO_FLUSH);
      out.resize(old + grow - z.avail_out);
      if (rc == Z_STREAM_END) break;
      if (rc == Z_BUF_ERROR && z.avail_in == 0) {
        inflateEnd(&z);
        return Status::Corruption("gzip: truncated stream");
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        std::string msg = z.msg != nullptr ? z.msg : std::to_string(rc);
        inflateEnd(&z);
        return Status::Corruption("gzip: " + msg);
      }
    }
    pos = data.size() - z.avail_in;
    inflateEnd(&z);
  }
  return out;
}

}  // namespace ferry::manifest
