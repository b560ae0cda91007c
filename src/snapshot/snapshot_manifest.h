// Snapshot manifests (kopia-format.md §14.4): one labelled manifest per snapshot, naming its
// source (user@host:path), times, statistics and root directory entry. Listing, loading and
// deleting snapshots goes through the manifest manager with kopia's labels, so `kopia snapshot
// list` sees ferry's snapshots and the other way round.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "manifest/manifest_manager.h"
#include "snapshot/dir_entry.h"

namespace ferry::snapshot {

struct SourceInfo {
  std::string host;
  std::string user_name;
  std::string path;

  // "user@host:path"
  std::string ToString() const { return user_name + "@" + host + ":" + path; }
  friend bool operator==(const SourceInfo&, const SourceInfo&) = default;
  friend auto operator<=>(const SourceInfo&, const SourceInfo&) = default;
};

// Accepts "user@host:/path", "host:/path"? no — kopia's forms: "user@host:path", or a plain path
// (then the defaults give user and host). Relative paths are made absolute.
Result<SourceInfo> ParseSourceInfo(std::string_view text, const std::string& default_user,
                                   const std::string& default_host);

struct SnapshotStats {
  int64_t total_size = 0;
  int64_t excluded_total_size = 0;
  int64_t file_count = 0;
  int64_t cached_files = 0;
  int64_t non_cached_files = 0;
  int64_t dir_count = 0;
  int64_t excluded_file_count = 0;
  int64_t excluded_dir_count = 0;
  int64_t ignored_error_count = 0;
  int64_t error_count = 0;
};

inline constexpr std::string_view kIncompleteCheckpoint = "checkpoint";
inline constexpr std::string_view kIncompleteCanceled = "canceled";

struct SnapshotManifest {
  std::string id;  // the manifest ID (stored as "" inside the payload, like kopia)
  SourceInfo source;
  std::string description;
  UnixTime start_time;
  UnixTime end_time;
  SnapshotStats stats;
  std::string incomplete;
  DirEntry root_entry;
  std::map<std::string, std::string> tags;  // keys as stored ("tag:name")
  std::string storage_stats_json;            // kept verbatim when read
  std::vector<std::string> pins;
};

std::string SnapshotManifestJson(const SnapshotManifest& m);
Result<SnapshotManifest> ParseSnapshotManifest(std::string_view json, std::string id);
manifest::Labels SnapshotLabels(const SnapshotManifest& m);

// Saves (pending until the manifest manager and repository are flushed); returns the ID.
Result<std::string> SaveSnapshot(manifest::ManifestManager* manifests, const SnapshotManifest& m);
Result<SnapshotManifest> LoadSnapshot(manifest::ManifestManager* manifests, const std::string& id);
// Snapshots of one source (or all when source is empty), oldest first. Incomplete ones only
// when asked.
Result<std::vector<SnapshotManifest>> ListSnapshots(manifest::ManifestManager* manifests,
                                                    const std::optional<SourceInfo>& source,
                                                    bool include_incomplete = false);
Result<std::vector<SourceInfo>> ListSources(manifest::ManifestManager* manifests);

}  // namespace ferry::snapshot
