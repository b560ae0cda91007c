// ferry snapshot verify [--verify-files-percent=N] [ID...]: checks that snapshots are
// restorable (kopia's `snapshot verify`): every directory parses, every file's contents are
// indexed in existing packs, and N% of the files are read and decrypted in full.
#include <cstdlib>
#include <memory>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/units.h"
#include "manifest/rfc3339.h"
#include "snapshot/snapshot_manifest.h"
#include "snapshot/tree.h"
#include "snapshot/verify.h"

namespace ferry::cli {

namespace {

struct VerifyFlags {
  std::vector<std::string> ids;
  std::string percent;
  int64_t parallel = 0, max_errors = 0, seed = 0;
};

Result<double> ParsePercent(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || v < 0 || v > 100) {
    return Status::InvalidArgument("--verify-files-percent must be a number from 0 to 100, not '" + text + "'");
  }
  return v;
}

}  // namespace

void AddSnapshotVerifyCommand(Command& snapshot) {
  auto o = std::make_shared<VerifyFlags>();
  Command& cmd = snapshot.AddCommand("verify", "Verify the contents of stored snapshots.");
  cmd.StringListArg("id", "Snapshots or objects (ID[/path]) to verify; all snapshots when none", &o->ids);
  cmd.StringFlag("verify-files-percent", "Share of files to read in full and decrypt [0.0 .. 100.0]", &o->percent, "0");
  cmd.IntFlag("parallel", "Files checked at once (0 = one per hardware thread)", &o->parallel, 0);
  cmd.IntFlag("max-errors", "Stop after this many errors (0 = report all)", &o->max_errors, 0);
  cmd.IntFlag("seed", "Seed of the choice of files to read", &o->seed, 0);
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(double percent, ParsePercent(o->percent));
    FERRY_ASSIGN_OR_RETURN(auto repo, OpenConnectedRepository(true));
    std::vector<snapshot::VerifyRoot> roots;
    if (o->ids.empty()) {
      FERRY_ASSIGN_OR_RETURN(auto all, snapshot::ListSnapshots(repo->manifests(), std::nullopt, true));
      for (const auto& m : all) {
        if (m.root_entry.object_id.empty()) continue;
        auto ns = ToUnixNanos(m.start_time);
        roots.push_back({m.source.ToString() + "@" + TimestampString(ns.ok() ? *ns : 0), m.root_entry});
      }
    } else {
      for (const auto& id : o->ids) {
        FERRY_ASSIGN_OR_RETURN(auto r, snapshot::ResolveEntry(*repo->objects(), repo->manifests(), id));
        roots.push_back({id, r.entry});
      }
    }
    snapshot::VerifyOptions vo;
    vo.files_percent = percent;
    vo.seed = uint64_t(o->seed);
    vo.parallel = int(o->parallel);
    vo.max_errors = o->max_errors;
    vo.storage = repo->storage();
    vo.on_error = [&ctx](const std::string& path, const Status& s) {
      ctx.err << "error processing " << path << ": " << s.message() << "\n";
    };
    FERRY_ASSIGN_OR_RETURN(auto stats, snapshot::Verify(*repo->objects(), roots, vo));
    ctx.out << "Processed " << stats.processed << " objects.\n";
    if (stats.files_read) {
      ctx.out << "Read " << stats.files_read << " files (" << BytesStringBase10(double(stats.bytes_read)) << ") in full.\n";
    }
    if (stats.errors == 1) return Status::Corruption("verify found 1 error");
    if (stats.errors > 1) return Status::Corruption("verify found " + std::to_string(stats.errors) + " errors");
    return Status::OK();
  });
}

}  // namespace ferry::cli
