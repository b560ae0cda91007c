#include "maintenance/blob_gc.h"

#include <map>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "content/encrypted_blob.h"
#include "maintenance/schedule.h"

namespace ferry::maintenance {

namespace {

constexpr int64_t kCutoffSlackNs = kNanosPerSecond;  // kopia's cutoffTimeSlack

// Session ID -> latest checkpoint time (Unix ns) of the markers in storage.
Result<std::map<std::string, int64_t>> ActiveSessions(repo::Repository* repository) {
  std::map<std::string, int64_t> sessions;
  FERRY_ASSIGN_OR_RETURN(auto markers, repository->storage()->ListAllBlobs("s"));
  for (const auto& b : markers) {
    std::string sid = SessionIdOfBlob(b.id);
    if (sid.empty()) return Status::Corruption("found invalid session blob " + b.id);
    auto plain = content::GetEncryptedBlob(repository->storage(), repository->encryptor(), b.id);
    if (!plain.ok()) {
      if (plain.status().code() == StatusCode::kNotFound) continue;  // its session just ended
      return plain.status().WithContext("reading session marker " + b.id);
    }
    auto j = nlohmann::ordered_json::parse(plain->begin(), plain->end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::Corruption("session marker " + b.id + " is not JSON");
    int64_t checkpoint = j.contains("checkpointTime") ? ParseGoTime(j["checkpointTime"]) : 0;
    auto [it, inserted] = sessions.emplace(sid, checkpoint);
    if (!inserted && checkpoint > it->second) it->second = checkpoint;
  }
  return sessions;
}

}  // namespace

std::string SessionIdOfBlob(const std::string& blob_id) {
  size_t start = blob_id.find('-');
  while (start != std::string::npos) {
    size_t end = blob_id.find('-', start + 1);
    std::string part = blob_id.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    if (part.starts_with("s")) return part;
    start = end;
  }
  return "";
}

Result<BlobGcResult> DeleteUnreferencedBlobs(const TaskContext& ctx, const std::vector<std::string>& prefixes) {
  repo::Repository* repository = ctx.repository;
  content::ContentManager* contents = repository->contents();
  // Other clients' indexes written since we opened must count as references.
  FERRY_RETURN_IF_ERROR(contents->Refresh());
  auto unreadable = contents->unreadable_index_blobs();
  if (!unreadable.empty()) {
    return Status::Corruption("refusing to delete blobs: index blob " + unreadable[0].first + " cannot be read (" +
                              unreadable[0].second.message() + ")");
  }
  std::unordered_set<std::string> referenced;
  std::string last;
  FERRY_RETURN_IF_ERROR(contents->IterateContents(true, [&](const content::ContentInfo& ci) -> Status {
    if (ci.pack_blob_id != last) {
      last = ci.pack_blob_id;
      referenced.insert(last);
    }
    return Status::OK();
  }));
  FERRY_ASSIGN_OR_RETURN(auto sessions, ActiveSessions(repository));

  const int64_t cutoff = ctx.start_ns + kCutoffSlackNs;
  BlobGcResult result;
  std::vector<blob::BlobMetadata> doomed;
  for (const auto& prefix : prefixes) {
    FERRY_RETURN_IF_ERROR(repository->storage()->ListBlobs(prefix, [&](const blob::BlobMetadata& bm) -> Status {
      if (referenced.count(bm.id)) return Status::OK();
      if (bm.timestamp_unix_nanos > cutoff || cutoff - bm.timestamp_unix_nanos < ctx.safety.pack_delete_min_age_ns) {
        result.retained++;
        return Status::OK();
      }
      auto session = sessions.find(SessionIdOfBlob(bm.id));
      if (session != sessions.end() && cutoff - session->second < ctx.safety.session_expiration_age_ns) {
        result.retained++;
        return Status::OK();
      }
      result.unreferenced++;
      doomed.push_back(bm);
      return Status::OK();
    }));
  }
  for (const auto& bm : doomed) {
    FERRY_RETURN_IF_ERROR(repository->storage()->DeleteBlob(bm.id).WithContext("deleting unreferenced blob " + bm.id));
    result.deleted++;
    result.deleted_bytes += bm.length;
  }
  ctx.Note("Deleted " + std::to_string(result.deleted) + " unreferenced blobs (" + std::to_string(result.deleted_bytes) +
           " bytes); kept " + std::to_string(result.retained) + " too recent or in a live session.");
  return result;
}

}  // namespace ferry::maintenance
