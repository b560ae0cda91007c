#include "maintenance/schedule.h"

#include <algorithm>

#include "crypto/key_derivation.h"
#include "manifest/rfc3339.h"

namespace ferry::maintenance {

namespace {

constexpr const char* kGoZeroTime = "0001-01-01T00:00:00Z";
constexpr std::string_view kKeyPurpose = "maintenance schedule";
constexpr std::string_view kAad = "maintenance";

Result<Bytes> ScheduleKey(repo::Repository* repository) {
  if (!repository->config().enable_password_change) {
    // v1 repositories derive it from the format key, which ferry does not keep after opening.
    return Status::Unsupported("maintenance of format-version-1 repositories is not supported");
  }
  return crypto::DeriveKeyFromMasterKey(repository->config().master_key, repository->format_blob().unique_id,
                                        kKeyPurpose, 32);
}

}  // namespace

std::string GoTimeJson(int64_t unix_nanos) {
  if (unix_nanos == 0) return kGoZeroTime;
  return FormatRfc3339Nano(unix_nanos);
}

int64_t ParseGoTime(const nlohmann::ordered_json& value) {
  if (!value.is_string()) return 0;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.starts_with("0001-01-01T00:00:00")) return 0;
  auto t = ParseRfc3339(text);
  return t.ok() ? *t : 0;
}

std::vector<RunInfo> Schedule::Runs(const std::string& task) const {
  std::vector<RunInfo> out;
  auto it = runs.find(task);
  if (it == runs.end() || !it->is_array()) return out;
  for (const auto& r : *it) {
    if (!r.is_object()) continue;
    RunInfo info;
    info.start_ns = r.contains("start") ? ParseGoTime(r["start"]) : 0;
    info.end_ns = r.contains("end") ? ParseGoTime(r["end"]) : 0;
    info.success = r.value("success", false);
    info.error = r.value("error", std::string());
    out.push_back(std::move(info));
  }
  return out;
}

void Schedule::ReportRun(const std::string& task, const RunInfo& run) {
  nlohmann::ordered_json entry;
  entry["start"] = GoTimeJson(run.start_ns);
  entry["end"] = GoTimeJson(run.end_ns);
  if (run.success) entry["success"] = true;
  if (!run.error.empty()) entry["error"] = run.error;
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  history.push_back(std::move(entry));
  auto it = runs.find(task);
  if (it != runs.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (history.size() >= kMaxRunsPerTask) break;
      history.push_back(r);
    }
  }
  runs[task] = std::move(history);
}

int64_t Schedule::MaxSuccessfulEnd(std::initializer_list<const char*> tasks) const {
  int64_t latest = 0;
  for (const char* task : tasks) {
    for (const auto& r : Runs(task)) {
      if (r.success) latest = std::max(latest, r.end_ns);
    }
  }
  return latest;
}

int64_t FindSafeDropTime(const std::vector<RunInfo>& gc_runs, int64_t margin_between_ns, int64_t extra_margin_ns) {
  std::vector<RunInfo> ok;
  for (const auto& r : gc_runs) {
    if (r.success) ok.push_back(r);
  }
  if (ok.size() <= 1) return 0;
  std::sort(ok.begin(), ok.end(), [](const RunInfo& a, const RunInfo& b) { return a.start_ns > b.start_ns; });
  for (size_t i = 1; i < ok.size(); ++i) {
    if (ok[0].start_ns - ok[i].end_ns > margin_between_ns) return ok[i].start_ns - extra_margin_ns;
  }
  return 0;
}

Result<Schedule> ReadSchedule(repo::Repository* repository) {
  Schedule s;
  auto raw = repository->storage()->GetBlob(kScheduleBlobId);
  if (!raw.ok()) {
    if (raw.status().code() == StatusCode::kNotFound) return s;
    return raw.status().WithContext("reading the maintenance schedule");
  }
  FERRY_ASSIGN_OR_RETURN(Bytes key, ScheduleKey(repository));
  auto plain = crypto::AesGcmOpen(key, *raw, AsBytes(kAad));
  if (!plain.ok()) return Status::Corruption("kopia.maintenance cannot be decrypted: " + plain.status().message());
  auto j = nlohmann::ordered_json::parse(plain->begin(), plain->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("kopia.maintenance is not a JSON object");
  if (j.contains("nextFullMaintenance")) s.next_full_ns = ParseGoTime(j["nextFullMaintenance"]);
  if (j.contains("nextQuickMaintenance")) s.next_quick_ns = ParseGoTime(j["nextQuickMaintenance"]);
  if (j.contains("runs") && j["runs"].is_object()) s.runs = j["runs"];
  return s;
}

Status WriteSchedule(repo::Repository* repository, const Schedule& schedule) {
  if (repository->read_only()) return Status::Unsupported("repository is open read-only");
  nlohmann::ordered_json j;
  j["nextFullMaintenance"] = GoTimeJson(schedule.next_full_ns);
  j["nextQuickMaintenance"] = GoTimeJson(schedule.next_quick_ns);
  j["runs"] = schedule.runs;
  std::string text = j.dump();
  FERRY_ASSIGN_OR_RETURN(Bytes key, ScheduleKey(repository));
  FERRY_ASSIGN_OR_RETURN(Bytes sealed, crypto::AesGcmSeal(key, AsBytes(text), AsBytes(kAad)));
  return repository->storage()->PutBlob(kScheduleBlobId, sealed).WithContext("writing the maintenance schedule");
}

}  // namespace ferry::maintenance
