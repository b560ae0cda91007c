// ConnectOrCreate, Describe, ListSnapshots, ForgetSnapshots: the repository side of the datapath.
#include <algorithm>

#include "blob/storage_config.h"
#include "crypto/encryption.h"
#include "crypto/hashing.h"
#include "datapath/datapath.h"
#include "datapath/session.h"
#include "manifest/rfc3339.h"
#include "snapshot/snapshot_manifest.h"
#include "splitter/splitter.h"

namespace ferry::datapath {

namespace {

// Velero's connection identity (§6.5): every node agent and the server connect as default@default,
// which is also the maintenance owner written at creation.
constexpr const char* kVeleroUser = "default";
constexpr const char* kVeleroHost = "default";

// A name given for a new repository, or kopia's default when empty; unknown names are refused
// with the list of valid ones (the engine's registries produce that message).
Status CheckAlgorithms(repo::NewRepositoryOptions* o, const NewRepositoryAlgorithms& a) {
  if (!a.hash.empty()) o->hash = a.hash;
  if (!a.encryption.empty()) o->encryption = a.encryption;
  if (!a.splitter.empty()) o->splitter = a.splitter;
  Bytes probe(32, 1);
  FERRY_RETURN_IF_ERROR(crypto::NewHashFunction(o->hash, probe).status());
  FERRY_RETURN_IF_ERROR(crypto::NewEncryptor(o->encryption, probe).status());
  FERRY_RETURN_IF_ERROR(splitter::GetSplitterFactory(o->splitter).status());
  return Status::OK();
}

Result<std::unique_ptr<repo::Repository>> OpenRepository(std::shared_ptr<blob::Storage> storage,
                                                         const std::string& password,
                                                         const std::string& location) {
  repo::OpenOptions o;
  o.username = kVeleroUser;
  o.hostname = kVeleroHost;
  o.location = location;
  auto r = repo::Repository::Open(std::move(storage), password, o);
  if (!r.ok() && r.status().code() == StatusCode::kAuthentication) {
    return Status::Authentication(
        r.status().message() +
        " (a repository keeps the password it was created with; give that one, or use a new location)");
  }
  return r;
}

}  // namespace

std::map<std::string, std::string> NormalizeStorageConfig(const std::map<std::string, std::string>& storage) {
  static const std::map<std::string, std::string> kAliases = {
      {"access-key", "accessKeyID"},
      {"secret-access-key", "secretAccessKey"},
      {"session-token", "sessionToken"},
      {"disable-tls", "doNotUseTLS"},
      {"disable-tls-verification", "doNotVerifyTLS"},
      {"ca-cert", "rootCA"},  // base64 of PEM, as Velero's BSL caCert
      {"addressing-style", "addressingStyle"},
      {"credentials-file", "credentialsFile"},
  };
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : storage) {
    auto a = kAliases.find(k);
    out[a == kAliases.end() ? k : a->second] = v;
  }
  // Velero's s3ForcePathStyle.
  if (auto it = out.find("force-path-style"); it != out.end()) {
    if (it->second == "true" && !out.count("addressingStyle")) out["addressingStyle"] = "path";
    out.erase(it);
  }
  return out;
}

}  // namespace ferry::datapath

void std::default_delete<ferry::datapath::Session>::operator()(ferry::datapath::Session* session) const {
  delete session;
}

namespace ferry::datapath {

Result<std::unique_ptr<Session>> ConnectOrCreate(const RepositoryLocation& location,
                                                 const NewRepositoryAlgorithms& algorithms,
                                                 bool create_if_missing) {
  std::map<std::string, std::string> config = NormalizeStorageConfig(location.storage);
  if (location.password.empty()) return Status::InvalidArgument("a repository password is required");
  const std::string where = blob::DescribeStorageConfig(config);
  FERRY_ASSIGN_OR_RETURN(std::shared_ptr<blob::Storage> storage,
                         blob::OpenStorageFromConfig(config, create_if_missing));

  bool created = false;
  auto repository = OpenRepository(storage, location.password, where);
  if (!repository.ok() && repository.status().code() == StatusCode::kNotFound) {
    // Only "kopia.repository is missing" means "not initialized"; anything else stays an error.
    auto format = storage->GetMetadata(format::kFormatBlobId);
    if (format.ok() || format.status().code() != StatusCode::kNotFound) return repository.status();
    if (!create_if_missing) return repository.status();
    repo::NewRepositoryOptions n;
    FERRY_RETURN_IF_ERROR(CheckAlgorithms(&n, algorithms));
    n.maintenance_owner = std::string(kVeleroUser) + "@" + kVeleroHost;
    // kopia refuses to create a repository where anything is stored already.
    std::vector<std::string> found;
    Status listed = storage->ListBlobs("", [&](const blob::BlobMetadata& m) {
      found.push_back(m.id);
      return found.size() >= 3 ? Status::Cancelled("enough") : Status::OK();
    });
    if (!listed.ok() && listed.code() != StatusCode::kCancelled) return listed;
    if (!found.empty()) {
      std::string names;
      for (const auto& f : found) names += (names.empty() ? "" : ", ") + f;
      return Status::AlreadyExists("found existing data in storage location " + where + " (" + names +
                                   (found.size() >= 3 ? ", ..." : "") +
                                   ") but no kopia.repository; use an empty location");
    }
    Status init = repo::InitializeRepository(storage.get(), location.password, n, where);
    // Another process may have created it in the meantime: then connect to theirs.
    if (!init.ok() && init.code() != StatusCode::kAlreadyExists) return init;
    created = init.ok();
    repository = OpenRepository(storage, location.password, where);
  }
  if (!repository.ok()) return repository.status();

  RepositoryInfo info;
  info.location = where;
  const auto& cfg = (*repository)->config();
  info.hash = cfg.hash;
  info.encryption = cfg.encryption;
  info.splitter = cfg.splitter;
  info.format_version = cfg.version;
  info.created = created;
  return std::make_unique<Session>(std::move(storage), std::move(*repository), std::move(info));
}

RepositoryInfo Describe(const Session& session) { return session.info(); }

Result<std::vector<SnapshotInfo>> ListSnapshots(Session& session) {
  FERRY_ASSIGN_OR_RETURN(auto snaps, snapshot::ListSnapshots(session.repository()->manifests(), std::nullopt, true));
  std::vector<SnapshotInfo> out;
  out.reserve(snaps.size());
  for (const auto& s : snaps) {
    SnapshotInfo i;
    i.id = s.id;
    i.source = s.source.ToString();
    // Velero's tags are stored as given; tags made by `snapshot create --tags` carry "tag:".
    for (const auto& [k, v] : s.tags) i.tags[k.starts_with("tag:") ? k.substr(4) : k] = v;
    i.total_bytes = s.stats.total_size;
    i.start_time = FormatRfc3339Nano(s.start_time);
    i.incomplete = !s.incomplete.empty();
    out.push_back(std::move(i));
  }
  return out;
}

Result<int> ForgetSnapshots(Session& session, const std::vector<std::string>& snapshot_ids) {
  auto* manifests = session.repository()->manifests();
  int deleted = 0;
  for (const auto& id : snapshot_ids) {
    auto m = snapshot::LoadSnapshot(manifests, id);
    if (!m.ok()) {
      if (m.status().code() == StatusCode::kNotFound) continue;
      return m.status().WithContext("forgetting snapshot " + id);
    }
    FERRY_RETURN_IF_ERROR(manifests->Delete(id));
    ++deleted;
  }
  FERRY_RETURN_IF_ERROR(session.repository()->Flush());
  return deleted;
}

}  // namespace ferry::datapath
