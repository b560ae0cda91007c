// ferry repository status: what kopia's `repository status` prints, field for field.
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/units.h"
#include "content/epoch_manager.h"

namespace ferry::cli {

namespace {

std::string StorageConfigJson(const std::map<std::string, std::string>& storage) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  std::string type = storage.count("type") ? storage.at("type") : "";
  if (type == "filesystem") {
    j["path"] = storage.count("path") ? storage.at("path") : "";
    j["fileMode"] = 384;
    j["dirMode"] = 448;
    j["dirShards"] = nullptr;
  } else if (type == "s3") {
    // kopia's s3.Options in its field order, "omitempty" fields left out when empty, and the
    // fields kopia tags sensitive replaced by as many '*' as they have characters.
    auto get = [&](const char* k) { return storage.count(k) ? storage.at(k) : std::string(); };
    auto mask = [](const std::string& v) { return std::string(v.size(), '*'); };
    j["bucket"] = get("bucket");
    if (!get("prefix").empty()) j["prefix"] = get("prefix");
    j["endpoint"] = get("endpoint");
    if (get("doNotUseTLS") == "true") j["doNotUseTLS"] = true;
    if (get("doNotVerifyTLS") == "true") j["doNotVerifyTLS"] = true;
    if (!get("rootCA").empty()) j["rootCA"] = get("rootCA");
    j["accessKeyID"] = get("accessKeyID");
    j["secretAccessKey"] = mask(get("secretAccessKey"));
    j["sessionToken"] = mask(get("sessionToken"));
    j["roleARN"] = "";
    j["sessionName"] = "";
    j["duration"] = "0s";
    j["roleEndpoint"] = "";
    j["roleRegion"] = "";
    if (!get("region").empty()) j["region"] = get("region");
    // ferry's own settings, after kopia's.
    for (const char* k : {"addressingStyle", "profile", "credentialsFile"}) {
      if (!get(k).empty()) j[k] = get(k);
    }
  } else {
    for (const auto& [k, v] : storage) {
      if (k != "type") j[k] = v;
    }
  }
  std::string text = j.dump(2);
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += std::string(21, ' ');
  }
  return out;
}

}  // namespace

void AddRepositoryStatusCommand(Command& repository) {
  repository.AddCommand("status", "Display the status of connected repository.").SetAction([](Context& ctx) -> Status {
    std::string path = ConfigFilePath();
    FERRY_ASSIGN_OR_RETURN(ConnectionConfig c, LoadConnectionConfig(path));
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    const auto& cfg = r->config();
    content::EpochManager epochs(r->storage(), cfg.epoch);
    FERRY_ASSIGN_OR_RETURN(content::IndexBlobSet set, epochs.Load());
    std::ostringstream o;
    o << "Config file:         " << path << "\n\n"
      << "Description:         " << c.description << "\n"
      << "Hostname:            " << r->options().hostname << "\n"
      << "Username:            " << r->options().username << "\n"
      << "Read-only:           " << (c.read_only ? "true" : "false") << "\n"
      << "Format blob cache:   15m0s\n\n"
      << "Storage type:        " << (c.storage.count("type") ? c.storage.at("type") : "") << "\n"
      << "Storage config:      " << StorageConfigJson(c.storage) << "\n\n"
      << "Unique ID:           " << r->unique_id_hex() << "\n"
      << "Hash:                " << cfg.hash << "\n"
      << "Encryption:          " << cfg.encryption << "\n"
      << "Splitter:            " << cfg.splitter << "\n"
      << "Format version:      " << cfg.version << "\n"
      << "Content compression: " << (cfg.index_version >= 2 ? "true" : "false") << "\n"
      << "Password changes:    " << (cfg.enable_password_change ? "true" : "false") << "\n"
      << "Max pack length:     " << BytesStringBase2(double(cfg.max_pack_size)) << "\n"
      << "Index Format:        v" << cfg.index_version << "\n";
    if (!cfg.ecc.empty() && cfg.ecc_overhead_percent > 0) {
      o << "ECC:                 " << cfg.ecc << " (" << cfg.ecc_overhead_percent << "%)\n";
    }
    o << "\n";
    if (cfg.epoch.enabled) {
      const auto& e = cfg.epoch;
      o << "Epoch Manager:       enabled\n"
        << "Current Epoch: " << set.write_epoch << "\n\n"
        << "Epoch refresh frequency: " << GoDurationString(e.epoch_refresh_frequency_ns) << "\n"
        << "Epoch advance on:        " << e.epoch_advance_on_count_threshold << " blobs or "
        << BytesStringBase2(double(e.epoch_advance_on_total_size_bytes_threshold)) << ", minimum "
        << GoDurationString(e.min_epoch_duration_ns) << "\n"
        << "Epoch cleanup margin:    " << GoDurationString(e.cleanup_safety_margin_ns) << "\n"
        << "Epoch checkpoint every:  " << e.full_checkpoint_frequency << " epochs\n";
    } else {
      o << "Epoch Manager:       disabled\n";
    }
    ctx.out << o.str();
    return Status::OK();
  });
}

}  // namespace ferry::cli
