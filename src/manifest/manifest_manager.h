// ManifestManager: labelled JSON documents (snapshots, policies, maintenance parameters) kept in
// `m` contents (kopia-format.md §12, kopia's repo/manifest). docs/manifests.md shows the bytes.
//
// State: the committed entries (merged from every non-deleted `m` content when the manager is
// opened or refreshed) plus pending entries (Put and Delete since the last Flush). Reads see both.
//
// Merging: the same manifest ID may appear in several contents (rewrites, deletion markers,
// compaction leftovers); the entry with the strictly latest `modified` wins, ties keep the entry
// from the content with the smaller content ID; deleted winners are dropped.
//
// Compaction: when opening (or refreshing) finds at least `auto_compaction_threshold` `m`
// contents, all live entries are written into one new content, the old contents are deleted and
// the content manager is flushed — as kopia does, so that kopia and ferry keep the number of
// manifest contents small. Kopia absorbs ferry's contents the same way.
//
// Durability: Flush writes the pending entries as ONE new `m` content; it does not flush the
// content manager — the caller does (ContentManager::Flush), typically after writing the
// snapshot's objects and manifest, so that everything lands in one index blob.
//
// Thread-safety: all methods may be called from many threads at once (one mutex; content writes
// happen under it, as in kopia).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "content/content_manager.h"
#include "manifest/manifest_content.h"

namespace ferry::manifest {

inline constexpr char kManifestContentPrefix = 'm';
inline constexpr std::string_view kTypeLabel = "type";
// Kopia's autoCompactionContentCountDefault.
inline constexpr int kDefaultAutoCompactionThreshold = 16;

using Labels = std::map<std::string, std::string>;

struct Manifest {
  std::string id;
  Labels labels;
  int64_t modified = 0;  // Unix nanoseconds
  std::string data;      // compact JSON
};

struct ManifestEntryMetadata {
  std::string id;
  Labels labels;
  int64_t modified = 0;  // Unix nanoseconds
  size_t length = 0;     // bytes of the JSON payload
};

struct ManifestManagerOptions {
  // Compact when at least this many `m` contents are loaded; 0 or less never compacts (use it
  // for read-only repositories, where compaction could not be written).
  int auto_compaction_threshold = kDefaultAutoCompactionThreshold;
  // Current time in Unix nanoseconds; the system clock when empty. Tests pin it.
  std::function<int64_t()> now;
};

class ManifestManager {
 public:
  // Loads all manifests (and compacts if the threshold is reached). `contents` must outlive the
  // manager. Errors: Corruption for an `m` content that is not a valid manifest content (the
  // message names the content), or whatever the content manager reports.
  static Result<std::unique_ptr<ManifestManager>> Open(content::ContentManager* contents,
                                                       ManifestManagerOptions options = {});

  // Adds a manifest (pending until Flush) and returns its ID: 32 hex digits of 16 random bytes.
  // labels must contain a non-empty `type`; data_json must be valid JSON (stored compacted).
  // Both are InvalidArgument otherwise.
  Result<std::string> Put(Labels labels, std::string_view data_json);

  // NotFound when absent or deleted.
  Result<Manifest> Get(const std::string& id);

  // Manifests whose labels include every pair of `label_subset` (all manifests for {}), oldest
  // first (ties by ID).
  Result<std::vector<ManifestEntryMetadata>> Find(const Labels& label_subset);

  // Deletes a manifest by writing a deletion marker (same ID, `deleted`, later `modified`) at the
  // next Flush. Deleting an unknown ID does nothing and is OK (as in kopia).
  Status Delete(const std::string& id);

  // Writes pending entries as one `m` content (nothing when there are none). See above: the
  // caller flushes the content manager.
  Status Flush();

  // Reloads committed entries from the content manager (after ContentManager::Refresh, to see
  // other clients' manifests). Pending entries are kept.
  Status Refresh();

  // Rewrites all committed entries into one content and deletes the others (no flush).
  Status Compact();

  // Number of `m` contents the committed state was built from.
  size_t committed_content_count() const;

 private:
  ManifestManager(content::ContentManager* contents, ManifestManagerOptions options);

  Status LoadLocked();
  Status CompactLocked();
  // Writes entries as one content; returns its ID.
  Result<content::ContentId> WriteEntriesLocked(const std::vector<const ManifestEntry*>& entries);
  const ManifestEntry* LookupLocked(const std::string& id) const;
  int64_t Now() const;

  content::ContentManager* const contents_;
  const ManifestManagerOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, ManifestEntry> committed_;  // live entries only
  std::set<content::ContentId> committed_contents_;
  std::map<std::string, ManifestEntry> pending_;  // includes deletion markers
};

}  // namespace ferry::manifest
