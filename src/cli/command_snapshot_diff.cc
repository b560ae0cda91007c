// ferry snapshot diff ID1[/path] ID2[/path] [--files]: what changed between two snapshots or
// directories, in kopia's `diff` wording.
#include <memory>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "snapshot/diff.h"
#include "snapshot/tree.h"

namespace ferry::cli {

namespace {

struct DiffFlags {
  std::string first, second;
  bool files = false;
};

void Print(std::ostream& out, const snapshot::DiffEntry& d) {
  using snapshot::DiffKind;
  if (d.kind != DiffKind::kChanged) {
    const snapshot::DirEntry& e = d.kind == DiffKind::kAdded ? d.new_entry : d.old_entry;
    const char* verb = d.kind == DiffKind::kAdded ? "added" : "removed";
    if (e.is_dir()) {
      out << verb << " directory " << d.path << "\n";
    } else if (e.is_symlink()) {
      out << verb << " symlink " << d.path << "\n";
    } else {
      out << verb << " file " << d.path << " (" << e.size << " bytes)\n";
    }
    return;
  }
  const auto& a = d.old_entry;
  const auto& b = d.new_entry;
  if (a.type != b.type || (!a.is_dir() && !a.is_file() && !a.is_symlink())) {
    out << "changed " << d.path << "\n";
  } else if (a.is_dir()) {
    out << "changed directory " << d.path << "\n";
  } else if (a.is_symlink()) {
    out << "changed symlink " << d.path << "\n";
  } else {
    out << "changed " << d.path << " at " << snapshot::GoTimeString(b.mtime) << " (size " << a.size << " -> "
        << b.size << ")\n";
  }
  for (const auto& attr : d.attributes) out << d.path << " " << attr << "\n";
  if (!d.contents.empty()) out << d.path << " " << d.contents << "\n";
}

}  // namespace

void AddSnapshotDiffCommand(Command& snapshot) {
  auto o = std::make_shared<DiffFlags>();
  Command& cmd = snapshot.AddCommand("diff", "Displays differences between two snapshots or directories.").Alias("compare");
  cmd.StringArg("object-path1", "First snapshot or object, optionally with /path", &o->first);
  cmd.StringArg("object-path2", "Second snapshot or object, optionally with /path", &o->second);
  cmd.BoolFlag("files", "Also compare the contents of changed files", &o->files).short_name = 'f';
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto repo, OpenConnectedRepository(true));
    FERRY_ASSIGN_OR_RETURN(auto a, snapshot::ResolveEntry(*repo->objects(), repo->manifests(), o->first));
    FERRY_ASSIGN_OR_RETURN(auto b, snapshot::ResolveEntry(*repo->objects(), repo->manifests(), o->second));
    if (a.entry.is_dir() != b.entry.is_dir()) {
      return Status::InvalidArgument("arguments to diff must both be directories or both non-directories");
    }
    snapshot::DiffOptions dopt;
    dopt.compare_files = o->files;
    dopt.emit = [&ctx](const snapshot::DiffEntry& d) { Print(ctx.out, d); };
    FERRY_ASSIGN_OR_RETURN(auto stats, snapshot::Diff(*repo->objects(), a.entry, b.entry, dopt));
    (void)stats;
    return Status::OK();
  });
}

}  // namespace ferry::cli
