// Run: ownership check, schedule bookkeeping and the order of the tasks (kopia's RunExclusive,
// runQuickMaintenance / runFullMaintenance and snapshotmaintenance.Run).
#include <chrono>
#include <cstdlib>

#include "maintenance/blob_gc.h"
#include "maintenance/content_rewrite.h"
#include "maintenance/epoch_maintenance.h"
#include "maintenance/internal.h"
#include "maintenance/schedule.h"
#include "maintenance/snapshot_gc.h"

namespace ferry::maintenance {

namespace {

constexpr int64_t kMaxClockSkewNs = int64_t{5} * 60 * kNanosPerSecond;
const std::vector<std::string> kPackAndSessionPrefixes = {"p", "q", "s"};

class Runner {
 public:
  Runner(TaskContext ctx, Schedule schedule) : ctx_(ctx), schedule_(std::move(schedule)) {}

  // Runs one task and records it in the schedule's history (kopia's ReportRun): the history is
  // what later runs use to decide when deleted entries may be dropped.
  // A successful run that changed nothing is not recorded when `record_if_ok` says so: a rewrite
  // that moved no content orphaned no pack, so it must not hold back blob deletion for an hour.
  Status Task(const std::string& name, const std::function<Status()>& body, const bool* record_if_ok = nullptr) {
    if (ctx_.options->before_task) FERRY_RETURN_IF_ERROR(ctx_.options->before_task(name));
    RunInfo run;
    run.start_ns = ctx_.NowNanos();
    Status s = body();
    run.end_ns = ctx_.NowNanos();
    if (s.ok() && record_if_ok && !*record_if_ok) return Status::OK();
    run.success = s.ok();
    if (!s.ok()) run.error = s.message();
    schedule_.ReportRun(name, run);
    Status saved = WriteSchedule(ctx_.repository, schedule_);
    if (!s.ok()) return s.WithContext(name);
    if (!saved.ok()) ctx_.Note("warning: could not record the " + name + " run: " + saved.message());
    return Status::OK();
  }

  Status RunFull() {
    RunReport& report = *ctx_.report;
    SnapshotGcResult gc;
    FERRY_RETURN_IF_ERROR(Task(kTaskSnapshotGc, [&]() -> Status {
      FERRY_ASSIGN_OR_RETURN(gc, RunSnapshotGc(ctx_));
      report.contents_marked_deleted += gc.deleted;
      report.contents_undeleted += gc.undeleted;
      return Status::OK();
    }));
    // Dropping before rewriting: contents whose deletion is final are not copied again.
    FERRY_RETURN_IF_ERROR(DropDeleted(gc));
    if (ShouldRewrite(/*full=*/true)) {
      bool moved = false;
      FERRY_RETURN_IF_ERROR(Task(kTaskRewriteContentsFull, [&]() -> Status {
        FERRY_ASSIGN_OR_RETURN(auto r, RewriteShortPacks(ctx_, ""));
        report.contents_rewritten += r.rewritten;
        moved = r.rewritten > 0;
        return Status::OK();
      }, &moved));
    } else {
      ctx_.Note("Previous content rewrite has not been finalized yet, waiting until the next blob deletion.");
    }
    FERRY_RETURN_IF_ERROR(DeleteBlobs(kTaskDeleteOrphanedBlobsFull));
    return EpochTasks(/*full=*/true);
  }

  Status RunQuick() {
    RunReport& report = *ctx_.report;
    FERRY_RETURN_IF_ERROR(EpochTasks(/*full=*/false));
    if (ShouldRewrite(/*full=*/false)) {
      bool moved = false;
      FERRY_RETURN_IF_ERROR(Task(kTaskRewriteContentsQuick, [&]() -> Status {
        FERRY_ASSIGN_OR_RETURN(auto r, RewriteShortPacks(ctx_, "q"));
        report.contents_rewritten += r.rewritten;
        moved = r.rewritten > 0;
        return Status::OK();
      }, &moved));
    }
    return DeleteBlobs(kTaskDeleteOrphanedBlobsQuick);
  }

 private:
  Status DropDeleted(const SnapshotGcResult& gc) {
    int64_t safe_seconds = 0;
    if (ctx_.safety.require_two_gc_cycles) {
      int64_t safe_ns = FindSafeDropTime(schedule_.Runs(kTaskSnapshotGc), ctx_.safety.margin_between_snapshot_gc_ns,
                                         ctx_.safety.drop_content_from_index_extra_margin_ns);
      if (safe_ns == 0) {
        ctx_.Note("Not dropping deleted contents yet: it needs two snapshot GC runs at least " +
                  std::to_string(ctx_.safety.margin_between_snapshot_gc_ns / kHourNanos) + " h apart.");
        return Status::OK();
      }
      safe_seconds = safe_ns / kNanosPerSecond;
    } else {
      // No margins: every deletion made so far is final, including this run's (whose entries
      // may carry the next second).
      safe_seconds = std::max(ctx_.NowNanos() / kNanosPerSecond, gc.max_deleted_timestamp);
    }
    return Task(kTaskDropDeletedContentsFull, [&]() -> Status {
      FERRY_ASSIGN_OR_RETURN(bool advanced, AdvanceDeletionWatermark(ctx_, safe_seconds));
      if (advanced) {
        ctx_.report->deletion_watermark = safe_seconds;
        ctx_.Note("Dropped deleted contents up to " + GoTimeJson(safe_seconds * kNanosPerSecond) + ".");
      }
      return Status::OK();
    });
  }

  // kopia's shouldFullRewriteContents / shouldQuickRewriteContents: not again before the blobs
  // orphaned by the previous rewrite were deleted.
  bool ShouldRewrite(bool full) const {
    int64_t last_rewrite = full ? schedule_.MaxSuccessfulEnd({kTaskRewriteContentsFull})
                                : schedule_.MaxSuccessfulEnd({kTaskRewriteContentsFull, kTaskRewriteContentsQuick});
    if (last_rewrite == 0 || ctx_.safety.min_rewrite_to_orphan_deletion_delay_ns == 0) return true;
    int64_t last_delete = schedule_.MaxSuccessfulEnd({kTaskDeleteOrphanedBlobsFull, kTaskDeleteOrphanedBlobsQuick});
    return last_delete >= last_rewrite;
  }

  // Only MinRewriteToOrphanDeletionDelay after the last rewrite, so that clients still using
  // an index from before it can read the old packs meanwhile.
  Status DeleteBlobs(const char* task) {
    int64_t last_rewrite = schedule_.MaxSuccessfulEnd({kTaskRewriteContentsFull, kTaskRewriteContentsQuick});
    if (last_rewrite != 0 && ctx_.NowNanos() < last_rewrite + ctx_.safety.min_rewrite_to_orphan_deletion_delay_ns) {
      ctx_.Note("Skipping blob deletion: the last content rewrite was less than " +
                std::to_string(ctx_.safety.min_rewrite_to_orphan_deletion_delay_ns / kHourNanos) + " h ago.");
      return Status::OK();
    }
    return Task(task, [&]() -> Status {
      FERRY_ASSIGN_OR_RETURN(auto r, DeleteUnreferencedBlobs(ctx_, kPackAndSessionPrefixes));
      ctx_.report->blobs_deleted += r.deleted;
      ctx_.report->bytes_deleted += r.deleted_bytes;
      // Temp files of writes that never finished (a killed backup's packs) are not blobs, so the
      // step above cannot see them; the same age margin keeps a running writer's files.
      FERRY_ASSIGN_OR_RETURN(auto t, ctx_.repository->storage()->DeleteStaleTemporaries(
                                         ctx_.start_ns - ctx_.safety.pack_delete_min_age_ns));
      ctx_.report->temporaries_deleted += t.files;
      ctx_.report->temporary_bytes_deleted += t.bytes;
      if (t.files > 0) {
        ctx_.Note("Deleted " + std::to_string(t.files) + " unfinished temporary files (" +
                  std::to_string(t.bytes) + " bytes) left by interrupted writers.");
      }
      return Status::OK();
    });
  }

  Status EpochTasks(bool full) {
    if (!ctx_.repository->config().epoch.enabled) return Status::OK();
    EpochResult epoch;
    auto account = [&] {
      ctx_.report->index_blobs_compacted += epoch.compacted_blobs;
      ctx_.report->index_blobs_deleted += epoch.deleted_blobs;
      ctx_.report->epoch_advanced |= epoch.advanced;
      epoch = EpochResult{};
    };
    FERRY_RETURN_IF_ERROR(Task(kTaskEpochCompactSingle, [&] { return CompactSingleEpoch(ctx_, &epoch); }));
    account();
    FERRY_RETURN_IF_ERROR(Task(kTaskEpochAdvance, [&] { return AdvanceEpoch(ctx_, &epoch); }));
    account();
    if (full) {
      FERRY_RETURN_IF_ERROR(Task(kTaskEpochGenerateRange, [&] { return GenerateRangeCheckpoint(ctx_, &epoch); }));
      account();
      FERRY_RETURN_IF_ERROR(Task(kTaskEpochCleanupMarkers, [&] { return CleanupEpochMarkers(ctx_, &epoch); }));
      account();
    }
    FERRY_RETURN_IF_ERROR(Task(kTaskEpochDeleteSupersededIndexes, [&] { return CleanupSupersededIndexes(ctx_, &epoch); }));
    account();
    return Status::OK();
  }

  TaskContext ctx_;
  Schedule schedule_;
};

}  // namespace

int64_t TaskContext::NowNanos() const {
  if (repository && repository->options().now) return repository->options().now() * kNanosPerSecond;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RunReport::Summary() const {
  std::string s = std::string(full ? "full" : "quick") + " maintenance: " + std::to_string(contents_marked_deleted) +
                  " contents marked deleted, " + std::to_string(contents_undeleted) + " undeleted, " +
                  std::to_string(contents_rewritten) + " rewritten, " + std::to_string(blobs_deleted) +
                  " blobs deleted (" + std::to_string(bytes_deleted) + " bytes), " +
                  std::to_string(index_blobs_compacted) + " index blobs compacted, " +
                  std::to_string(index_blobs_deleted) + " index blobs cleaned up";
  if (temporaries_deleted > 0) {
    s += ", " + std::to_string(temporaries_deleted) + " unfinished temporary files deleted (" +
         std::to_string(temporary_bytes_deleted) + " bytes)";
  }
  if (epoch_advanced) s += ", epoch advanced";
  return s;
}

Result<RunReport> Run(repo::Repository* repository, const RunOptions& options) {
  if (repository->read_only()) {
    return Status::Unsupported("not running maintenance on a read-only repository connection");
  }
  FERRY_RETURN_IF_ERROR(repository->contents()->Refresh());
  FERRY_RETURN_IF_ERROR(repository->manifests()->Refresh());
  FERRY_ASSIGN_OR_RETURN(Params params, ReadParams(repository));
  if (params.owner != options.user_at_host) {
    return Status::Conflict(NotOwnedMessage(params.owner.empty() ? "(nobody)" : params.owner));
  }
  RunReport report;
  report.full = options.full;
  TaskContext ctx;
  ctx.repository = repository;
  ctx.safety = SafetyFor(options.safety);
  ctx.options = &options;
  ctx.report = &report;

  // Schedule the next run first, so that a crash does not make every client retry at once; the
  // blob's storage timestamp is then the start time all margins are measured from.
  FERRY_ASSIGN_OR_RETURN(Schedule schedule, ReadSchedule(repository));
  const int64_t now = ctx.NowNanos();
  if (options.full) schedule.next_full_ns = now + params.full_interval_ns;
  schedule.next_quick_ns = now + params.quick_interval_ns;
  FERRY_RETURN_IF_ERROR(WriteSchedule(repository, schedule));
  FERRY_ASSIGN_OR_RETURN(auto md, repository->storage()->GetMetadata(kScheduleBlobId));
  ctx.start_ns = md.timestamp_unix_nanos;
  if (std::llabs(ctx.start_ns - now) > kMaxClockSkewNs) {
    return Status::Conflict("clock skew detected: the local clock differs from the repository's storage clock by " +
                            std::to_string(std::llabs(ctx.start_ns - now) / kNanosPerSecond) +
                            " s (more than 5 minutes); refusing to run maintenance");
  }
  ctx.Note(std::string("Running ") + (options.full ? "full" : "quick") + " maintenance...");
  Runner runner(ctx, std::move(schedule));
  FERRY_RETURN_IF_ERROR(options.full ? runner.RunFull() : runner.RunQuick());
  ctx.Note(std::string("Finished ") + (options.full ? "full" : "quick") + " maintenance.");
  return report;
}

}  // namespace ferry::maintenance
