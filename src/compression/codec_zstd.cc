// zstd via libzstd. Kopia's four zstd names map to ferry parameter sets chosen by measurement on
// the 64 MiB benchmark text (docs/compression.md); the frames are standard zstd frames with the
// content size and an XXH64 checksum, which any zstd decoder (kopia's included) reads.

#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "compression/codecs.h"

namespace ferry::compression::internal {
namespace {

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// Contexts are expensive to create (they own the match-finder tables); keep one per thread.
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

struct Param {
  ZSTD_cParameter name;
  int value;
};

// The parameters per profile, applied on top of a base level. libzstd shrinks the window and the
// tables for inputs smaller than them, so small contents (directories, manifests) stay cheap.
struct Profile {
  int level;
  Param params[6];
  size_t count;
};

// Why these values (measurements in docs/compression.md):
//  * kopia's zstd writer (klauspost) uses an 8 MiB window at every level, so ferry does too:
//    windowLog 23. Repeated content further back than libzstd's default 2 MiB is common in
//    backups (logs, text), and the decoder needs nothing more than kopia's writer already asks.
//  * kDefault ("zstd"): libzstd's double-fast matcher with a 2^18-entry long-match table, a small
//    short-match table and minMatch 7: the fastest setting measured that also beats kopia's ratio.
//  * kFastest: the single-table fast matcher with a 2^16 table (libzstd level 1 uses 2^13, too
//    small to remember text lines a few hundred KiB back).
//  * kBetter / kBest: long-distance matching on top of a lazy matcher.
const Profile& ProfileFor(ZstdProfile p) {
  static const Profile kFastestProfile{
      1, {{ZSTD_c_windowLog, 23}, {ZSTD_c_hashLog, 16}, {ZSTD_c_minMatch, 6}}, 3};
  static const Profile kDefaultProfile{2,
                                       {{ZSTD_c_strategy, ZSTD_dfast},
                                        {ZSTD_c_windowLog, 23},
                                        {ZSTD_c_hashLog, 18},
                                        {ZSTD_c_chainLog, 8},
                                        {ZSTD_c_minMatch, 7}},
                                       5};
  static const Profile kBetterProfile{
      5, {{ZSTD_c_windowLog, 23}, {ZSTD_c_enableLongDistanceMatching, 1}, {ZSTD_c_ldmHashLog, 20},
          {ZSTD_c_ldmMinMatch, 32}}, 4};
  static const Profile kBestProfile{
      12, {{ZSTD_c_windowLog, 23}, {ZSTD_c_enableLongDistanceMatching, 1}, {ZSTD_c_ldmHashLog, 20},
           {ZSTD_c_ldmMinMatch, 32}}, 4};
  switch (p) {
    case ZstdProfile::kFastest: return kFastestProfile;
    case ZstdProfile::kDefault: return kDefaultProfile;
    case ZstdProfile::kBetter: return kBetterProfile;
    case ZstdProfile::kBest: return kBestProfile;
  }
  return kDefaultProfile;
}

Status ZstdError(const char* what, size_t code) {
  return Status::Corruption(std::string("zstd: ") + what + ": " + ZSTD_getErrorName(code));
}

}  // namespace

Status ZstdCompress(ZstdProfile profile, ByteView input, Bytes* out) {
  ZSTD_CCtx* cctx = ThreadCCtx();
  if (cctx == nullptr) return Status::Internal("zstd: cannot allocate a compression context");
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  const Profile& prof = ProfileFor(profile);
  size_t rc = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, prof.level);
  if (!ZSTD_isError(rc)) rc = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  for (size_t i = 0; i < prof.count && !ZSTD_isError(rc); ++i) {
    rc = ZSTD_CCtx_setParameter(cctx, prof.params[i].name, prof.params[i].value);
  }
  if (ZSTD_isError(rc)) {
    return Status::Internal(std::string("zstd: bad parameter: ") + ZSTD_getErrorName(rc));
  }

  const size_t start = out->size();
  out->resize(start + ZSTD_compressBound(input.size()));
  rc = ZSTD_compress2(cctx, out->data() + start, out->size() - start, input.data(), input.size());
  if (ZSTD_isError(rc)) {
    out->resize(start);
    return Status::Internal(std::string("zstd: compression failed: ") + ZSTD_getErrorName(rc));
  }
  out->resize(start + rc);
  return Status::OK();
}

Status ZstdDecompress(ByteView input, Bytes* out, size_t max_output) {
  const size_t start = out->size();
  if (input.empty()) return Status::OK();

  ZSTD_DCtx* dctx = ThreadDCtx();
  if (dctx == nullptr) return Status::Internal("zstd: cannot allocate a decompression context");
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);

  // One byte of room beyond the limit tells "exactly max_output" apart from "more".
  const size_t limit = max_output == SIZE_MAX ? max_output : max_output + 1;
  // The first frame's declared content size is a hint only (it may lie).
  size_t hint = input.size() * 4;
  const unsigned long long declared = ZSTD_getFrameContentSize(input.data(), input.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    hint = static_cast<size_t>(std::min<unsigned long long>(declared, SIZE_MAX - 1)) + 1;
  }
  size_t capacity = InitialCapacity(hint, input.size(), limit);

  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t produced = 0;
  size_t last = 0;
  out->resize(start + capacity);
  while (true) {
    if (produced == capacity) {
      if (capacity >= limit) break;
      capacity = std::min(limit, std::max(capacity * 2, size_t{64} << 10));
      out->resize(start + capacity);
    }
    ZSTD_outBuffer o{out->data() + start, capacity, produced};
    last = ZSTD_decompressStream(dctx, &o, &in);
    if (ZSTD_isError(last)) {
      out->resize(start);
      return ZstdError("corrupt stream", last);
    }
    produced = o.pos;
    // Done when every input byte is consumed and the decoder had room left (nothing pending).
    if (in.pos == in.size && o.pos < o.size) break;
  }
  if (produced > max_output) {
    out->resize(start);
    return OutputTooLarge(max_output);
  }
  if (last != 0) {
    out->resize(start);
    return Status::Corruption("zstd: truncated frame");
  }
  out->resize(start + produced);
  return Status::OK();
}

}  // namespace ferry::compression::internal
