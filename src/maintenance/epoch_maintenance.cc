#include "maintenance/epoch_maintenance.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "content/epoch_manager.h"

namespace ferry::maintenance {

namespace {

// The x-blob listing sorted into what the cleanup rules need.
struct EpochListing {
  content::IndexBlobSet set;
  std::map<int64_t, std::vector<blob::BlobMetadata>> xn;        // by epoch
  std::map<int64_t, std::vector<blob::BlobMetadata>> xs_complete;  // first complete set per epoch
  int64_t last_range_end = -1;  // highest B of the xr ranges the reader uses
};

int64_t ParseNumber(std::string_view s) {
  int64_t v = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : -1;
}

Result<EpochListing> List(const TaskContext& ctx) {
  EpochListing l;
  FERRY_ASSIGN_OR_RETURN(auto blobs, ctx.repository->storage()->ListAllBlobs("x"));
  l.set = content::AssembleIndexBlobSet(blobs);
  std::map<int64_t, std::map<std::string, std::vector<blob::BlobMetadata>>> xs_sets;
  for (const auto& b : blobs) {
    if (b.id.starts_with("xn")) {
      int64_t e = content::EpochOfBlobId(b.id);
      if (e >= 0) l.xn[e].push_back(b);
    } else if (b.id.starts_with("xs")) {
      int64_t e = content::EpochOfBlobId(b.id);
      if (e < 0 || l.xs_complete.count(e)) continue;
      auto key = content::CompleteSetOf(b.id);
      auto& members = xs_sets[e][key.set_id];
      members.push_back(b);
      if (int64_t(members.size()) == key.count) l.xs_complete[e] = members;
    }
  }
  for (const auto& b : l.set.active) {
    if (!b.id.starts_with("xr")) continue;
    std::string_view rest = std::string_view(b.id).substr(2);
    size_t u1 = rest.find('_');
    size_t u2 = u1 == std::string_view::npos ? u1 : rest.find('_', u1 + 1);
    if (u2 == std::string_view::npos) continue;
    l.last_range_end = std::max(l.last_range_end, ParseNumber(rest.substr(u1 + 1, u2 - u1 - 1)));
  }
  return l;
}

std::vector<std::string> Ids(const std::vector<blob::BlobMetadata>& blobs) {
  std::vector<std::string> ids;
  for (const auto& b : blobs) ids.push_back(b.id);
  return ids;
}

// Newest xn timestamp: the "storage clock" the cleanup margins are measured against.
int64_t MaxCleanupTime(const EpochListing& l) {
  int64_t t = 0;
  for (const auto& [e, blobs] : l.xn) {
    for (const auto& b : blobs) t = std::max(t, b.timestamp_unix_nanos);
  }
  return t;
}

}  // namespace

Status CompactSingleEpoch(const TaskContext& ctx, EpochResult* result) {
  FERRY_ASSIGN_OR_RETURN(EpochListing l, List(ctx));
  const int64_t last_settled = l.set.write_epoch - 2;
  for (const auto& [epoch, blobs] : l.set.uncompacted) {
    if (epoch > last_settled) break;
    if (epoch <= l.last_range_end || l.xs_complete.count(epoch) || blobs.empty()) continue;
    FERRY_ASSIGN_OR_RETURN(std::string id, ctx.repository->contents()->CompactIndexBlobs(
                                               Ids(blobs), "xs" + std::to_string(epoch) + "_"));
    result->compacted_blobs += int64_t(blobs.size());
    ctx.Note("Compacted " + std::to_string(blobs.size()) + " index blobs of epoch " + std::to_string(epoch) +
             " into " + id + ".");
    return Status::OK();  // one epoch per run, as kopia
  }
  return Status::OK();
}

Status AdvanceEpoch(const TaskContext& ctx, EpochResult* result) {
  FERRY_ASSIGN_OR_RETURN(EpochListing l, List(ctx));
  content::EpochManager epochs(ctx.repository->storage(), ctx.repository->config().epoch);
  FERRY_ASSIGN_OR_RETURN(bool advanced, epochs.MaybeAdvance(l.set));
  if (advanced) {
    result->advanced = true;
    ctx.Note("Advanced the index epoch to " + std::to_string(l.set.write_epoch + 1) + ".");
  }
  return Status::OK();
}

Status GenerateRangeCheckpoint(const TaskContext& ctx, EpochResult* result) {
  FERRY_ASSIGN_OR_RETURN(EpochListing l, List(ctx));
  const int64_t last_settled = l.set.write_epoch - 2;
  if (last_settled < 0) return Status::OK();
  const int64_t first = l.last_range_end + 1;
  if (last_settled - first < ctx.repository->config().epoch.full_checkpoint_frequency) return Status::OK();
  // The complete index for epochs first..last_settled: their xs set where it exists, else xn.
  std::vector<std::string> ids;
  for (int64_t e = first; e <= last_settled; ++e) {
    auto xs = l.xs_complete.find(e);
    if (xs != l.xs_complete.end()) {
      for (const auto& b : xs->second) ids.push_back(b.id);
    } else if (auto xn = l.xn.find(e); xn != l.xn.end()) {
      for (const auto& b : xn->second) ids.push_back(b.id);
    }
  }
  if (ids.empty()) return Status::OK();
  std::string prefix = "xr" + std::to_string(first) + "_" + std::to_string(last_settled) + "_";
  FERRY_ASSIGN_OR_RETURN(std::string id, ctx.repository->contents()->CompactIndexBlobs(ids, prefix));
  result->compacted_blobs += int64_t(ids.size());
  ctx.Note("Wrote range checkpoint " + id + " for epochs " + std::to_string(first) + ".." +
           std::to_string(last_settled) + ".");
  return Status::OK();
}

Status CleanupEpochMarkers(const TaskContext& ctx, EpochResult* result) {
  FERRY_ASSIGN_OR_RETURN(EpochListing l, List(ctx));
  const int64_t max_time = MaxCleanupTime(l);
  if (max_time == 0) return Status::OK();
  const int64_t max_replacement = max_time - ctx.repository->config().epoch.cleanup_safety_margin_ns;
  blob::Storage* storage = ctx.repository->storage();
  for (const auto& b : l.set.epoch_markers) {
    if (ParseNumber(std::string_view(b.id).substr(2)) < l.set.write_epoch - 1) {
      FERRY_RETURN_IF_ERROR(storage->DeleteBlob(b.id));
      result->deleted_blobs++;
    }
  }
  for (const auto& b : l.set.watermarks) {
    if (ParseNumber(std::string_view(b.id).substr(2)) == l.set.deletion_watermark) continue;
    if (b.timestamp_unix_nanos < max_replacement) {
      FERRY_RETURN_IF_ERROR(storage->DeleteBlob(b.id));
      result->deleted_blobs++;
    }
  }
  return Status::OK();
}

Status CleanupSupersededIndexes(const TaskContext& ctx, EpochResult* result) {
  FERRY_ASSIGN_OR_RETURN(EpochListing l, List(ctx));
  const int64_t max_time = MaxCleanupTime(l);
  if (max_time == 0) return Status::OK();
  const int64_t max_replacement = max_time - ctx.repository->config().epoch.cleanup_safety_margin_ns;
  int64_t deleted = 0;
  for (const auto& [epoch, blobs] : l.xn) {
    auto xs = l.xs_complete.find(epoch);
    if (xs == l.xs_complete.end()) continue;
    int64_t written = 0;
    for (const auto& b : xs->second) written = std::max(written, b.timestamp_unix_nanos);
    if (written == 0 || written >= max_replacement) continue;
    for (const auto& b : blobs) {
      FERRY_RETURN_IF_ERROR(ctx.repository->storage()->DeleteBlob(b.id));
      deleted++;
    }
  }
  result->deleted_blobs += deleted;
  if (deleted) ctx.Note("Deleted " + std::to_string(deleted) + " superseded index blobs.");
  return Status::OK();
}

Result<bool> AdvanceDeletionWatermark(const TaskContext& ctx, int64_t unix_seconds) {
  content::EpochManager epochs(ctx.repository->storage(), ctx.repository->config().epoch);
  FERRY_ASSIGN_OR_RETURN(bool advanced, epochs.AdvanceDeletionWatermark(unix_seconds));
  FERRY_RETURN_IF_ERROR(ctx.repository->contents()->Refresh());
  return advanced;
}

}  // namespace ferry::maintenance
