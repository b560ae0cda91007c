// Shared pieces of the kubectl-shaped commands (apply, create, get, describe, delete, patch):
// reading manifests, naming objects the way kubectl prints them, and kubectl's table.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/command.h"
#include "resource/kinds.h"
#include "resource/object.h"

namespace ferry::cli {

// One document of a manifest file, checked against the known kinds.
struct Manifest {
  resource::Object object;
  const resource::KindInfo* kind = nullptr;
  std::string source;  // the file name as given ("-" reads stdin, shown as "STDIN")
};

// Reads and validates every document of every file before anything is applied: a YAML error
// gives "error parsing FILE: line N: ...", an unknown kind kubectl's "resource mapping not found
// ..." message. namespace_flag (-n) fills in objects without a namespace and must agree with
// those that have one; "default" when empty.
Result<std::vector<Manifest>> ReadManifests(const std::vector<std::string>& files,
                                            const std::string& namespace_flag);

// "dataupload.velero.io/name", "configmap/name": how kubectl names an object in messages.
std::string ObjectRef(const resource::KindInfo& kind, const std::string& name);

// "KIND" or "KIND/NAME" -> kind and (optionally) a name.
Result<const resource::KindInfo*> ParseKindArg(const std::string& arg, std::string* name);

// kubectl's table: columns left aligned, separated by three spaces, the last one unpadded.
class TablePrinter {
 public:
  TablePrinter(const resource::KindInfo& kind, bool with_namespace, bool wide, bool show_labels = false);
  std::vector<std::string> Header() const;
  std::vector<std::string> Row(const resource::Object& obj, int64_t now_unix) const;
  // Widens the columns to fit rows and prints header (unless no_headers) and rows.
  void Print(std::ostream& out, const std::vector<std::vector<std::string>>& rows, bool no_headers);
  // One more row later (kubectl get -w), padded to the widths seen so far.
  void PrintRow(std::ostream& out, const std::vector<std::string>& row);

 private:
  void Widen(const std::vector<std::string>& row);
  const resource::KindInfo& kind_;
  bool with_namespace_;
  bool show_labels_;
  std::vector<const resource::PrinterColumn*> columns_;
  std::vector<size_t> widths_;
};

// Flags every resource command shares: -n/--namespace and --store (cli/store_flags.h).
struct ResourceFlags {
  std::string namespace_name;
  std::string store;
};
void AddResourceFlags(Command& cmd, ResourceFlags* flags);
// The namespace to use: -n, else "default" (kubectl without a kubeconfig context).
std::string EffectiveNamespace(const ResourceFlags& flags);

// "Error from server (NotFound)" style prefix for a status code.
std::string ServerErrorReason(StatusCode code);

void AddApplyCommand(Command& root);
void AddCreateCommand(Command& root);
void AddGetCommand(Command& root);
void AddDescribeCommand(Command& root);
void AddDeleteCommand(Command& root);
void AddPatchCommand(Command& root);

// Sorted-key JSON as kubectl -o json prints it (4-space indent).
std::string KubectlJson(const resource::Object& obj);

// Patch bodies and -p arguments: JSON, or YAML when it is not JSON.
Result<resource::Object> ParseJsonOrYaml(const std::string& text);

}  // namespace ferry::cli
