#include "maintenance/content_rewrite.h"

#include <map>
#include <set>
#include <vector>

namespace ferry::maintenance {

namespace {
constexpr int64_t kShortPackThresholdPercent = 60;
constexpr int64_t kFlushEvery = 50'000;
}

Result<RewriteResult> RewriteShortPacks(const TaskContext& ctx, const std::string& pack_prefix) {
  content::ContentManager* contents = ctx.repository->contents();
  RewriteResult result;
  const int64_t threshold = contents->format().max_pack_size * kShortPackThresholdPercent / 100;

  // Pass 1: live bytes per pack. One entry per pack, not per content.
  std::map<std::string, int64_t> pack_bytes;
  std::string last_pack;
  int64_t* last_bytes = nullptr;
  FERRY_RETURN_IF_ERROR(contents->IterateContents(true, [&](const content::ContentInfo& ci) -> Status {
    if (!ci.pack_blob_id.starts_with(pack_prefix)) return Status::OK();
    if (ci.pack_blob_id != last_pack || !last_bytes) {
      last_pack = ci.pack_blob_id;
      last_bytes = &pack_bytes[last_pack];
    }
    *last_bytes += ci.packed_length;
    return Status::OK();
  }));
  std::map<char, std::vector<std::string>> short_by_prefix;
  for (const auto& [pack, bytes] : pack_bytes) {
    if (bytes < threshold) short_by_prefix[pack[0]].push_back(pack);
  }
  std::set<std::string> to_rewrite;
  for (auto& [prefix, packs] : short_by_prefix) {
    if (packs.size() < 2) continue;  // one short pack per prefix is where new writes go
    to_rewrite.insert(packs.begin(), packs.end());
  }
  result.short_packs = int64_t(to_rewrite.size());
  if (to_rewrite.empty()) return result;

  // Pass 2: copy their contents. IDs first, so the iteration does not see our own rewrites.
  std::vector<content::ContentId> ids;
  const int64_t now_ns = ctx.NowNanos();
  FERRY_RETURN_IF_ERROR(contents->IterateContents(true, [&](const content::ContentInfo& ci) -> Status {
    if (!to_rewrite.count(ci.pack_blob_id)) return Status::OK();
    if (now_ns - ci.timestamp * kNanosPerSecond < ctx.safety.rewrite_min_age_ns) {
      result.retained++;
      return Status::OK();
    }
    ids.push_back(ci.id);
    return Status::OK();
  }));
  for (const auto& id : ids) {
    FERRY_RETURN_IF_ERROR(contents->RewriteContent(id).WithContext("rewriting content " + id.ToString()));
    // Index the copies in batches: pending entries cost ~300 bytes each until flushed.
    if (++result.rewritten % kFlushEvery == 0) FERRY_RETURN_IF_ERROR(contents->Flush());
  }
  FERRY_RETURN_IF_ERROR(contents->Flush());
  ctx.Note("Rewrote " + std::to_string(result.rewritten) + " contents from " + std::to_string(result.short_packs) +
           " short packs (" + std::to_string(result.retained) + " too recent to move).");
  return result;
}

}  // namespace ferry::maintenance
