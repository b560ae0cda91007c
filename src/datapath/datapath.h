// Datapath: the one narrow API through which the control plane (node agent, server) uses the
// engine. It knows repositories, snapshots and volumes as a data mover sees them — "connect or
// create the repository of this namespace", "back up this path as that Velero source", "restore
// this snapshot into that target", "forget these snapshots", "run maintenance" — and nothing of
// resources, phases or stores. Everything below it (blob, content, object, snapshot) stays
// hidden from the control plane.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace ferry::datapath {

// Where a repository lives: the same keys as ferry's connection config
// ({type: filesystem, path: ...} or {type: s3, bucket, prefix, endpoint, region, access-key,
// secret-access-key, session-token, disable-tls, disable-tls-verification, ca-cert, ...}).
struct RepositoryLocation {
  std::map<std::string, std::string> storage;
  std::string password;
};

// Algorithms for a repository that does not exist yet; empty = kopia's defaults. Names are
// checked: an unknown name is an InvalidArgument listing the valid ones.
struct NewRepositoryAlgorithms {
  std::string hash;
  std::string encryption;
  std::string splitter;
};

struct RepositoryInfo {
  std::string location;  // "s3://bucket/velero/kopia/ns/" or a path, for messages
  std::string hash, encryption, splitter;
  int format_version = 0;
  bool created = false;  // this call created it
};

class Session;  // an open repository; thread-compatible (one operation at a time per session)

}  // namespace ferry::datapath

// Session is complete only inside the datapath layer; callers destroy their unique_ptr<Session>
// through this out-of-line deleter (defined in repository.cc).
template <>
struct std::default_delete<ferry::datapath::Session> {
  void operator()(ferry::datapath::Session* session) const;
};

namespace ferry::datapath {

// Opens the repository at `location`. When none exists there and create_if_missing, creates it
// with `algorithms` (refusing a location that holds other data: "found existing data in storage
// location"), then opens it. Wrong password → Authentication with an actionable message.
Result<std::unique_ptr<Session>> ConnectOrCreate(const RepositoryLocation& location,
                                                 const NewRepositoryAlgorithms& algorithms,
                                                 bool create_if_missing);

struct Progress {
  int64_t bytes_done = 0;
  int64_t total_bytes = 0;
};

struct BackupRequest {
  std::string path;    // directory (Filesystem volume) or block device / image file (Block)
  bool block = false;
  // Snapshot source identity: Velero uses default@default:snapshot-data-upload-download/kopia/<ns>/<pvc>.
  std::string user = "default";
  std::string host = "default";
  std::string source_path;
  std::map<std::string, std::string> tags;  // without the "tag:" prefix
  std::string description = "Kopia Uploader";
  std::vector<std::string> pins = {"velero-pin"};
  int parallel = 0;  // 0 = hardware threads
  // Resume: when an incomplete checkpoint snapshot of the same source carries the same
  // tags[resume_tag], it is used as the parent, so finished files are not read again.
  std::string resume_tag;
  int64_t checkpoint_interval_ns = 0;  // 0 = the uploader's default
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const Progress&)> progress;  // from a helper thread, about every 250 ms
  int progress_interval_ms = 250;
};

struct BackupResult {
  std::string snapshot_id;
  int64_t total_bytes = 0;        // size of the volume's files (or the device)
  int64_t incremental_bytes = 0;  // bytes read and hashed (not reused from the parent)
  int64_t errors = 0;             // entries that could not be read (left out)
  std::vector<std::string> error_messages;  // at most 10
  bool resumed = false;           // a checkpoint of an interrupted run was the parent
};

// Snapshots a volume. Cancelled → StatusCode::kCancelled, nothing but checkpoints left behind.
Result<BackupResult> Backup(Session& session, const BackupRequest& request);

struct RestoreRequest {
  std::string snapshot_id;
  std::string target;  // directory for Filesystem volumes; device or image file for Block
  bool block = false;
  bool write_sparse_files = false;
  int parallel = 0;
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const Progress&)> progress;
};

struct RestoreResult {
  int64_t total_bytes = 0;
  int64_t files = 0;
};

Result<RestoreResult> Restore(Session& session, const RestoreRequest& request);

struct SnapshotInfo {
  std::string id;
  std::string source;  // user@host:path
  std::map<std::string, std::string> tags;  // without "tag:"
  int64_t total_bytes = 0;
  std::string start_time;  // RFC 3339
  bool incomplete = false;
};

Result<std::vector<SnapshotInfo>> ListSnapshots(Session& session);
// Deletes the snapshot manifests (kopia's `snapshot delete`); NotFound ids are skipped and
// reported in the returned count: the number of snapshots actually deleted.
Result<int> ForgetSnapshots(Session& session, const std::vector<std::string>& snapshot_ids);

struct MaintenanceRequest {
  bool full = false;   // false: quick; true: full (snapshot GC, pack rewrite, blob deletion)
  bool safety_none = false;
  std::string owner = "default@default";  // this process may run it only if it owns the schedule
};
struct MaintenanceResult {
  std::string summary;  // one line for BackupRepository.status.message / logs
};
Result<MaintenanceResult> RunMaintenance(Session& session, const MaintenanceRequest& request);

RepositoryInfo Describe(const Session& session);

// Plain objects beside the repositories in a backup storage location: Velero keeps a backup's
// metadata under <bsl prefix>/backups/<backup name>/ so that a cluster with an empty store can
// find and restore it. `storage` has the same keys as RepositoryLocation::storage, with `prefix`
// (S3) or `path` (filesystem) naming the BSL's root; keys are relative to it
// ("backups/nightly/velero-backup.json") and map to exactly that object key / file path (no
// sharding), so `aws s3 ls` and `ls` show what Velero's layout shows.
class LocationStore {
 public:
  static Result<std::unique_ptr<LocationStore>> Open(const std::map<std::string, std::string>& storage);
  virtual ~LocationStore() = default;
  virtual Status Put(const std::string& key, const std::string& data) = 0;
  virtual Result<std::string> Get(const std::string& key) = 0;  // NotFound when absent
  virtual Result<std::vector<std::string>> List(const std::string& key_prefix) = 0;  // keys
  virtual Status Delete(const std::string& key) = 0;  // OK when absent
};

}  // namespace ferry::datapath
