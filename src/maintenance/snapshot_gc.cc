#include "maintenance/snapshot_gc.h"

#include <unordered_set>
#include <vector>

#include "maintenance/reachable_set.h"
#include "object/indirect_list.h"
#include "snapshot/dir_entry.h"
#include "snapshot/snapshot_manifest.h"

namespace ferry::maintenance {

namespace {

// Flush deletions in batches, as kopia does, so pending entries never hold a million infos.
constexpr int64_t kFlushEvery = 50'000;

// Walks snapshot trees and records every reachable content. Directories and indirect lists are
// read once however many snapshots share them.
class ReachabilityWalker {
 public:
  ReachabilityWalker(repo::Repository* repository, ReachableSet* reachable, SnapshotGcResult* result)
      : repository_(repository), reachable_(reachable), result_(result) {}

  Status WalkSnapshot(const snapshot::SnapshotManifest& m) {
    const snapshot::DirEntry& root = m.root_entry;
    if (root.object_id.empty()) return Status::OK();
    auto oid = object::ObjectId::Parse(root.object_id);
    if (!oid.ok()) return oid.status().WithContext("root of snapshot " + m.id);
    if (!root.is_dir()) return Reach(*oid, false);
    pending_dirs_.clear();
    if (visited_.insert(root.object_id).second) pending_dirs_.push_back(*oid);
    while (!pending_dirs_.empty()) {
      object::ObjectId dir = pending_dirs_.back();
      pending_dirs_.pop_back();
      Status s = WalkDirectory(dir);
      if (!s.ok()) return s.WithContext("snapshot " + m.id + " (" + m.source.ToString() + ")");
    }
    return Status::OK();
  }

 private:
  Status WalkDirectory(const object::ObjectId& dir) {
    FERRY_RETURN_IF_ERROR(Reach(dir, true));
    auto bytes = repository_->objects()->ReadAll(dir);
    if (!bytes.ok()) return bytes.status().WithContext("reading directory object " + dir.ToString());
    auto parsed = snapshot::ParseDirectory(*bytes);
    if (!parsed.ok()) return parsed.status().WithContext("directory object " + dir.ToString());
    for (const auto& e : parsed->entries) {
      if (e.object_id.empty()) continue;
      auto oid = object::ObjectId::Parse(e.object_id);
      if (!oid.ok()) return oid.status().WithContext("entry '" + e.name + "' of directory " + dir.ToString());
      if (e.is_dir()) {
        if (visited_.insert(e.object_id).second) pending_dirs_.push_back(*oid);
      } else {
        FERRY_RETURN_IF_ERROR(Reach(*oid, false));
      }
    }
    return Status::OK();
  }

  // Marks the contents of object `oid`; those that will be read (lists, directories) are
  // undeleted first if a racing GC had marked them deleted.
  Status Reach(const object::ObjectId& oid, bool will_read) {
    const content::ContentId& cid = oid.content_id();
    reachable_->Add(cid);
    if (!oid.is_indirect()) return will_read ? EnsureLive(cid) : Status::OK();
    if (!visited_.insert(oid.ToString()).second) return Status::OK();
    object::ObjectId list_id = oid.IndexObjectId();
    if (list_id.is_indirect()) {
      FERRY_RETURN_IF_ERROR(Reach(list_id, true));
    } else {
      FERRY_RETURN_IF_ERROR(EnsureLive(cid));
    }
    auto list = repository_->objects()->ReadAll(list_id);
    if (!list.ok()) return list.status().WithContext("reading the indirect list of object " + oid.ToString());
    FERRY_ASSIGN_OR_RETURN(auto entries, object::ParseIndirectList(*list, oid.ToString()));
    for (const auto& entry : entries) FERRY_RETURN_IF_ERROR(Reach(entry.object, will_read));
    return Status::OK();
  }

  Status EnsureLive(const content::ContentId& cid) {
    auto info = repository_->contents()->GetContentInfo(cid);
    if (!info.ok()) return info.status().WithContext("content reachable from a snapshot");
    if (!info->deleted) return Status::OK();
    FERRY_RETURN_IF_ERROR(repository_->contents()->UndeleteContent(cid));
    result_->undeleted++;
    return Status::OK();
  }

  repo::Repository* repository_;
  ReachableSet* reachable_;
  SnapshotGcResult* result_;
  std::unordered_set<std::string> visited_;  // directories and indirect objects already expanded
  std::vector<object::ObjectId> pending_dirs_;
};

}  // namespace

Result<SnapshotGcResult> RunSnapshotGc(const TaskContext& ctx) {
  repo::Repository* repository = ctx.repository;
  content::ContentManager* contents = repository->contents();
  auto unreadable = contents->unreadable_index_blobs();
  if (!unreadable.empty()) {
    return Status::Corruption("refusing to collect garbage: index blob " + unreadable[0].first +
                              " cannot be read (" + unreadable[0].second.message() + ")");
  }
  SnapshotGcResult result;
  ReachableSet reachable;
  {
    ReachabilityWalker walker(repository, &reachable, &result);
    FERRY_ASSIGN_OR_RETURN(auto found, repository->manifests()->Find({{"type", "snapshot"}}));
    for (const auto& md : found) {
      FERRY_ASSIGN_OR_RETURN(auto m, snapshot::LoadSnapshot(repository->manifests(), md.id));
      FERRY_RETURN_IF_ERROR(walker.WalkSnapshot(m));
      result.snapshots++;
    }
  }
  reachable.Seal();
  result.reachable_set_bytes = reachable.memory_bytes();
  ctx.Note("Found " + std::to_string(result.snapshots) + " snapshots, " + std::to_string(reachable.size()) +
           " reachable contents.");

  int64_t changes = 0;
  Status s = contents->IterateContents(true, [&](const content::ContentInfo& ci) -> Status {
    if (ci.id.prefix() == manifest::kManifestContentPrefix) return Status::OK();  // system contents
    if (reachable.Contains(ci.id)) {
      result.in_use++;
      if (ci.deleted) {
        FERRY_RETURN_IF_ERROR(contents->UndeleteContent(ci.id));
        result.undeleted++;
        ++changes;
      }
    } else if (!ci.deleted) {
      if (ctx.start_ns - ci.timestamp * kNanosPerSecond < ctx.safety.min_content_age_subject_to_gc_ns) {
        result.too_recent++;
        return Status::OK();
      }
      result.unreferenced++;
      FERRY_RETURN_IF_ERROR(contents->DeleteContent(ci.id));
      FERRY_ASSIGN_OR_RETURN(auto deleted, contents->GetContentInfo(ci.id));
      result.max_deleted_timestamp = std::max(result.max_deleted_timestamp, deleted.timestamp);
      result.deleted++;
      ++changes;
    }
    if (changes >= kFlushEvery) {
      changes = 0;
      FERRY_RETURN_IF_ERROR(contents->Flush());
    }
    return Status::OK();
  });
  FERRY_RETURN_IF_ERROR(s.WithContext("marking unreachable contents"));
  FERRY_RETURN_IF_ERROR(repository->Flush());
  ctx.Note("GC: " + std::to_string(result.in_use) + " contents in use, " + std::to_string(result.deleted) +
           " marked deleted, " + std::to_string(result.too_recent) + " unreferenced but too recent, " +
           std::to_string(result.undeleted) + " undeleted.");
  return result;
}

}  // namespace ferry::maintenance
