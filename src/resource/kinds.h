// Kinds: the resource types the store knows, with kubectl's names for them (plural, singular,
// short names), their scope and the columns `ferry get` prints, as the upstream CRDs declare.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ferry::resource {

struct PrinterColumn {
  std::string name;       // "BYTES DONE"
  std::string json_path;  // "status.progress.bytesDone"
  std::string type;       // "string", "integer", "date" (printed as an age)
  bool wide_only = false;  // priority > 0: only with -o wide
};

struct KindInfo {
  std::string kind;         // "DataUpload"
  std::string group;        // "velero.io" ("" for the core group)
  std::string version;      // "v2alpha1"
  std::string plural;       // "datauploads"
  std::string singular;     // "dataupload"
  std::vector<std::string> short_names;
  bool namespaced = true;
  std::vector<PrinterColumn> columns;  // besides NAMESPACE (with -A) and NAME

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  std::string resource() const { return group.empty() ? plural : plural + "." + group; }
};

const std::vector<KindInfo>& AllKinds();
// By kind ("DataUpload"), plural, singular, short name or plural.group, case-insensitively.
// InvalidArgument: `the server doesn't have a resource type "x"` as kubectl says.
Result<const KindInfo*> LookupKind(std::string_view name);

}  // namespace ferry::resource
