#include "content/epoch_manager.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace ferry::content {

namespace {

int64_t ParseDecimal(std::string_view s) {
  int64_t v = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return -1;
  return v;
}

// For each complete set in listing order, the blobs of the first one to complete.
std::vector<blob::BlobMetadata> FirstCompleteSet(const std::vector<blob::BlobMetadata>& blobs) {
  std::map<std::string, std::vector<blob::BlobMetadata>> sets;
  for (const auto& b : blobs) {
    CompleteSetKey k = CompleteSetOf(b.id);
    auto& members = sets[k.set_id];
    members.push_back(b);
    if (int64_t(members.size()) == k.count) return members;
  }
  return {};
}

struct Range {
  int64_t min_epoch;
  int64_t max_epoch;
  std::vector<blob::BlobMetadata> blobs;
};

// The chain of ranges starting at 0 that reaches furthest, preferring fewer ranges.
std::vector<const Range*> BestRangeChain(const std::vector<Range>& ranges) {
  // best[e] = shortest chain covering 0..e-1 (i.e. ending right before epoch e).
  std::map<int64_t, std::vector<const Range*>> best;
  best[0] = {};
  std::vector<const Range*> sorted;
  for (const auto& r : ranges) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const Range* a, const Range* b) { return a->min_epoch < b->min_epoch; });
  for (const Range* r : sorted) {
    auto it = best.find(r->min_epoch);
    if (it == best.end()) continue;
    auto chain = it->second;
    chain.push_back(r);
    auto& slot = best[r->max_epoch + 1];
    if (slot.empty() || chain.size() < slot.size()) slot = chain;
  }
  return best.rbegin()->second;
}

}  // namespace

int64_t EpochOfBlobId(std::string_view blob_id) {
  std::string_view head = blob_id.substr(0, blob_id.find('_'));
  size_t i = 0;
  while (i < head.size() && (head[i] < '0' || head[i] > '9')) ++i;
  if (i == head.size()) return -1;
  return ParseDecimal(head.substr(i));
}

CompleteSetKey CompleteSetOf(std::string_view blob_id) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dash = blob_id.find('-', start);
    parts.push_back(blob_id.substr(start, dash - start));
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  if (parts.size() >= 3 && parts[1].size() > 1 && parts[1][0] == 's' && parts[2].size() > 1 &&
      parts[2][0] == 'c') {
    int64_t count = ParseDecimal(parts[2].substr(1));
    if (count > 0) return {std::string(parts[1]), count};
  }
  return {"single:" + std::string(blob_id), 1};
}

IndexBlobSet AssembleIndexBlobSet(const std::vector<blob::BlobMetadata>& x_blobs) {
  IndexBlobSet set;
  std::map<int64_t, std::vector<blob::BlobMetadata>> xs_by_epoch;
  std::map<std::pair<int64_t, int64_t>, std::vector<blob::BlobMetadata>> xr_by_range;
  std::map<int64_t, std::vector<blob::BlobMetadata>> xn_by_epoch;
  for (const auto& b : x_blobs) {
    std::string_view id = b.id;
    if (id.starts_with("xe")) {
      int64_t e = ParseDecimal(id.substr(2));
      if (e >= 0) {
        set.write_epoch = std::max(set.write_epoch, e);
        set.epoch_markers.push_back(b);
      }
    } else if (id.starts_with("xw")) {
      int64_t t = ParseDecimal(id.substr(2));
      if (t >= 0) {
        set.deletion_watermark = std::max(set.deletion_watermark, t);
        set.watermarks.push_back(b);
      }
    } else if (id.starts_with("xs")) {
      int64_t e = EpochOfBlobId(id);
      if (e >= 0) xs_by_epoch[e].push_back(b);
    } else if (id.starts_with("xr")) {
      // xr<A>_<B>_<hash>-…
      std::string_view rest = id.substr(2);
      size_t u1 = rest.find('_');
      size_t u2 = u1 == std::string_view::npos ? u1 : rest.find('_', u1 + 1);
      if (u2 == std::string_view::npos) continue;
      int64_t a = ParseDecimal(rest.substr(0, u1));
      int64_t z = ParseDecimal(rest.substr(u1 + 1, u2 - u1 - 1));
      if (a >= 0 && z >= a) xr_by_range[{a, z}].push_back(b);
    } else if (id.starts_with("xn")) {
      int64_t e = EpochOfBlobId(id);
      if (e >= 0) xn_by_epoch[e].push_back(b);
    }
  }

  std::map<int64_t, std::vector<blob::BlobMetadata>> single_epoch;
  for (const auto& [e, blobs] : xs_by_epoch) {
    auto complete = FirstCompleteSet(blobs);
    if (!complete.empty()) single_epoch[e] = std::move(complete);
  }
  std::vector<Range> ranges;
  for (const auto& [r, blobs] : xr_by_range) {
    auto complete = FirstCompleteSet(blobs);
    if (!complete.empty()) ranges.push_back({r.first, r.second, std::move(complete)});
  }

  int64_t start = 0;
  std::set<int64_t> covered;
  for (const Range* r : BestRangeChain(ranges)) {
    if (r->max_epoch < start) continue;
    set.active.insert(set.active.end(), r->blobs.begin(), r->blobs.end());
    for (int64_t e = r->min_epoch; e <= r->max_epoch; ++e) covered.insert(e);
    start = r->max_epoch + 1;
  }
  for (int64_t e = start; e <= set.write_epoch + 1; ++e) {
    bool settled = e <= set.write_epoch - 2;
    auto xs = single_epoch.find(e);
    if (settled && xs != single_epoch.end()) {
      set.active.insert(set.active.end(), xs->second.begin(), xs->second.end());
      covered.insert(e);
    } else {
      auto xn = xn_by_epoch.find(e);
      if (xn != xn_by_epoch.end()) {
        set.active.insert(set.active.end(), xn->second.begin(), xn->second.end());
      }
    }
  }
  for (auto& [e, blobs] : xn_by_epoch) {
    if (covered.count(e) || e < start) {
      set.superseded.insert(set.superseded.end(), blobs.begin(), blobs.end());
    } else {
      set.uncompacted[e] = blobs;
    }
  }
  return set;
}

EpochManager::EpochManager(blob::Storage* storage, format::EpochParameters params)
    : storage_(storage), params_(params) {}

Result<IndexBlobSet> EpochManager::Load() const {
  FERRY_ASSIGN_OR_RETURN(auto listing, storage_->ListAllBlobs("x"));
  return AssembleIndexBlobSet(listing);
}

Result<int64_t> EpochManager::CurrentWriteEpoch() const {
  FERRY_ASSIGN_OR_RETURN(auto markers, storage_->ListAllBlobs("xe"));
  int64_t epoch = 0;
  for (const auto& m : markers) epoch = std::max(epoch, ParseDecimal(std::string_view(m.id).substr(2)));
  return epoch;
}

Result<std::string> EpochManager::WriteIndexBlob(
    const std::function<Result<std::string>(const std::string&)>& put) {
  FERRY_ASSIGN_OR_RETURN(int64_t epoch, CurrentWriteEpoch());
  for (int attempt = 0; attempt < 5; ++attempt) {
    FERRY_ASSIGN_OR_RETURN(std::string id, put("xn" + std::to_string(epoch) + "_"));
    FERRY_ASSIGN_OR_RETURN(int64_t after, CurrentWriteEpoch());
    if (after < epoch + 2) return id;
    // The epoch we wrote into may already be settled and compacted: our blob would be ignored.
    FERRY_RETURN_IF_ERROR(storage_->DeleteBlob(id));
    epoch = after;
  }
  return Status::Conflict("the index epoch kept advancing while writing an index blob");
}

Result<bool> EpochManager::MaybeAdvance(const IndexBlobSet& set) {
  auto it = set.uncompacted.find(set.write_epoch);
  if (it == set.uncompacted.end() || it->second.empty()) return false;
  int64_t min_ts = INT64_MAX, max_ts = INT64_MIN, total = 0;
  for (const auto& b : it->second) {
    min_ts = std::min(min_ts, b.timestamp_unix_nanos);
    max_ts = std::max(max_ts, b.timestamp_unix_nanos);
    total += b.length;
  }
  bool old_enough = max_ts - min_ts >= params_.min_epoch_duration_ns;
  bool big_enough = int64_t(it->second.size()) >= params_.epoch_advance_on_count_threshold ||
                    total >= params_.epoch_advance_on_total_size_bytes_threshold;
  if (!old_enough || !big_enough) return false;
  static const char kMarker[] = "epoch-marker";
  FERRY_RETURN_IF_ERROR(storage_->PutBlob("xe" + std::to_string(set.write_epoch + 1),
                                          ByteView(reinterpret_cast<const uint8_t*>(kMarker), sizeof(kMarker) - 1)));
  return true;
}

Result<bool> EpochManager::AdvanceDeletionWatermark(int64_t unix_seconds) {
  FERRY_ASSIGN_OR_RETURN(auto marks, storage_->ListAllBlobs("xw"));
  for (const auto& m : marks) {
    if (ParseDecimal(std::string_view(m.id).substr(2)) > unix_seconds) return false;
  }
  static const char kWatermark[] = "deletion-watermark";
  FERRY_RETURN_IF_ERROR(storage_->PutBlob("xw" + std::to_string(unix_seconds),
                                          ByteView(reinterpret_cast<const uint8_t*>(kWatermark), sizeof(kWatermark) - 1)));
  return true;
}

}  // namespace ferry::content
