// ferry snapshot list [SOURCE] [--all]: snapshots grouped by source, as kopia lists them.
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/units.h"
#include "snapshot/snapshot_manifest.h"

namespace ferry::cli {

namespace {

struct Options {
  std::string source;
  bool all = false, json = false, incomplete = false, manifest_id = false, mtime = false, owner = false;
};

std::string ModeString(uint32_t mode, bool dir) {
  std::string s = dir ? "d" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int i = 8; i >= 0; --i) s += (mode >> i) & 1 ? rwx[8 - i] : '-';
  return s;
}

int64_t Nanos(const UnixTime& t) { return t.seconds * 1000000000 + t.nanos; }

}  // namespace

void AddSnapshotListCommand(Command& root) {
  auto o = std::make_shared<Options>();
  Command& cmd = SnapshotCommand(root).AddCommand("list", "List snapshots of files and directories.").Alias("ls");
  cmd.StringArg("source", "Source (directory or user@host:path) to list", &o->source, false);
  cmd.BoolFlag("all", "Show all snapshots (not just current user/host)", &o->all).short_name = 'a';
  cmd.BoolFlag("incomplete", "Include incomplete (checkpoint) snapshots", &o->incomplete);
  cmd.BoolFlag("manifest-id", "Include manifest item ID", &o->manifest_id).short_name = 'm';
  cmd.BoolFlag("mtime", "Include file mod times", &o->mtime);
  cmd.BoolFlag("owner", "Include owner", &o->owner);
  cmd.BoolFlag("json", "Output result in JSON format to stdout", &o->json);
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    std::optional<snapshot::SourceInfo> filter;
    if (!o->source.empty()) {
      FERRY_ASSIGN_OR_RETURN(filter, snapshot::ParseSourceInfo(o->source, r->options().username, r->options().hostname));
    }
    FERRY_ASSIGN_OR_RETURN(auto snaps, snapshot::ListSnapshots(r->manifests(), filter, o->incomplete));
    if (!filter && !o->all) {
      std::vector<snapshot::SnapshotManifest> mine;
      for (auto& s : snaps) {
        if (s.source.host == r->options().hostname && s.source.user_name == r->options().username) mine.push_back(std::move(s));
      }
      snaps = std::move(mine);
    }
    if (o->json) {
      ctx.out << "[\n";
      for (size_t i = 0; i < snaps.size(); ++i) {
        auto j = nlohmann::ordered_json::parse(snapshot::SnapshotManifestJson(snaps[i]));
        j["id"] = snaps[i].id;
        ctx.out << "  " << j.dump() << (i + 1 < snaps.size() ? ",\n" : "\n");
      }
      ctx.out << "]\n";
      return Status::OK();
    }
    std::map<snapshot::SourceInfo, std::vector<const snapshot::SnapshotManifest*>> by_source;
    for (const auto& s : snaps) by_source[s.source].push_back(&s);
    for (const auto& [source, list] : by_source) {
      ctx.out << source.ToString() << "\n";
      for (size_t i = 0; i < list.size(); ++i) {
        const auto& s = *list[i];
        const auto& e = s.root_entry;
        int64_t size = e.summary ? e.summary->total_size : s.stats.total_size;
        ctx.out << "  " << TimestampString(Nanos(s.start_time)) << " " << e.object_id << " "
                << BytesString(double(size)) << " " << ModeString(e.PosixMode() & 0777, e.is_dir());
        if (o->owner) ctx.out << " uid:" << e.uid << " gid:" << e.gid;
        if (o->mtime) ctx.out << " modified:" << TimestampString(Nanos(e.mtime));
        if (o->manifest_id) ctx.out << " manifest:" << s.id;
        if (e.summary) ctx.out << " files:" << e.summary->files << " dirs:" << e.summary->dirs;
        if (!s.incomplete.empty()) ctx.out << " incomplete:" << s.incomplete;
        if (!s.pins.empty()) {
          ctx.out << " pins:";
          for (size_t p = 0; p < s.pins.size(); ++p) ctx.out << (p ? "," : "") << s.pins[p];
        }
        ctx.out << " (latest-" << (list.size() - i) << ")\n";
      }
    }
    return Status::OK();
  });
}

void AddSnapshotDeleteCommand(Command& root) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto really = std::make_shared<bool>(false);
  Command& cmd = SnapshotCommand(root).AddCommand("delete", "Delete (forget) snapshots by manifest ID.").Alias("rm");
  cmd.StringListArg("id", "Snapshot manifest IDs", ids.get(), true);
  cmd.BoolFlag("delete", "Accepted for kopia compatibility (ferry always deletes)", really.get());
  cmd.SetAction([ids](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository());
    for (const auto& id : *ids) {
      FERRY_ASSIGN_OR_RETURN(auto s, snapshot::LoadSnapshot(r->manifests(), id));
      FERRY_RETURN_IF_ERROR(r->manifests()->Delete(id));
      ctx.out << "Deleted snapshot " << id << " of " << s.source.ToString() << " at "
              << TimestampString(Nanos(s.start_time)) << "\n";
    }
    return r->Flush();
  });
}

}  // namespace ferry::cli
