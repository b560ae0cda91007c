// ferry ls ID[/path] [-l] [-r] [-o]: a directory stored in a snapshot, in kopia's `ls` format.
#include <cstdio>
#include <memory>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/units.h"
#include "snapshot/tree.h"

namespace ferry::cli {

namespace {

struct ListFlags {
  std::string path;
  bool long_format = false, recursive = false, show_oid = false;
};

std::string LongLine(const snapshot::DirEntry& e, const std::string& name) {
  // Directories show the total size of their files (kopia's summary size).
  int64_t size = e.is_dir() ? (e.summary ? e.summary->total_size : 0) : e.size;
  auto ns = ToUnixNanos(e.mtime);
  char buf[64];
  std::snprintf(buf, sizeof(buf), " %12lld ", static_cast<long long>(size));
  std::string oid = e.object_id;
  if (oid.size() < 34) oid.resize(34, ' ');
  return snapshot::GoModeString(e) + buf + TimestampString(ns.ok() ? *ns : 0) + " " + oid + " " + name;
}

}  // namespace

void AddListCommand(Command& root) {
  auto o = std::make_shared<ListFlags>();
  Command& cmd = root.AddCommand("ls", "List a directory stored in a snapshot or repository object.").Alias("list");
  cmd.StringArg("object-path", "Snapshot ID or directory object ID, optionally followed by /path", &o->path);
  cmd.BoolFlag("long", "Long output", &o->long_format).short_name = 'l';
  cmd.BoolFlag("recursive", "Recursive output", &o->recursive).short_name = 'r';
  cmd.BoolFlag("show-object-id", "Show object IDs", &o->show_oid).short_name = 'o';
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto repo, OpenConnectedRepository(true));
    FERRY_ASSIGN_OR_RETURN(auto resolved, snapshot::ResolveEntry(*repo->objects(), repo->manifests(), o->path));
    if (!resolved.entry.is_dir()) return Status::InvalidArgument(o->path + " is not a directory object");
    // kopia: names are prefixed with the path given when listing recursively, and with their
    // path below it in long format.
    std::string prefix = o->long_format ? "" : o->path;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    snapshot::WalkCallbacks cb;
    cb.visit = [&](const std::string& rel, const snapshot::DirEntry& e) -> Result<bool> {
      if (rel.empty()) return true;  // the listed directory itself
      std::string name = (o->long_format || o->recursive) ? prefix + rel : e.name;
      if (e.is_dir()) name += '/';
      if (e.is_dir() && e.summary && e.summary->num_failed > 0) {
        name += " (" + std::to_string(e.summary->num_failed) + " errors)";
      }
      if (o->long_format) {
        ctx.out << LongLine(e, name) << "\n";
      } else if (o->show_oid) {
        std::string oid = e.object_id;
        if (oid.size() < 34) oid.resize(34, ' ');
        ctx.out << oid << " " << name << "\n";
      } else {
        ctx.out << name << "\n";
      }
      return o->recursive;
    };
    FERRY_RETURN_IF_ERROR(snapshot::WalkTree(*repo->objects(), resolved.entry, "", cb));
    const auto& summ = resolved.entry.summary;
    if (summ && summ->num_failed > 0) {
      ctx.err << "\nNOTE: Encountered " << summ->num_failed << " errors while snapshotting this directory:\n\n";
      for (const auto& e : summ->errors) ctx.err << "- Error in \"" << e.path << "\": " << e.error << "\n";
    }
    return Status::OK();
  });
}

}  // namespace ferry::cli
