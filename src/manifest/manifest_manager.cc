#include "manifest/manifest_manager.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "crypto/encryption.h"

namespace ferry::manifest {
namespace {

constexpr size_t kManifestIdBytes = 16;
// Loading races with another client's compaction (a listed content is deleted before we read
// it); kopia retries the whole load in that case. Bounded here so a persistent NotFound surfaces.
constexpr int kLoadAttempts = 5;

bool MatchesLabels(const Labels& labels, const Labels& subset) {
  for (const auto& [key, value] : subset) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

ManifestEntryMetadata Metadata(const ManifestEntry& e) {
  return ManifestEntryMetadata{e.id, e.labels, e.modified, e.data.size()};
}

}  // namespace

ManifestManager::ManifestManager(content::ContentManager* contents,
                                 ManifestManagerOptions options)
    : contents_(contents), options_(std::move(options)) {}

Result<std::unique_ptr<ManifestManager>> ManifestManager::Open(content::ContentManager* contents,
                                                               ManifestManagerOptions options) {
  std::unique_ptr<ManifestManager> m(new ManifestManager(contents, std::move(options)));
  {
    std::lock_guard<std::mutex> lock(m->mu_);
    FERRY_RETURN_IF_ERROR(m->LoadLocked());
  }
  return m;
}

int64_t ManifestManager::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status ManifestManager::LoadLocked() {
  std::map<content::ContentId, std::vector<ManifestEntry>> loaded;
  Status status;
  for (int attempt = 0; attempt < kLoadAttempts; ++attempt) {
    loaded.clear();
    std::vector<content::ContentId> ids;
    // Contents are visited in key order and `m` sorts after every unprefixed ID and g..l, so the
    // walk stops as soon as it has passed the `m` range.
    const Status kPastRange = Status::Cancelled("past the m range");
    status = contents_->IterateContents(false, [&](const content::ContentInfo& info) {
      char prefix = info.id.prefix();
      if (prefix > kManifestContentPrefix) return kPastRange;
      if (prefix == kManifestContentPrefix) ids.push_back(info.id);
      return Status::OK();
    });
    if (!status.ok() && !(status.code() == StatusCode::kCancelled &&
                          status.message() == kPastRange.message())) {
      return status.WithContext("listing manifest contents");
    }
    status = Status::OK();
    Bytes plaintext;
    for (const content::ContentId& id : ids) {
      status = contents_->GetContent(id, &plaintext);
      if (!status.ok()) break;
      auto entries = DecodeManifestContent(plaintext, id.ToString());
      if (!entries.ok()) return entries.status();
      loaded.emplace(id, std::move(entries).value());
    }
    if (status.ok() || status.code() != StatusCode::kNotFound) break;
  }
  if (!status.ok()) return status.WithContext("loading manifest contents");

  std::map<std::string, ManifestEntry> merged;
  committed_contents_.clear();
  for (auto& [content_id, entries] : loaded) {  // in content ID order: deterministic ties
    committed_contents_.insert(content_id);
    for (ManifestEntry& e : entries) {
      auto it = merged.find(e.id);
      if (it == merged.end()) {
        std::string id = e.id;
        merged.emplace(std::move(id), std::move(e));
      } else if (e.modified > it->second.modified) {
        it->second = std::move(e);
      }
    }
  }
  std::erase_if(merged, [](const auto& kv) { return kv.second.deleted; });
  committed_ = std::move(merged);

  if (options_.auto_compaction_threshold > 0 &&
      committed_contents_.size() >= static_cast<size_t>(options_.auto_compaction_threshold)) {
    FERRY_RETURN_IF_ERROR(CompactLocked().WithContext("auto-compacting manifests"));
    FERRY_RETURN_IF_ERROR(
        contents_->Flush().WithContext("flushing contents after manifest compaction"));
  }
  return Status::OK();
}

Result<content::ContentId> ManifestManager::WriteEntriesLocked(
    const std::vector<const ManifestEntry*>& entries) {
  FERRY_ASSIGN_OR_RETURN(Bytes gz, EncodeManifestContent(entries));
  // Metadata compression as kopia asks for it; the content layer stores the gzip as it is when
  // zstd does not shrink it (the usual case).
  auto id = contents_->WriteContent(gz, kManifestContentPrefix, 0x1101 /* zstd-fastest */);
  if (!id.ok()) return id.status().WithContext("writing manifest content");
  return id;
}

Status ManifestManager::CompactLocked() {
  if (committed_contents_.size() <= 1) return Status::OK();
  std::set<content::ContentId> kept;
  if (!committed_.empty()) {
    std::vector<const ManifestEntry*> entries;
    entries.reserve(committed_.size());
    for (const auto& [id, e] : committed_) entries.push_back(&e);
    FERRY_ASSIGN_OR_RETURN(content::ContentId written, WriteEntriesLocked(entries));
    kept.insert(written);
  }
  for (auto it = committed_contents_.begin(); it != committed_contents_.end();) {
    if (kept.contains(*it)) {  // identical to what was just written: keep it
      ++it;
      continue;
    }
    Status s = contents_->DeleteContent(*it);
    if (!s.ok()) return s.WithContext("deleting manifest content " + it->ToString());
    it = committed_contents_.erase(it);
  }
  committed_contents_.insert(kept.begin(), kept.end());
  return Status::OK();
}

const ManifestEntry* ManifestManager::LookupLocked(const std::string& id) const {
  if (auto it = pending_.find(id); it != pending_.end()) return &it->second;
  if (auto it = committed_.find(id); it != committed_.end()) return &it->second;
  return nullptr;
}

Result<std::string> ManifestManager::Put(Labels labels, std::string_view data_json) {
  auto type = labels.find(std::string(kTypeLabel));
  if (type == labels.end() || type->second.empty()) {
    return Status::InvalidArgument("manifest labels must include a non-empty 'type'");
  }
  nlohmann::ordered_json data = nlohmann::ordered_json::parse(data_json, nullptr, false);
  if (data.is_discarded()) return Status::InvalidArgument("manifest data is not valid JSON");

  uint8_t random[kManifestIdBytes];
  FERRY_RETURN_IF_ERROR(crypto::RandomBytes(random));
  ManifestEntry e;
  e.id = HexEncode(ByteView(random, sizeof(random)));
  e.labels = std::move(labels);
  e.modified = Now();
  e.data = data.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);

  std::lock_guard<std::mutex> lock(mu_);
  std::string id = e.id;
  pending_[id] = std::move(e);
  return id;
}

Result<Manifest> ManifestManager::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  const ManifestEntry* e = LookupLocked(id);
  if (e == nullptr || e->deleted) return Status::NotFound("manifest " + id + " not found");
  return Manifest{e->id, e->labels, e->modified, e->data};
}

Result<std::vector<ManifestEntryMetadata>> ManifestManager::Find(const Labels& label_subset) {
  std::vector<ManifestEntryMetadata> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, e] : pending_) {
      if (!e.deleted && MatchesLabels(e.labels, label_subset)) out.push_back(Metadata(e));
    }
    for (const auto& [id, e] : committed_) {
      if (pending_.contains(id)) continue;  // replaced or deleted since
      if (MatchesLabels(e.labels, label_subset)) out.push_back(Metadata(e));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.modified != b.modified ? a.modified < b.modified : a.id < b.id;
  });
  return out;
}

Status ManifestManager::Delete(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  const ManifestEntry* e = LookupLocked(id);
  if (e == nullptr) return Status::OK();
  // The marker must be strictly newer than the entry it hides, even if the entry came from a
  // client whose clock runs ahead of ours.
  ManifestEntry marker;
  marker.id = id;
  marker.modified = std::max(Now(), e->modified + 1);
  marker.deleted = true;
  pending_[id] = std::move(marker);
  return Status::OK();
}

Status ManifestManager::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (pending_.empty()) return Status::OK();
  std::vector<const ManifestEntry*> entries;
  entries.reserve(pending_.size());
  for (const auto& [id, e] : pending_) entries.push_back(&e);
  FERRY_ASSIGN_OR_RETURN(content::ContentId written, WriteEntriesLocked(entries));
  committed_contents_.insert(written);
  for (auto& [id, e] : pending_) {
    if (e.deleted) {
      committed_.erase(id);
    } else {
      committed_[id] = std::move(e);
    }
  }
  pending_.clear();
  return Status::OK();
}

Status ManifestManager::Refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  return LoadLocked();
}

Status ManifestManager::Compact() {
  std::lock_guard<std::mutex> lock(mu_);
  return CompactLocked();
}

size_t ManifestManager::committed_content_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return committed_contents_.size();
}

}  // namespace ferry::manifest
