// zstd via libzstd. Kopia's four zstd names map to ferry parameter sets chosen by measurement on
// the 64 MiB benchmark text (docs/compression.md); the frames are standard zstd frames with the
// content size and an XXH64 checksum, which any zstd decoder (kopia's included) reads.
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_LDM_HASHLOG_MIN
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "compression/codecs.h"

namespace ferry::compression::internal {
namespace {

// Contexts are expensive to create (they own the match-finder tables and block buffers, ~0.6
// MB for a directory, more for data), so they are reused: from a pool shared by all threads
// rather than one per thread, because most threads compress only now and then (a backup's
// file workers each finish a directory from time to time: a context per thread cost ~1.1 MB
// more at peak). Busy threads each take one; at most max_idle_ wait between uses.
template <typename Ctx, Ctx* (*kCreate)(), size_t (*kFree)(Ctx*)>
class ContextPool {
 public:
  struct Deleter {
    void operator()(Ctx* c) const { kFree(c); }
  };
  using Handle = std::unique_ptr<Ctx, Deleter>;

  static ContextPool& Instance() {
    static ContextPool* pool = new ContextPool();  // never destroyed: threads may outlive statics
    return *pool;
  }

  Handle Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        Handle h = std::move(idle_.back());
        idle_.pop_back();
        return h;
      }
    }
    return Handle(kCreate());
  }

  void Give(Handle h) {
    if (!h) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(h));
  }

  void ReleaseIdle() {
    std::vector<Handle> idle;
    std::lock_guard<std::mutex> lock(mu_);
    idle.swap(idle_);
  }

 private:
  // One per hardware thread at least: with more workers than kept contexts, every chunk would
  // create (and page-fault) a context again.
  const size_t max_idle_ = std::max<size_t>(8, std::thread::hardware_concurrency());
  std::mutex mu_;
  std::vector<Handle> idle_;
};

using CCtxPool = ContextPool<ZSTD_CCtx, ZSTD_createCCtx, ZSTD_freeCCtx>;
using DCtxPool = ContextPool<ZSTD_DCtx, ZSTD_createDCtx, ZSTD_freeDCtx>;

// A context borrowed for one call.
template <typename Pool>
class Borrowed {
 public:
  Borrowed() : handle_(Pool::Instance().Take()) {}
  ~Borrowed() { Pool::Instance().Give(std::move(handle_)); }
  Borrowed(const Borrowed&) = delete;
  Borrowed& operator=(const Borrowed&) = delete;
  auto* get() const { return handle_.get(); }

 private:
  typename Pool::Handle handle_;
};

struct Param {
  ZSTD_cParameter name;
  int value;
};

// A profile: a base level, parameters applied on top of it, and long-distance matching (LDM).
// libzstd shrinks the window and the match-finder tables for inputs smaller than them, so small
// contents (directories, manifests) stay cheap; ferry scales the LDM table the same way.
struct Profile {
  int level;
  std::vector<Param> params;
  bool ldm;
  int ldm_max_hash_log;
  int ldm_min_match;
  int ldm_hash_rate_log;
  int ldm_bucket_size_log;
};

// Why these values (measurements in docs/compression.md, on kopia's 64 MiB benchmark text):
//  * Every profile uses an 8 MiB window (windowLog 23), the window of kopia's `zstd` (klauspost
//    uses 4, 8, 16 and 32 MiB for its four levels): repeats further back than libzstd's default
//    2 MiB are common in backups (logs, text), and a reader never needs more memory for ferry's
//    frames than for kopia's default ones.
//  * kFastest: libzstd's single-table fast matcher with a 2^17 table and 7-byte minimum match
//    (level 1 uses 2^13 and 6: too small a table to remember text lines more than a few tens of
//    KiB back).
//  * kDefault ("zstd"): the double-fast matcher with a 2^18 long-match table, a tiny short-match
//    table and 7-byte matches: the fastest setting measured that also beats kopia's ratio.
//  * kBetter / kBest: lazy matchers (levels 5 and 12) plus LDM, which finds long repeats (whole
//    lines, records, duplicated blocks) anywhere in the window at a fraction of the cost of a
//    deeper search; LDM is what makes level 12 both faster and smaller than level 12 alone.
const Profile& ProfileFor(ZstdProfile p) {
  static const Profile kFastestProfile{
      1, {{ZSTD_c_windowLog, 23}, {ZSTD_c_hashLog, 17}, {ZSTD_c_minMatch, 7}}, false, 0, 0, 0, 0};
  static const Profile kDefaultProfile{2,
                                       {{ZSTD_c_strategy, ZSTD_dfast},
                                        {ZSTD_c_windowLog, 23},
                                        {ZSTD_c_hashLog, 18},
                                        {ZSTD_c_chainLog, 8},
                                        {ZSTD_c_minMatch, 7}},
                                       false,
                                       0,
                                       0,
                                       0,
                                       0};
  static const Profile kBetterProfile{5, {{ZSTD_c_windowLog, 23}}, true, 20, 32, 4, 1};
  static const Profile kBestProfile{12, {{ZSTD_c_windowLog, 23}}, true, 21, 24, 3, 2};
  switch (p) {
    case ZstdProfile::kFastest:
      return kFastestProfile;
    case ZstdProfile::kDefault:
      return kDefaultProfile;
    case ZstdProfile::kBetter:
      return kBetterProfile;
    case ZstdProfile::kBest:
      return kBestProfile;
  }
  return kDefaultProfile;
}

// LDM's hash table is reset for every frame; size it to the input (about one entry per 8 input
// bytes, capped) so that a 4 KiB directory does not pay for clearing megabytes.
int LdmHashLog(const Profile& p, size_t input_size) {
  int log2 = 0;
  while (log2 < 40 && (size_t{1} << log2) < input_size) ++log2;
  return std::clamp(log2 - 3, ZSTD_LDM_HASHLOG_MIN, p.ldm_max_hash_log);
}

// libzstd caps a match-finder table only at the (input-sized) window, so a 140 KB directory
// still gets the 2^17-entry table of a 4 MiB chunk: a 1 MB context per thread that compresses
// directories, where 2^14 entries (one per 8 input bytes) make a 0.58 MB one that compresses
// directory JSON as well or better. Tables are capped at one entry per 16 input bytes, so only
// inputs under 2 MiB change (their compressed bytes, never their content IDs).
int CappedHashLog(int hash_log, size_t input_size) {
  int log2 = 0;
  while (log2 < 40 && (size_t{1} << log2) < input_size) ++log2;
  return std::min(hash_log, std::max(ZSTD_HASHLOG_MIN + 6, log2 - 4));
}

// The window of metadata (compression.h's Payload::kMetadata): the block size follows the
// window below 128 KiB, and the context's sequence buffers follow the block size.
constexpr int kSmallWindowLog = 16;

Status SetParameters(ZSTD_CCtx* cctx, const Profile& prof, size_t input_size, bool small_window) {
  std::vector<Param> params = {{ZSTD_c_compressionLevel, prof.level}, {ZSTD_c_checksumFlag, 1}};
  params.insert(params.end(), prof.params.begin(), prof.params.end());
  for (Param& param : params) {
    if (param.name == ZSTD_c_hashLog) param.value = CappedHashLog(param.value, input_size);
    if (param.name == ZSTD_c_windowLog && small_window) param.value = std::min(param.value, kSmallWindowLog);
  }
  if (prof.ldm) {
    params.push_back({ZSTD_c_enableLongDistanceMatching, 1});
    params.push_back({ZSTD_c_ldmHashLog, LdmHashLog(prof, input_size)});
    params.push_back({ZSTD_c_ldmMinMatch, prof.ldm_min_match});
    params.push_back({ZSTD_c_ldmHashRateLog, prof.ldm_hash_rate_log});
    params.push_back({ZSTD_c_ldmBucketSizeLog, prof.ldm_bucket_size_log});
  }
  for (const Param& param : params) {
    const size_t rc = ZSTD_CCtx_setParameter(cctx, param.name, param.value);
    if (ZSTD_isError(rc)) {
      return Status::Internal(std::string("zstd: bad parameter: ") + ZSTD_getErrorName(rc));
    }
  }
  return Status::OK();
}

Status ZstdError(const char* what, size_t code) {
  return Status::Corruption(std::string("zstd: ") + what + ": " + ZSTD_getErrorName(code));
}

}  // namespace

void ZstdReleaseIdleContexts() {
  CCtxPool::Instance().ReleaseIdle();
  DCtxPool::Instance().ReleaseIdle();
}

Status ZstdCompress(ZstdProfile profile, ByteView input, Bytes* out, bool small_window) {
  Borrowed<CCtxPool> borrowed;
  ZSTD_CCtx* cctx = borrowed.get();
  if (cctx == nullptr) return Status::Internal("zstd: cannot allocate a compression context");
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  FERRY_RETURN_IF_ERROR(SetParameters(cctx, ProfileFor(profile), input.size(), small_window));

  const size_t start = out->size();
  out->resize(start + ZSTD_compressBound(input.size()));
  const size_t rc =
      ZSTD_compress2(cctx, out->data() + start, out->size() - start, input.data(), input.size());
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

  Borrowed<DCtxPool> borrowed;
  ZSTD_DCtx* dctx = borrowed.get();
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
  size_t last = 1;  // libzstd's hint: 0 exactly when a frame is complete and fully flushed
  out->resize(start + capacity);
  while (true) {
    // A frame just ended exactly where the input does: done (asking libzstd again would only
    // report the size of a next frame header that does not exist).
    if (last == 0 && in.pos == in.size) break;
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
