// ferry maintenance run|info|set: kopia's maintenance commands. Ownership and the schedule live
// where kopia keeps them (the `type=maintenance` manifest and kopia.maintenance), so whichever
// tool owns a repository's maintenance, the other one refuses to run it.
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/units.h"
#include "maintenance/maintenance.h"
#include "maintenance/schedule.h"

namespace ferry::cli {

namespace {

constexpr int64_t kSecond = 1'000'000'000;

// Go's time.Duration.String() for whole seconds and above ("1h0m0s", "24h0m0s", "90s" -> "1m30s").
std::string GoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  int64_t s = ns / kSecond;
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s >= 60) out += std::to_string((s % 3600) / 60) + "m";
  out += std::to_string(s % 60) + "s";
  return out;
}

// Go's time.ParseDuration for h/m/s units and their combinations ("1h", "90m", "1h30m", "45s").
Result<int64_t> ParseGoDuration(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i == text.size()) {
      return Status::InvalidArgument("invalid duration '" + std::string(text) + "' (use e.g. 1h, 30m, 1h30m)");
    }
    int64_t n = std::stoll(std::string(text.substr(start, i - start)));
    char unit = text[i++];
    if (unit == 'h') total += n * 3600 * kSecond;
    else if (unit == 'm') total += n * 60 * kSecond;
    else if (unit == 's') total += n * kSecond;
    else return Status::InvalidArgument("invalid duration unit in '" + std::string(text) + "' (use h, m or s)");
  }
  if (total <= 0) return Status::InvalidArgument("duration must be positive: " + std::string(text));
  return total;
}

Result<bool> ParseBool(const std::string& flag, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return Status::InvalidArgument("--" + flag + " must be true or false, not '" + value + "'");
}

std::string Identity(const repo::Repository& r) { return r.options().username + "@" + r.options().hostname; }

std::string NextRun(int64_t next_ns) {
  if (next_ns == 0) return "now";
  return TimestampString(next_ns);
}

void AddRun(Command& group) {
  struct Options {
    bool full = false;
    std::string safety;
  };
  auto o = std::make_shared<Options>();
  Command& cmd = group.AddCommand("run", "Run repository maintenance (only the maintenance owner may).");
  cmd.BoolFlag("full", "Full maintenance (snapshot GC, pack rewrite and deletion)", &o->full);
  cmd.EnumFlag("safety", "Safety level: 'full' keeps kopia's margins (safe with concurrent writers), 'none' reclaims at once",
               &o->safety, {"full", "none"}, "full");
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(false));
    maintenance::RunOptions ro;
    ro.full = o->full;
    ro.safety = o->safety == "none" ? maintenance::Safety::kNone : maintenance::Safety::kFull;
    ro.user_at_host = Identity(*r);
    ro.note = [&ctx](const std::string& line) { ctx.err << line << "\n"; };
    FERRY_ASSIGN_OR_RETURN(auto report, maintenance::Run(r.get(), ro));
    ctx.out << report.Summary() << "\n";
    return Status::OK();
  });
}

void AddInfo(Command& group) {
  auto json = std::make_shared<bool>(false);
  Command& cmd = group.AddCommand("info", "Show maintenance parameters, schedule and recent runs.");
  cmd.BoolFlag("json", "Output result in JSON format to stdout", json.get());
  cmd.SetAction([json](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    FERRY_ASSIGN_OR_RETURN(auto params, maintenance::ReadParams(r.get()));
    FERRY_ASSIGN_OR_RETURN(auto schedule, maintenance::ReadSchedule(r.get()));
    if (*json) {
      nlohmann::ordered_json j;
      j["params"] = {{"owner", params.owner},
                     {"quick", {{"enabled", params.quick_enabled}, {"interval", params.quick_interval_ns}}},
                     {"full", {{"enabled", params.full_enabled}, {"interval", params.full_interval_ns}}}};
      j["schedule"] = {{"nextFullMaintenance", maintenance::GoTimeJson(schedule.next_full_ns)},
                       {"nextQuickMaintenance", maintenance::GoTimeJson(schedule.next_quick_ns)},
                       {"runs", schedule.runs}};
      ctx.out << j.dump(2) << "\n";
      return Status::OK();
    }
    ctx.out << "Owner: " << params.owner << "\n";
    ctx.out << "Quick Cycle:\n  scheduled: " << (params.quick_enabled ? "enabled" : "disabled") << "\n";
    if (params.quick_enabled) {
      ctx.out << "  interval: " << GoDuration(params.quick_interval_ns) << "\n";
      ctx.out << "  next run: " << NextRun(schedule.next_quick_ns) << "\n";
    }
    ctx.out << "Full Cycle:\n  scheduled: " << (params.full_enabled ? "enabled" : "disabled") << "\n";
    if (params.full_enabled) {
      ctx.out << "  interval: " << GoDuration(params.full_interval_ns) << "\n";
      ctx.out << "  next run: " << NextRun(schedule.next_full_ns) << "\n";
    }
    ctx.out << "Recent Maintenance Runs:\n";
    for (const auto& [task, runs] : schedule.runs.items()) {
      ctx.out << "  " << task << ":\n";
      for (const auto& run : schedule.Runs(task)) {
        ctx.out << "    " << TimestampString(run.start_ns) << " ("
                << GoDuration((run.end_ns - run.start_ns) / kSecond * kSecond) << ") "
                << (run.success ? "SUCCESS" : "ERROR: " + run.error) << "\n";
      }
    }
    return Status::OK();
  });
}

void AddSet(Command& group) {
  struct Options {
    std::string owner, enable_quick, enable_full, quick_interval, full_interval;
  };
  auto o = std::make_shared<Options>();
  Command& cmd = group.AddCommand("set", "Set maintenance parameters (owner, schedule).");
  cmd.StringFlag("owner", "Set the maintenance owner: user@host, or 'me' for this client", &o->owner);
  cmd.StringFlag("enable-quick", "Enable or disable quick maintenance (true|false)", &o->enable_quick);
  cmd.StringFlag("enable-full", "Enable or disable full maintenance (true|false)", &o->enable_full);
  cmd.StringFlag("quick-interval", "Interval of quick maintenance (e.g. 1h)", &o->quick_interval);
  cmd.StringFlag("full-interval", "Interval of full maintenance (e.g. 24h)", &o->full_interval);
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(false));
    FERRY_ASSIGN_OR_RETURN(auto params, maintenance::ReadParams(r.get()));
    bool changed = false;
    if (!o->owner.empty()) {
      params.owner = o->owner == "me" ? Identity(*r) : o->owner;
      if (params.owner.find('@') == std::string::npos) {
        return Status::InvalidArgument("--owner must be user@host or 'me', not '" + o->owner + "'");
      }
      ctx.err << "Setting maintenance owner to " << params.owner << "\n";
      changed = true;
    }
    if (!o->enable_quick.empty()) {
      FERRY_ASSIGN_OR_RETURN(params.quick_enabled, ParseBool("enable-quick", o->enable_quick));
      changed = true;
    }
    if (!o->enable_full.empty()) {
      FERRY_ASSIGN_OR_RETURN(params.full_enabled, ParseBool("enable-full", o->enable_full));
      changed = true;
    }
    if (!o->quick_interval.empty()) {
      FERRY_ASSIGN_OR_RETURN(params.quick_interval_ns, ParseGoDuration(o->quick_interval));
      changed = true;
    }
    if (!o->full_interval.empty()) {
      FERRY_ASSIGN_OR_RETURN(params.full_interval_ns, ParseGoDuration(o->full_interval));
      changed = true;
    }
    if (!changed) return Status::InvalidArgument("no maintenance parameters to change (see --help)");
    return maintenance::WriteParams(r.get(), params);
  });
}

}  // namespace

void AddMaintenanceCommands(Command& root) {
  Command& group = root.AddCommand("maintenance", "Repository maintenance: reclaim space, compact indexes.");
  AddRun(group);
  AddInfo(group);
  AddSet(group);
}

}  // namespace ferry::cli
