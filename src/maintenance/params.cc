// Maintenance parameters: a `type=maintenance` manifest with kopia's JSON (maintenance.Params),
// so kopia and ferry read the same owner and schedule.
#include <nlohmann/json.hpp>

#include "maintenance/maintenance.h"

namespace ferry::maintenance {

namespace {

const manifest::Labels kLabels = {{"type", "maintenance"}};

// kopia's DefaultParams().
nlohmann::ordered_json DefaultParamsJson() {
  nlohmann::ordered_json j;
  j["owner"] = "";
  j["quick"] = {{"enabled", true}, {"interval", int64_t{3600} * 1'000'000'000}};
  j["full"] = {{"enabled", true}, {"interval", int64_t{24} * 3600 * 1'000'000'000}};
  j["logRetention"] = {{"maxTotalSize", int64_t{1} << 30}, {"maxCount", 10000},
                       {"maxAge", int64_t{30} * 24 * 3600 * 1'000'000'000}};
  j["extendObjectLocks"] = false;
  j["listParallelism"] = 0;
  return j;
}

// The stored JSON of the latest maintenance manifest (kopia's PickLatestID), or the defaults.
Result<nlohmann::ordered_json> LoadParamsJson(repo::Repository* repository) {
  FERRY_ASSIGN_OR_RETURN(auto found, repository->manifests()->Find(kLabels));
  if (found.empty()) return DefaultParamsJson();
  const manifest::ManifestEntryMetadata* latest = &found[0];
  for (const auto& m : found) {
    if (m.modified > latest->modified) latest = &m;
  }
  FERRY_ASSIGN_OR_RETURN(auto m, repository->manifests()->Get(latest->id));
  auto j = nlohmann::ordered_json::parse(m.data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("maintenance parameters (manifest " + latest->id + ") are not a JSON object");
  }
  return j;
}

void ReadCycle(const nlohmann::ordered_json& j, const char* name, bool* enabled, int64_t* interval) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_object()) {
    *enabled = false;  // Go's zero value of a missing CycleParams
    *interval = 0;
    return;
  }
  *enabled = it->value("enabled", false);
  *interval = it->value("interval", int64_t{0});
}

}  // namespace

Result<Params> ReadParams(repo::Repository* repository) {
  FERRY_ASSIGN_OR_RETURN(auto j, LoadParamsJson(repository));
  Params p;
  p.owner = j.value("owner", std::string());
  ReadCycle(j, "quick", &p.quick_enabled, &p.quick_interval_ns);
  ReadCycle(j, "full", &p.full_enabled, &p.full_interval_ns);
  return p;
}

Status WriteParams(repo::Repository* repository, const Params& params) {
  if (repository->read_only()) return Status::Unsupported("repository is open read-only");
  if (params.quick_interval_ns <= 0 || params.full_interval_ns <= 0) {
    return Status::InvalidArgument("maintenance intervals must be positive");
  }
  FERRY_ASSIGN_OR_RETURN(auto j, LoadParamsJson(repository));
  j["owner"] = params.owner;
  j["quick"] = {{"enabled", params.quick_enabled}, {"interval", params.quick_interval_ns}};
  j["full"] = {{"enabled", params.full_enabled}, {"interval", params.full_interval_ns}};
  // kopia's ReplaceManifests: the new manifest replaces every earlier one.
  FERRY_ASSIGN_OR_RETURN(auto found, repository->manifests()->Find(kLabels));
  for (const auto& m : found) FERRY_RETURN_IF_ERROR(repository->manifests()->Delete(m.id));
  FERRY_RETURN_IF_ERROR(repository->manifests()->Put(kLabels, j.dump()).status());
  return repository->Flush();
}

std::string NotOwnedMessage(const std::string& owner) {
  return "maintenance must be run by designated user: " + owner;
}

}  // namespace ferry::maintenance
