// Kinds: the resource types the store knows, with kubectl's names for them (plural, singular,
// short names), their scope and the columns `ferry get` prints, as the upstream CRDs declare.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "resource/object.h"

namespace ferry::resource {

struct PrinterColumn {
  std::string name;       // "BYTES DONE"
  std::string json_path;  // "status.progress.bytesDone"
  std::string type;       // "string", "integer", "date" (printed as an age)
  bool wide_only = false;  // priority > 0: only with -o wide
  std::string fallback;    // printed when the field is absent (a default the API server applies)
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
// The kind with this apiVersion and kind exactly (as written in a manifest); nullptr when unknown.
const KindInfo* FindKind(std::string_view api_version, std::string_view kind);

// The text of one column for obj, as kubectl prints it. Paths are dotted
// ("status.progress.bytesDone"); a segment may select a list entry by a field,
// "status.conditions[type=Reconciled].status". Types: string, integer, boolean, date (an age
// relative to now_unix), count (entries of a map or list), accessModes (RWO,ROX,RWX,RWOP),
// claimRef (namespace/name). Absent values print as column.fallback.
std::string ColumnValue(const PrinterColumn& column, const Object& obj, int64_t now_unix);

}  // namespace ferry::resource
