#include "cli/connection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "blob/storage_config.h"
#include "crypto/key_derivation.h"

namespace ferry::cli {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

GlobalFlags& Globals() {
  static GlobalFlags flags;
  return flags;
}

void AddGlobalFlags(Command& root) {
  GlobalFlags& g = Globals();
  root.StringFlag("config-file", "Specify the config file to use", &g.config_file).env_var = "FERRY_CONFIG_PATH";
  auto& pw = root.StringFlag("password", "Repository password", &g.password);
  pw.env_var = "FERRY_PASSWORD";
  pw.placeholder = "PASSWORD";
}

std::string ConfigFilePath() {
  const GlobalFlags& g = Globals();
  if (!g.config_file.empty()) return g.config_file;
  if (const char* k = std::getenv("KOPIA_CONFIG_PATH"); k && *k) return k;
  std::string base;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) {
    base = x;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    base = std::string(h) + "/.config";
  } else {
    base = ".";
  }
  return base + "/ferry/repository.config";
}

Result<ConnectionConfig> LoadConnectionConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound("not connected to a repository (no config file at " + path +
                            "); use 'ferry repository connect' or 'ferry repository create'");
  }
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("storage")) {
    return Status::Corruption("config file " + path + " is not a valid ferry repository config");
  }
  ConnectionConfig c;
  try {
    const Json& st = j["storage"];
    c.storage["type"] = st.value("type", "");
    if (st.contains("config") && st["config"].is_object()) {
      for (auto it = st["config"].begin(); it != st["config"].end(); ++it) {
        if (it.value().is_string()) c.storage[it.key()] = it.value().get<std::string>();
        else if (it.value().is_boolean()) c.storage[it.key()] = it.value().get<bool>() ? "true" : "false";
        else if (it.value().is_number()) c.storage[it.key()] = it.value().dump();
      }
    }
    c.hostname = j.value("hostname", "");
    c.username = j.value("username", "");
    c.description = j.value("description", "");
    c.read_only = j.value("readonly", false);
  } catch (const std::exception&) {
    return Status::Corruption("config file " + path + " has fields of the wrong type");
  }
  return c;
}

Status SaveConnectionConfig(const std::string& path, const ConnectionConfig& c) {
  Json st;
  st["type"] = c.storage.count("type") ? c.storage.at("type") : "";
  Json cfg = Json::object();
  for (const auto& [k, v] : c.storage) {
    if (k == "type") continue;
    // kopia's S3 options keep these as JSON booleans.
    if ((k == "doNotUseTLS" || k == "doNotVerifyTLS") && (v == "true" || v == "false")) {
      cfg[k] = v == "true";
    } else {
      cfg[k] = v;
    }
  }
  st["config"] = cfg;
  Json j;
  j["storage"] = st;
  j["hostname"] = c.hostname;
  j["username"] = c.username;
  j["description"] = c.description;
  if (c.read_only) j["readonly"] = true;
  j["enableActions"] = false;
  j["formatBlobCacheDuration"] = int64_t{900000000000};
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp";
  // Created 0600 before anything is written: an S3 config holds the secret key (as kopia's does).
  std::string text = j.dump(2) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot write config file " + path);
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) return Status::IOError("cannot write config file " + path);
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot write config file " + path + ": " + ec.message());
  return Status::OK();
}

Result<std::shared_ptr<blob::Storage>> OpenStorage(const std::map<std::string, std::string>& storage,
                                                   bool create_if_missing) {
  return blob::OpenStorageFromConfig(storage, create_if_missing);
}

std::string DescribeStorage(const std::map<std::string, std::string>& storage) {
  return blob::DescribeStorageConfig(storage);
}

Result<std::string> PromptPassword(const std::string& prompt, bool confirm) {
  if (!isatty(STDIN_FILENO)) {
    return Status::InvalidArgument(
        "a repository password is needed: pass --password, set FERRY_PASSWORD (or KOPIA_PASSWORD), "
        "or run on a terminal to be asked");
  }
  auto read_one = [](const std::string& p) -> std::string {
    std::cerr << p << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~tcflag_t(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return line;
  };
  std::string pw = read_one(prompt);
  if (confirm && read_one("Re-enter password for verification: ") != pw) {
    return Status::InvalidArgument("passwords do not match");
  }
  if (pw.empty()) return Status::InvalidArgument("the password must not be empty");
  return pw;
}

Result<std::string> ResolvePassword(const std::string& config_path, bool allow_saved) {
  if (!Globals().password.empty()) return Globals().password;
  if (const char* k = std::getenv("KOPIA_PASSWORD"); k && *k) return std::string(k);
  if (allow_saved) {
    std::ifstream in(config_path + ".kopia-password");
    if (in) {
      std::string encoded;
      std::getline(in, encoded);
      auto decoded = Base64Decode(encoded);
      if (decoded.ok()) return std::string(AsString(*decoded));
    }
  }
  return PromptPassword("Enter password to open repository: ", false);
}

Status SavePassword(const std::string& config_path, const std::string& password) {
  std::string path = config_path + ".kopia-password";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot save the password next to " + config_path);
  std::string encoded = Base64Encode(AsBytes(password));
  bool ok = ::write(fd, encoded.data(), encoded.size()) == ssize_t(encoded.size());
  ::fchmod(fd, 0600);
  ::close(fd);
  return ok ? Status::OK() : Status::IOError("cannot save the password next to " + config_path);
}

namespace {

// The format key cache: with the password saved next to the config (connect/create), ferry also
// remembers the key scrypt derives from it, so each command does not spend ~0.2 s deriving it
// again. It holds nothing the saved password does not already give, has the same 0600 mode, is
// bound to the repository's unique ID and to the password (an HMAC of it), and goes away with
// `repository disconnect`. A password given another way is never remembered.
std::string FormatKeyCachePath(const std::string& config_path) { return config_path + ".format-key"; }

std::string PasswordCheck(ByteView unique_id, const std::string& password) {
  return HexEncode(crypto::HmacSha256(unique_id, AsBytes("ferry format key cache:" + password)));
}

Bytes LoadRememberedFormatKey(const std::string& config_path, ByteView unique_id, const std::string& password) {
  std::ifstream in(FormatKeyCachePath(config_path));
  if (!in) return {};
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  if (j.value("uniqueID", "") != HexEncode(unique_id) || j.value("passwordCheck", "") != PasswordCheck(unique_id, password)) {
    return {};
  }
  auto key = HexDecode(j.value("formatKey", ""));
  return key.ok() ? *key : Bytes{};
}

}  // namespace

void RememberFormatKey(const std::string& config_path, ByteView unique_id, const std::string& password,
                       ByteView key) {
  Json j = {{"uniqueID", HexEncode(unique_id)},
            {"passwordCheck", PasswordCheck(unique_id, password)},
            {"formatKey", HexEncode(key)}};
  std::string path = FormatKeyCachePath(config_path);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;  // only an optimisation: the next command derives the key again
  std::string text = j.dump();
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
}

Result<std::unique_ptr<repo::Repository>> OpenConnectedRepository(bool read_only) {
  std::string path = ConfigFilePath();
  FERRY_ASSIGN_OR_RETURN(ConnectionConfig c, LoadConnectionConfig(path));
  FERRY_ASSIGN_OR_RETURN(auto storage, OpenStorage(c.storage, false));
  FERRY_ASSIGN_OR_RETURN(std::string password, ResolvePassword(path));
  repo::OpenOptions o;
  o.hostname = c.hostname.empty() ? DefaultHostname() : c.hostname;
  o.username = c.username.empty() ? DefaultUsername() : c.username;
  o.read_only = read_only || c.read_only;
  o.location = DescribeStorage(c.storage);
  std::error_code ec;
  if (std::filesystem::exists(path + ".kopia-password", ec)) {
    o.recall_format_key = [path, password](ByteView unique_id) {
      return LoadRememberedFormatKey(path, unique_id, password);
    };
    o.remember_format_key = [path, password](ByteView unique_id, ByteView key) {
      RememberFormatKey(path, unique_id, password, key);
    };
  }
  auto r = repo::Repository::Open(std::move(storage), password, o);
  if (r.ok()) {
    for (const auto& [blob_id, why] : (*r)->contents()->unreadable_index_blobs()) {
      std::cerr << "ferry: warning: index blob " << blob_id << " is unreadable (" << why.message()
                << "); the contents it lists cannot be read\n";
    }
  }
  return r;
}

std::string DefaultUsername() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return "root";
}

std::string DefaultHostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || !buf[0]) return "localhost";
  std::string h(buf);
  return h.substr(0, h.find('.'));
}

}  // namespace ferry::cli
