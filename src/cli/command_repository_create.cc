// ferry repository create <storage> ...: a new Kopia format-3 repository, then connect to it.
// Algorithms come from --block-hash / --encryption / --object-splitter, else from
// KOPIA_HASHING_ALGORITHM / KOPIA_ENCRYPTION_ALGORITHM / KOPIA_SPLITTER_ALGORITHM (as Velero's
// node agent passes them), else kopia's defaults. They can never change afterwards.
#include <cstdlib>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/storage_flags.h"

namespace ferry::cli {

namespace {

struct Options {
  std::string hash, encryption, splitter;
  std::string description;
  std::string hostname, username;
};

std::string FromFlagOrEnv(const std::string& flag, const char* env, std::string_view fallback) {
  if (!flag.empty()) return flag;
  if (const char* v = std::getenv(env); v && *v) return v;
  return std::string(fallback);
}

}  // namespace

Status ConnectAndSave(Context& ctx, const std::map<std::string, std::string>& storage,
                      const std::string& password, const std::string& hostname,
                      const std::string& username, const std::string& description, bool read_only);

void AddRepositoryCreateCommand(Command& repository) {
  auto o = std::make_shared<Options>();
  Command& create = repository.AddCommand("create", "Create new repository in a specified location.");
  create.StringFlag("block-hash", "Content hash algorithm ($KOPIA_HASHING_ALGORITHM)", &o->hash);
  create.StringFlag("encryption", "Content encryption algorithm ($KOPIA_ENCRYPTION_ALGORITHM)", &o->encryption);
  create.StringFlag("object-splitter", "The splitter to use for new objects ($KOPIA_SPLITTER_ALGORITHM)", &o->splitter);
  create.StringFlag("description", "Human-readable description of the repository", &o->description);
  create.StringFlag("override-hostname", "Override hostname used by this connection", &o->hostname);
  create.StringFlag("override-username", "Override username used by this connection", &o->username);
  AddStorageSubcommands(create, "Create", [o](Context& ctx, const std::map<std::string, std::string>& storage) -> Status {
    repo::NewRepositoryOptions n;
    n.hash = FromFlagOrEnv(o->hash, "KOPIA_HASHING_ALGORITHM", crypto::kDefaultHashAlgorithm);
    n.encryption = FromFlagOrEnv(o->encryption, "KOPIA_ENCRYPTION_ALGORITHM", crypto::kDefaultEncryptionAlgorithm);
    n.splitter = FromFlagOrEnv(o->splitter, "KOPIA_SPLITTER_ALGORITHM", splitter::kDefaultSplitter);
    // Check the names before asking for a password or touching the storage.
    Bytes probe(32, 1);
    FERRY_RETURN_IF_ERROR(crypto::NewHashFunction(n.hash, probe).status());
    FERRY_RETURN_IF_ERROR(crypto::NewEncryptor(n.encryption, probe).status());
    FERRY_RETURN_IF_ERROR(splitter::GetSplitterFactory(n.splitter).status());
    std::string password = Globals().password;
    if (password.empty()) {
      if (const char* k = std::getenv("KOPIA_PASSWORD"); k && *k) password = k;
    }
    if (password.empty()) {
      FERRY_ASSIGN_OR_RETURN(password, PromptPassword("Enter password to create new repository: ", true));
    }
    n.maintenance_owner = (o->username.empty() ? DefaultUsername() : o->username) + "@" +
                          (o->hostname.empty() ? DefaultHostname() : o->hostname);
    FERRY_ASSIGN_OR_RETURN(auto store, OpenStorage(storage, true));
    std::string location = DescribeStorage(storage);
    ctx.out << "Initializing repository with:\n"
            << "  block hash:          " << n.hash << "\n"
            << "  encryption:          " << n.encryption << "\n"
            << "  splitter:            " << n.splitter << "\n";
    FERRY_RETURN_IF_ERROR(repo::InitializeRepository(store.get(), password, n, location));
    return ConnectAndSave(ctx, storage, password, o->hostname, o->username, o->description, false);
  });
}

}  // namespace ferry::cli
