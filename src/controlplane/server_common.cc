#include "controlplane/server_common.h"

#include <fnmatch.h>

#include <cctype>
#include <chrono>
#include <random>
#include <thread>

#include "resource/time_util.h"

namespace ferry::controlplane {

bool IsTerminalBackupPhase(std::string_view phase) {
  return phase == kPhaseCompleted || phase == kPhasePartiallyFailed || phase == kPhaseFailed ||
         phase == kPhaseFailedValidation;
}

namespace {
bool MatchesAny(const std::string& ns, const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns) {
    if (p == "*" || fnmatch(p.c_str(), ns.c_str(), 0) == 0) return true;
  }
  return false;
}
}  // namespace

bool NamespaceIncluded(const std::string& ns, const std::vector<std::string>& included,
                       const std::vector<std::string>& excluded) {
  if (!included.empty() && !MatchesAny(ns, included)) return false;
  return !MatchesAny(ns, excluded);
}

std::vector<std::string> StringListAt(const resource::Object& o, std::string_view dotted_path) {
  const resource::Object* node = &o;
  size_t start = 0;
  while (start <= dotted_path.size()) {
    size_t dot = dotted_path.find('.', start);
    std::string key(dotted_path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (!node->is_object() || !node->contains(key)) return {};
    node = &(*node)[key];
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  std::vector<std::string> out;
  if (!node->is_array()) return out;
  for (const auto& v : *node) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool IsTerminalMoverPhase(std::string_view phase) {
  return phase == "Completed" || phase == "Failed" || phase == "Canceled";
}

Status FailInterruptedRuns(resource::Store& store, std::string_view kind, std::string_view mover_kind,
                           std::string_view uid_label) {
  std::string noun(kind);
  for (char& c : noun) c = char(std::tolower(static_cast<unsigned char>(c)));
  FERRY_ASSIGN_OR_RETURN(auto runs, store.List(kind, {}));
  for (const resource::Object& run : runs) {
    if (resource::StringAt(run, "status.phase") != kPhaseInProgress) continue;
    LogWarning(noun + " " + resource::Namespace(run) + "/" + resource::Name(run) +
               " was InProgress when the server stopped; marking it Failed");
    resource::Object failed = {{"status",
                                {{"phase", kPhaseFailed},
                                 {"failureReason", "found a " + noun + " with status \"InProgress\" during the server "
                                                   "starting, mark it as \"Failed\""},
                                 {"completionTimestamp", resource::NowRfc3339()}}}};
    FERRY_RETURN_IF_ERROR(Patch(store, run, failed).status());
    resource::ListOptions options;
    options.namespace_name = resource::Namespace(run);
    options.selector = resource::LabelSelector::Equals({{std::string(uid_label), resource::Uid(run)}});
    FERRY_ASSIGN_OR_RETURN(auto movers, store.List(mover_kind, options));
    for (const resource::Object& mover : movers) {
      if (IsTerminalMoverPhase(resource::StringAt(mover, "status.phase"))) continue;
      FERRY_RETURN_IF_ERROR(Patch(store, mover, resource::Object{{"spec", {{"cancel", true}}}}).status());
    }
  }
  return Status::OK();
}

Result<resource::Object> Patch(resource::Store& store, const resource::Object& target,
                               const resource::Object& patch) {
  for (int attempt = 0;; ++attempt) {
    auto r = store.MergePatch(resource::Kind(target), resource::Namespace(target),
                              resource::Name(target), patch);
    if (r.ok() || r.status().code() != StatusCode::kConflict || attempt >= 20) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<int64_t> DurationAt(const resource::Object& o, std::string_view dotted_path,
                           int64_t fallback_nanos) {
  std::string text = resource::StringAt(o, dotted_path);
  if (text.empty()) return fallback_nanos;
  auto d = resource::ParseGoDurationNanos(text);
  if (!d.ok()) {
    return Status::InvalidArgument(std::string(dotted_path) + ": " + d.status().message());
  }
  return *d;
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";  // as Kubernetes' rand
  std::string s;
  for (int i = 0; i < 5; ++i) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return s;
}

Result<resource::Object> FindStorageLocation(resource::Store& store, const std::string& ns,
                                             const std::string& name) {
  if (!name.empty()) {
    auto bsl = store.Get("BackupStorageLocation", ns, name);
    if (!bsl.ok() && bsl.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("backup storage location \"" + name + "\" does not exist in namespace " +
                              ns + " (apply a DataProtectionApplication or a BackupStorageLocation)");
    }
    return bsl;
  }
  resource::ListOptions options;
  options.namespace_name = ns;
  FERRY_ASSIGN_OR_RETURN(auto all, store.List("BackupStorageLocation", options));
  for (auto& bsl : all) {
    if (resource::BoolAt(bsl, "spec.default")) return bsl;
  }
  if (all.size() == 1) return all.front();
  return Status::NotFound("no storageLocation given and no default backup storage location "
                          "(spec.default: true) in namespace " + ns);
}

}  // namespace ferry::controlplane
