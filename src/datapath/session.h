// The repository session behind datapath::Session (internal to the datapath layer).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "blob/storage.h"
#include "datapath/datapath.h"
#include "repo/repository.h"

namespace ferry::datapath {

class Session {
 public:
  Session(std::shared_ptr<blob::Storage> storage, std::unique_ptr<repo::Repository> repository,
          RepositoryInfo info)
      : storage_(std::move(storage)), repository_(std::move(repository)), info_(std::move(info)) {}

  repo::Repository* repository() const { return repository_.get(); }
  const RepositoryInfo& info() const { return info_; }

 private:
  std::shared_ptr<blob::Storage> storage_;
  std::unique_ptr<repo::Repository> repository_;
  RepositoryInfo info_;
};

// The storage keys a RepositoryLocation may use, mapped to the kopia names blob::
// OpenStorageFromConfig understands (access-key -> accessKeyID, disable-tls -> doNotUseTLS, ...).
std::map<std::string, std::string> NormalizeStorageConfig(const std::map<std::string, std::string>& storage);

}  // namespace ferry::datapath
