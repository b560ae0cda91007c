// Backup: Velero's kopia uploader (control-plane spec §7) on ferry's engine.
#include <algorithm>
#include <filesystem>
#include <optional>

#include "datapath/datapath.h"
#include "datapath/progress_ticker.h"
#include "datapath/session.h"
#include "snapshot/uploader.h"

namespace ferry::datapath {

namespace {

// The tags Velero matches a parent on (§7.3); the operation ID is deliberately not one of them.
constexpr const char* kRequesterTag = "snapshot-requester";
constexpr const char* kUploaderTag = "snapshot-uploader";

std::string TagOf(const snapshot::SnapshotManifest& m, const std::string& key) {
  auto it = m.tags.find(key);
  return it == m.tags.end() ? std::string() : it->second;
}

// Velero's findPreviousSnapshotManifest: the latest complete snapshot of the source whose
// requester and uploader tags equal this upload's. Callers that set neither tag (not Velero)
// get the latest complete snapshot of the source.
bool ParentMatches(const snapshot::SnapshotManifest& m, const std::map<std::string, std::string>& tags) {
  for (const char* key : {kRequesterTag, kUploaderTag}) {
    auto want = tags.find(key);
    if (want == tags.end()) continue;
    auto have = m.tags.find(key);
    if (have == m.tags.end() || have->second != want->second) return false;
  }
  return true;
}

struct Ancestors {
  std::optional<snapshot::SnapshotManifest> parent;      // latest complete match
  std::optional<snapshot::SnapshotManifest> checkpoint;  // interrupted run to resume
};

Result<Ancestors> FindAncestors(repo::Repository* repository, const snapshot::SourceInfo& source,
                                const BackupRequest& request) {
  FERRY_ASSIGN_OR_RETURN(auto snaps, snapshot::ListSnapshots(repository->manifests(), source, true));
  Ancestors a;
  for (auto& s : snaps) {  // oldest first
    if (s.incomplete.empty() && ParentMatches(s, request.tags)) a.parent = s;
  }
  auto resume_value = request.tags.find(request.resume_tag);
  if (request.resume_tag.empty() || resume_value == request.tags.end()) return a;
  for (auto& s : snaps) {
    if (s.incomplete != snapshot::kIncompleteCheckpoint) continue;
    if (TagOf(s, request.resume_tag) != resume_value->second) continue;
    // A checkpoint older than the last complete snapshot has nothing newer to offer.
    if (a.parent && s.start_time < a.parent->start_time) continue;
    a.checkpoint = s;
  }
  return a;
}

// After a complete snapshot, Velero's retention pass removes the source's leftover incomplete
// snapshots (§7.3): checkpoints of this and earlier interrupted runs.
Status DeleteLeftoverCheckpoints(repo::Repository* repository, const snapshot::SnapshotManifest& done) {
  FERRY_ASSIGN_OR_RETURN(auto snaps, snapshot::ListSnapshots(repository->manifests(), done.source, true));
  bool any = false;
  for (const auto& s : snaps) {
    if (s.incomplete.empty() || done.start_time < s.start_time) continue;
    FERRY_RETURN_IF_ERROR(repository->manifests()->Delete(s.id));
    any = true;
  }
  return any ? repository->Flush() : Status::OK();
}

}  // namespace

Result<BackupResult> Backup(Session& session, const BackupRequest& request) {
  if (request.path.empty()) return Status::InvalidArgument("backup: no volume path given");
  if (request.source_path.empty()) return Status::InvalidArgument("backup: no snapshot source path given");
  if (request.user.empty() || request.host.empty()) {
    return Status::InvalidArgument("backup: the snapshot source needs a user and a host");
  }
  std::error_code ec;
  auto status = std::filesystem::status(request.path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return Status::NotFound("backup: volume path " + request.path + " does not exist");
  }
  if (!request.block && !std::filesystem::is_directory(status)) {
    return Status::InvalidArgument("backup: " + request.path +
                                   " is not a directory (a Block volume needs block mode)");
  }
  if (request.block && std::filesystem::is_directory(status)) {
    return Status::InvalidArgument("backup: " + request.path +
                                   " is a directory, not a block device or image file");
  }

  repo::Repository* repository = session.repository();
  snapshot::SourceInfo source{request.host, request.user, request.source_path};
  FERRY_ASSIGN_OR_RETURN(Ancestors ancestors, FindAncestors(repository, source, request));

  snapshot::UploadOptions o;
  o.description = request.description;
  o.tags = request.tags;  // Velero stores its tags as they are (manifest.Tags = snapshotTags)
  o.pins = request.pins;
  o.parallelism = request.parallel;
  o.compression = compression::kNoCompression;  // Velero's policy: compression "none" (§7.2)
  if (request.checkpoint_interval_ns > 0) o.checkpoint_interval_ns = request.checkpoint_interval_ns;
  o.checkpoint_on_cancel = true;
  o.cancel = request.cancel;
  o.use_parent = false;  // chosen here, by Velero's rule
  if (ancestors.parent) o.parent_id = ancestors.parent->id;
  if (ancestors.checkpoint) o.resume_checkpoint_id = ancestors.checkpoint->id;

  snapshot::Uploader uploader(repository, o);
  snapshot::UploadProgress& counters = uploader.progress();
  auto report = [&] {
    Progress p;
    p.bytes_done = counters.done_bytes();
    p.total_bytes = std::max<int64_t>(0, counters.total_bytes.load());
    request.progress(p);
  };
  ProgressTicker ticker(request.progress ? std::function<void()>(report) : nullptr,
                        std::chrono::milliseconds(std::max(1, request.progress_interval_ms)));
  Result<snapshot::SnapshotManifest> m =
      request.block ? uploader.SnapshotBlock(source, request.path,
                                             std::filesystem::path(request.path).filename().string())
                    : uploader.SnapshotDirectory(source, request.path);
  ticker.Stop();
  if (!m.ok()) return m.status();

  BackupResult r;
  r.snapshot_id = m->id;
  r.total_bytes = m->stats.total_size;
  r.incremental_bytes = counters.hashed_bytes.load();
  r.errors = m->stats.error_count;
  if (m->root_entry.summary) {
    for (const auto& e : m->root_entry.summary->errors) {
      if (r.error_messages.size() >= 10) break;
      r.error_messages.push_back("Error when processing " + e.path + ": " + e.error);
    }
  }
  r.resumed = ancestors.checkpoint.has_value() && !request.block;
  if (request.progress) {
    // At completion Velero reports bytesDone = totalBytes = the snapshot's size.
    request.progress(Progress{r.total_bytes, r.total_bytes});
  }
  FERRY_RETURN_IF_ERROR(DeleteLeftoverCheckpoints(repository, *m).WithContext(
      "snapshot " + m->id + " was saved, but removing leftover checkpoints failed"));
  return r;
}

}  // namespace ferry::datapath
