#include "snapshot/snapshot_manifest.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

namespace ferry::snapshot {

using Json = nlohmann::ordered_json;

Result<SourceInfo> ParseSourceInfo(std::string_view text, const std::string& default_user,
                                   const std::string& default_host) {
  SourceInfo s{default_host, default_user, ""};
  std::string_view rest = text;
  size_t at = text.find('@');
  size_t colon = text.find(':');
  if (at != std::string_view::npos && colon != std::string_view::npos && at < colon) {
    s.user_name = std::string(text.substr(0, at));
    s.host = std::string(text.substr(at + 1, colon - at - 1));
    rest = text.substr(colon + 1);
    if (s.user_name.empty() || s.host.empty()) {
      return Status::InvalidArgument("invalid source '" + std::string(text) + "' (expected user@host:path)");
    }
  }
  if (rest.empty()) return Status::InvalidArgument("invalid source '" + std::string(text) + "': empty path");
  std::error_code ec;
  std::filesystem::path p(rest);
  if (!p.is_absolute()) p = std::filesystem::absolute(p, ec);
  std::string path = p.lexically_normal().string();
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  s.path = path;
  return s;
}

std::string SnapshotManifestJson(const SnapshotManifest& m) {
  Json j;
  j["id"] = "";
  j["source"] = Json{{"host", m.source.host}, {"userName", m.source.user_name}, {"path", m.source.path}};
  j["description"] = m.description;
  j["startTime"] = FormatRfc3339Nano(m.start_time);
  j["endTime"] = FormatRfc3339Nano(m.end_time);
  const auto& s = m.stats;
  j["stats"] = Json{{"totalSize", s.total_size},           {"excludedTotalSize", s.excluded_total_size},
                    {"fileCount", s.file_count},           {"cachedFiles", s.cached_files},
                    {"nonCachedFiles", s.non_cached_files}, {"dirCount", s.dir_count},
                    {"excludedFileCount", s.excluded_file_count}, {"excludedDirCount", s.excluded_dir_count},
                    {"ignoredErrorCount", s.ignored_error_count}, {"errorCount", s.error_count}};
  if (!m.incomplete.empty()) j["incomplete"] = m.incomplete;
  j["rootEntry"] = Json::parse(DirEntryJson(m.root_entry));
  if (!m.tags.empty()) {
    Json t = Json::object();
    for (const auto& [k, v] : m.tags) t[k] = v;
    j["tags"] = t;
  }
  if (!m.storage_stats_json.empty()) {
    Json st = Json::parse(m.storage_stats_json, nullptr, false);
    if (!st.is_discarded()) j["storageStats"] = st;
  }
  if (!m.pins.empty()) j["pins"] = m.pins;
  // A source path (or description, tag) that is not UTF-8 is written with U+FFFD rather than
  // making dump() throw: the root entry's name already is (DirEntryJson).
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<SnapshotManifest> ParseSnapshotManifest(std::string_view text, std::string id) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("snapshot manifest " + id + " is not valid JSON");
  SnapshotManifest m;
  m.id = std::move(id);
  try {
    if (auto s = j.find("source"); s != j.end() && s->is_object()) {
      m.source.host = s->value("host", "");
      m.source.user_name = s->value("userName", "");
      m.source.path = s->value("path", "");
    }
    m.description = j.value("description", "");
    if (auto t = j.value("startTime", ""); !t.empty()) {
      FERRY_ASSIGN_OR_RETURN(m.start_time, ParseRfc3339Time(t));
    }
    if (auto t = j.value("endTime", ""); !t.empty()) {
      FERRY_ASSIGN_OR_RETURN(m.end_time, ParseRfc3339Time(t));
    }
    if (auto st = j.find("stats"); st != j.end() && st->is_object()) {
      auto g = [&](const char* k) { return st->value(k, int64_t{0}); };
      m.stats = {g("totalSize"),         g("excludedTotalSize"), g("fileCount"),        g("cachedFiles"),
                 g("nonCachedFiles"),    g("dirCount"),          g("excludedFileCount"), g("excludedDirCount"),
                 g("ignoredErrorCount"), g("errorCount")};
    }
    m.incomplete = j.value("incomplete", "");
    if (auto r = j.find("rootEntry"); r != j.end() && r->is_object()) {
      FERRY_ASSIGN_OR_RETURN(m.root_entry, ParseDirEntryJson(r->dump()));
    }
    if (auto t = j.find("tags"); t != j.end() && t->is_object()) {
      for (auto it = t->begin(); it != t->end(); ++it) {
        if (it.value().is_string()) m.tags[it.key()] = it.value().get<std::string>();
      }
    }
    if (auto st = j.find("storageStats"); st != j.end() && !st->is_null()) m.storage_stats_json = st->dump();
    if (auto p = j.find("pins"); p != j.end() && p->is_array()) {
      for (const auto& pin : *p) {
        if (pin.is_string()) m.pins.push_back(pin.get<std::string>());
      }
    }
  } catch (const std::exception& ex) {
    return Status::Corruption("snapshot manifest " + m.id + " is malformed: " + ex.what());
  }
  return m;
}

manifest::Labels SnapshotLabels(const SnapshotManifest& m) {
  manifest::Labels l;
  for (const auto& [k, v] : m.tags) l[k] = v;
  l["type"] = "snapshot";
  l["hostname"] = m.source.host;
  l["username"] = m.source.user_name;
  l["path"] = m.source.path;
  return l;
}

Result<std::string> SaveSnapshot(manifest::ManifestManager* manifests, const SnapshotManifest& m) {
  if (m.source.host.empty() || m.source.user_name.empty() || m.source.path.empty()) {
    return Status::InvalidArgument("a snapshot source needs a host, a user and a path");
  }
  return manifests->Put(SnapshotLabels(m), SnapshotManifestJson(m));
}

Result<SnapshotManifest> LoadSnapshot(manifest::ManifestManager* manifests, const std::string& id) {
  auto m = manifests->Get(id);
  if (!m.ok()) {
    if (m.status().code() == StatusCode::kNotFound) return Status::NotFound("snapshot " + id + " not found");
    return m.status();
  }
  auto it = m->labels.find("type");
  if (it == m->labels.end() || it->second != "snapshot") {
    return Status::InvalidArgument("manifest " + id + " is not a snapshot");
  }
  return ParseSnapshotManifest(m->data, id);
}

Result<std::vector<SnapshotManifest>> ListSnapshots(manifest::ManifestManager* manifests,
                                                    const std::optional<SourceInfo>& source,
                                                    bool include_incomplete) {
  manifest::Labels filter{{"type", "snapshot"}};
  if (source) {
    filter["hostname"] = source->host;
    filter["username"] = source->user_name;
    filter["path"] = source->path;
  }
  FERRY_ASSIGN_OR_RETURN(auto found, manifests->Find(filter));
  std::vector<SnapshotManifest> out;
  for (const auto& meta : found) {
    FERRY_ASSIGN_OR_RETURN(auto m, manifests->Get(meta.id));
    FERRY_ASSIGN_OR_RETURN(auto snap, ParseSnapshotManifest(m.data, meta.id));
    if (!snap.incomplete.empty() && !include_incomplete) continue;
    out.push_back(std::move(snap));
  }
  std::stable_sort(out.begin(), out.end(), [](const SnapshotManifest& a, const SnapshotManifest& b) {
    return a.start_time < b.start_time;
  });
  return out;
}

Result<std::vector<SourceInfo>> ListSources(manifest::ManifestManager* manifests) {
  FERRY_ASSIGN_OR_RETURN(auto found, manifests->Find({{"type", "snapshot"}}));
  std::set<SourceInfo> sources;
  for (const auto& meta : found) {
    auto get = [&](const char* k) {
      auto it = meta.labels.find(k);
      return it == meta.labels.end() ? std::string() : it->second;
    };
    sources.insert({get("hostname"), get("username"), get("path")});
  }
  return std::vector<SourceInfo>(sources.begin(), sources.end());
}

}  // namespace ferry::snapshot
