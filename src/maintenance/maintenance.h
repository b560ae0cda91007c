// Maintenance: gives storage back and keeps the index small, under kopia's rules
// (kopia-format.md §17), so that ferry and kopia can share a repository whichever of them owns
// its maintenance. The schedule and owner live where kopia keeps them (kopia.maintenance).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "repo/repository.h"

namespace ferry::maintenance {

enum class Safety { kFull, kNone };

// What `maintenance info` shows and `maintenance set` changes (kopia's maintenance.Params +
// Schedule).
struct Params {
  std::string owner;  // "user@host"; only the owner runs maintenance
  bool quick_enabled = true;
  int64_t quick_interval_ns = int64_t{3600} * 1'000'000'000;
  bool full_enabled = true;
  int64_t full_interval_ns = int64_t{24} * 3600 * 1'000'000'000;
};

// The latest `type=maintenance` manifest, or kopia's defaults with an empty owner when there is
// none (nobody owns maintenance then). Fields ferry does not model (logRetention,
// extendObjectLocks, listParallelism) are kept by WriteParams.
Result<Params> ReadParams(repo::Repository* repository);
// Replaces every `type=maintenance` manifest by one holding `params` (kopia's
// ReplaceManifests) and flushes the repository.
Status WriteParams(repo::Repository* repository, const Params& params);

struct RunOptions {
  bool full = false;
  Safety safety = Safety::kFull;
  // Who is running: must equal Params::owner (kopia refuses otherwise, naming the owner).
  std::string user_at_host;
  // Lines for the user ("Rewrote 3 short packs", ...); may be empty.
  std::function<void(const std::string&)> note;
  // Test hook: called with each task name ("snapshot-gc", "full-rewrite-contents", ...) before
  // it runs; a non-OK status aborts the run there, as a crash would.
  std::function<Status(const std::string& task)> before_task;
};

struct RunReport {
  bool full = false;
  int64_t contents_marked_deleted = 0;
  int64_t contents_undeleted = 0;
  int64_t contents_rewritten = 0;
  int64_t blobs_deleted = 0;
  int64_t bytes_deleted = 0;
  int64_t index_blobs_compacted = 0;  // index blobs merged into xs/xr blobs
  int64_t index_blobs_deleted = 0;    // superseded xn, old xe markers and xw watermarks
  int64_t temporaries_deleted = 0;    // temp files of writes that never finished (killed writers)
  int64_t temporary_bytes_deleted = 0;
  int64_t deletion_watermark = 0;     // Unix seconds, when this run moved it
  bool epoch_advanced = false;
  std::string Summary() const;  // one line
};

// kopia's NotOwnedError text: "maintenance must be run by designated user: OWNER".
std::string NotOwnedMessage(const std::string& owner);

Result<RunReport> Run(repo::Repository* repository, const RunOptions& options);

}  // namespace ferry::maintenance
