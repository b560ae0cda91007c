// ferry snapshot restore ID[/path] TARGET: a snapshot, directory or file back onto the local
// filesystem, or a block/streaming snapshot onto a block device or image file.
#include <atomic>
#include <memory>
#include <ostream>

#include "cli/cancellation.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/progress_display.h"
#include "cli/units.h"
#include "snapshot/restore.h"
#include "snapshot/tree.h"

namespace ferry::cli {

namespace {

struct RestoreFlags {
  std::string id, target, mode, progress;
  bool overwrite_files = false, overwrite_directories = false, sparse = false, ignore_errors = false;
  bool skip_owners = false, skip_permissions = false, skip_times = false, ignore_permission_errors = true;
  int64_t parallel = 0;
};

}  // namespace

void AddSnapshotRestoreCommand(Command& snapshot) {
  auto o = std::make_shared<RestoreFlags>();
  Command& cmd = snapshot.AddCommand(
      "restore", "Restore a snapshot, directory or file (ID[/path]) into TARGET; a block snapshot onto a device or image.");
  cmd.StringArg("id", "Snapshot ID or object ID, optionally followed by /path/inside", &o->id);
  cmd.StringArg("target", "Directory, block device or image file to restore into", &o->target);
  cmd.BoolFlag("overwrite-files", "Replace files and symlinks that already exist", &o->overwrite_files);
  cmd.BoolFlag("overwrite-directories", "Restore into directories that already exist and are not empty",
               &o->overwrite_directories);
  cmd.BoolFlag("write-sparse-files", "Leave holes where files have 4 KiB blocks of zeros", &o->sparse);
  cmd.IntFlag("parallel", "Files written at once (0 = one per hardware thread)", &o->parallel, 0);
  cmd.BoolFlag("skip-owners", "Do not restore owners", &o->skip_owners);
  cmd.BoolFlag("skip-permissions", "Do not restore permissions", &o->skip_permissions);
  cmd.BoolFlag("skip-times", "Do not restore modification times", &o->skip_times);
  cmd.BoolFlag("ignore-permission-errors", "Ignore permission errors when setting owners, modes and times",
               &o->ignore_permission_errors, true);
  cmd.BoolFlag("ignore-errors", "Report errors and go on with the other entries", &o->ignore_errors);
  cmd.EnumFlag("mode", "auto: block snapshots go to devices, files and new paths; local: always a tree; block: always stream",
               &o->mode, {"auto", "local", "block"}, "auto");
  cmd.EnumFlag("progress", "Progress output", &o->progress, {"auto", "bar", "json", "none"}, "auto");
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto repo, OpenConnectedRepository(true));
    FERRY_ASSIGN_OR_RETURN(auto resolved, snapshot::ResolveEntry(*repo->objects(), repo->manifests(), o->id));

    snapshot::RestoreOptions ro;
    ro.overwrite_files = o->overwrite_files;
    ro.overwrite_directories = o->overwrite_directories;
    ro.write_sparse_files = o->sparse;
    ro.parallel = int(o->parallel);
    ro.ignore_errors = o->ignore_errors;
    ro.skip_owners = o->skip_owners;
    ro.skip_permissions = o->skip_permissions;
    ro.skip_times = o->skip_times;
    ro.ignore_permission_errors = o->ignore_permission_errors;
    ro.restore_root_attributes = !resolved.synthetic;
    ro.mode = o->mode == "local"   ? snapshot::RestoreMode::kTree
              : o->mode == "block" ? snapshot::RestoreMode::kStream
                                   : snapshot::RestoreMode::kAuto;
    ro.cancel = InstallCancelHandlers();

    // The restorer reports progress to these; the display samples them on its own schedule.
    auto bytes = std::make_shared<std::atomic<int64_t>>(0);
    auto total = std::make_shared<std::atomic<int64_t>>(-1);
    auto files = std::make_shared<std::atomic<int64_t>>(0);
    auto errors = std::make_shared<std::atomic<int64_t>>(0);
    ro.progress = [=](const snapshot::RestoreProgress& p) {
      *bytes = p.bytes_done;
      *total = p.total_bytes;
      *files = p.files_done;
      *errors = p.errors;
    };
    ro.progress_interval_ms = 100;
    Result<snapshot::RestoreStats> stats = Status::Internal("restore did not run");
    {
      ProgressDisplay display(o->progress, "Restoring", [=] {
        ProgressSample s;
        s.bytes_done = *bytes;
        s.total_bytes = *total;
        s.files = *files;
        s.errors = *errors;
        return s;
      });
      stats = snapshot::Restore(*repo->objects(), resolved.entry, o->target, ro);
    }
    if (!stats.ok()) return stats.status();
    for (const auto& e : stats->errors) ctx.err << "ignored error: " << e << "\n";
    if (stats->owners_skipped) ctx.err << "NOTE: not running as root: owners were not restored.\n";
    if (stats->streamed) {
      ctx.out << "Restored " << stats->bytes << " bytes (" << BytesStringBase10(double(stats->bytes)) << ") to "
              << o->target << ".\n";
    } else {
      ctx.out << "Restored " << stats->files << " files, " << stats->directories << " directories and "
              << stats->symlinks << " symbolic links (" << BytesStringBase10(double(stats->bytes)) << ")";
      if (stats->skipped) ctx.out << ", skipped " << stats->skipped;
      if (stats->ignored_errors) ctx.out << ", ignored " << stats->ignored_errors << " errors";
      ctx.out << ".\n";
    }
    return Status::OK();
  });
}

}  // namespace ferry::cli
