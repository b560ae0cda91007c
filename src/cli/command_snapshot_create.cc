// ferry snapshot create SOURCE: a directory tree, or with --block a block device or image,
// named like kopia's sources (user@host:path, --override-hostname/--override-username, and
// --source-path so the data mover can name a source by PVC rather than by the pod path).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <ostream>

#include "cli/cancellation.h"
#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/progress_display.h"
#include "cli/units.h"
#include "snapshot/uploader.h"

namespace ferry::cli {

namespace {

struct Options {
  std::string source;
  std::string block;
  std::string stdin_file;
  std::string source_path;
  std::string hostname, username;
  std::vector<std::string> tags;
  std::string description;
  std::vector<std::string> pins;
  int64_t parallel = 0;
  std::string compression;
  std::string checkpoint_interval;
  std::string progress;
  bool force_full = false;
  bool json = false;
};

Result<int64_t> ParseDuration(const std::string& text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  char unit = text.back();
  int64_t mult = 1'000'000'000;
  std::string number = text;
  if (unit == 's') number.pop_back();
  else if (unit == 'm') mult *= 60, number.pop_back();
  else if (unit == 'h') mult *= 3600, number.pop_back();
  try {
    size_t used = 0;
    double v = std::stod(number, &used);
    if (used != number.size() || v < 0) throw std::invalid_argument("x");
    return int64_t(v * double(mult));
  } catch (const std::exception&) {
    return Status::InvalidArgument("invalid duration '" + text + "' (use e.g. 45m, 30s, 1h)");
  }
}

Status Run(const Options& o, Context& ctx) {
  if (o.source.empty() && o.block.empty()) return Status::InvalidArgument("give a directory to snapshot, or --block DEVICE");
  FERRY_ASSIGN_OR_RETURN(auto repository, OpenConnectedRepository());
  std::string user = o.username.empty() ? repository->options().username : o.username;
  std::string host = o.hostname.empty() ? repository->options().hostname : o.hostname;
  std::string local = o.block.empty() ? o.source : o.block;
  std::string identity = o.source_path.empty() ? (o.block.empty() ? o.source : o.block) : o.source_path;
  FERRY_ASSIGN_OR_RETURN(snapshot::SourceInfo source, snapshot::ParseSourceInfo(identity, user, host));
  if (!o.hostname.empty()) source.host = o.hostname;
  if (!o.username.empty()) source.user_name = o.username;
  if (o.block.empty() && local.find('@') != std::string::npos && local.find(':') != std::string::npos) {
    local = local.substr(local.find(':') + 1);
  }

  snapshot::UploadOptions uo;
  uo.description = o.description;
  for (const auto& t : o.tags) {
    auto colon = t.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument("invalid tag '" + t + "' (use --tags key:value)");
    }
    uo.tags["tag:" + t.substr(0, colon)] = t.substr(colon + 1);
  }
  uo.pins = o.pins;
  uo.parallelism = int(o.parallel);
  uo.use_parent = !o.force_full;
  if (!o.compression.empty() && o.compression != "none") {
    FERRY_ASSIGN_OR_RETURN(auto c, compression::CompressorByName(o.compression));
    if (!c.can_compress) return Status::InvalidArgument("compressor " + c.name + " can only be read, not written");
    uo.compression = c.header_id;
  }
  if (!o.checkpoint_interval.empty()) {
    FERRY_ASSIGN_OR_RETURN(uo.checkpoint_interval_ns, ParseDuration(o.checkpoint_interval));
  }
  uo.cancel = InstallCancelHandlers();
  uo.note = [&ctx](const std::string& s) { ctx.err << "\r\033[K" << s << "\n"; };

  snapshot::Uploader uploader(repository.get(), uo);
  auto& p = uploader.progress();
  ctx.err << "Snapshotting " << source.ToString() << " ...\n";
  auto start = std::chrono::steady_clock::now();
  Result<snapshot::SnapshotManifest> result = Status::Internal("not run");
  {
    ProgressDisplay display(o.progress, "Uploading", [&p] {
      return ProgressSample{p.done_bytes(), p.total_bytes.load(), p.done_files(), p.errors.load(), p.cached_bytes.load()};
    });
    if (o.block.empty()) {
      std::error_code ec;
      std::string abs = std::filesystem::absolute(local, ec).lexically_normal().string();
      if (abs.size() > 1 && abs.back() == '/') abs.pop_back();
      result = uploader.SnapshotDirectory(source, abs);
    } else {
      std::string name = o.stdin_file.empty() ? std::filesystem::path(o.block).filename().string() : o.stdin_file;
      result = uploader.SnapshotBlock(source, o.block, name);
    }
  }
  if (!result.ok()) return result.status();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& m = *result;
  if (o.json) {
    ctx.out << snapshot::SnapshotManifestJson(m) << "\n";
  }
  ctx.out << "Created snapshot with root " << m.root_entry.object_id << " and ID " << m.id << " in "
          << GoDurationString(int64_t(secs) * 1000000000) << "\n";
  if (m.stats.error_count > 0) {
    ctx.err << "Found " << m.stats.error_count << " error(s) while snapshotting " << source.ToString() << ":\n";
    if (m.root_entry.summary) {
      for (const auto& e : m.root_entry.summary->errors) ctx.err << "  " << e.path << ": " << e.error << "\n";
    }
    return Status::IOError("snapshot saved, but " + std::to_string(m.stats.error_count) + " entries could not be read");
  }
  return Status::OK();
}

}  // namespace

void AddSnapshotCreateCommand(Command& root) {
  auto o = std::make_shared<Options>();
  Command& cmd = SnapshotCommand(root).AddCommand("create", "Creates a snapshot of local directory or file.");
  cmd.StringArg("source", "Directory to snapshot (or user@host:path)", &o->source, false);
  cmd.StringFlag("block", "Snapshot this block device or image file as one streaming file", &o->block);
  cmd.StringFlag("stdin-file", "File name of the streaming file of a --block snapshot", &o->stdin_file);
  cmd.StringFlag("source-path", "Record the snapshot under this source path instead of the local path", &o->source_path);
  cmd.StringFlag("override-hostname", "Override the hostname of the source", &o->hostname);
  cmd.StringFlag("override-username", "Override the username of the source", &o->username);
  cmd.StringListFlag("tags", "Tags applied on the snapshot (key:value); may be repeated", &o->tags);
  cmd.StringFlag("description", "Free-form snapshot description", &o->description);
  cmd.StringListFlag("pin", "Pins to add to the snapshot", &o->pins);
  cmd.IntFlag("parallel", "Upload N files in parallel (0: one per CPU)", &o->parallel, 0);
  cmd.StringFlag("compression", "Compress file data with this compressor (default none)", &o->compression);
  cmd.StringFlag("checkpoint-interval", "Write a checkpoint manifest this often (default 45m)", &o->checkpoint_interval);
  cmd.EnumFlag("progress", "Progress output", &o->progress, {"auto", "bar", "json", "none"}, "auto");
  cmd.BoolFlag("force-full", "Ignore the parent snapshot: read and hash every file", &o->force_full);
  cmd.BoolFlag("json", "Print the snapshot manifest as JSON", &o->json);
  cmd.SetAction([o](Context& ctx) { return Run(*o, ctx); });
}

}  // namespace ferry::cli
