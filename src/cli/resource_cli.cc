#include "cli/resource_cli.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/store_flags.h"
#include "resource/yaml.h"

namespace ferry::cli {

using resource::KindInfo;
using resource::Object;

namespace {

Result<std::string> ReadSource(const std::string& file) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::NotFound("the path \"" + file + "\" does not exist");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A directory stands for its .yaml, .yml and .json files, in name order (as kubectl reads it).
std::vector<std::string> ExpandFiles(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::error_code ec;
    if (f != "-" && std::filesystem::is_directory(f, ec)) {
      std::vector<std::string> inside;
      for (const auto& e : std::filesystem::directory_iterator(f, ec)) {
        std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
          inside.push_back(e.path().string());
        }
      }
      std::sort(inside.begin(), inside.end());
      out.insert(out.end(), inside.begin(), inside.end());
    } else {
      out.push_back(f);
    }
  }
  return out;
}

Status CheckDocument(const Object& obj, const std::string& display, int line) {
  std::vector<std::string> problems;
  if (resource::ApiVersion(obj).empty()) problems.push_back("apiVersion not set");
  if (resource::Kind(obj).empty()) problems.push_back("kind not set");
  if (!problems.empty()) {
    std::string joined;
    for (const auto& p : problems) joined += (joined.empty() ? "" : ", ") + p;
    return Status::InvalidArgument("error validating \"" + display + "\": error validating data: [" + joined +
                                   "] (document at line " + std::to_string(line) + ")");
  }
  if (obj.contains("metadata") && !obj["metadata"].is_object()) {
    return Status::InvalidArgument("error parsing " + display + ": line " + std::to_string(line) +
                                   ": metadata must be a mapping");
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<Manifest>> ReadManifests(const std::vector<std::string>& files, const std::string& namespace_flag) {
  if (files.empty()) return Status::InvalidArgument("must specify one of -f and -k");
  std::vector<Manifest> out;
  for (const auto& file : ExpandFiles(files)) {
    std::string display = file == "-" ? "STDIN" : file;
    FERRY_ASSIGN_OR_RETURN(std::string text, ReadSource(file));
    auto docs = resource::ParseYamlDocuments(text);
    if (!docs.ok()) return Status::InvalidArgument("error parsing " + display + ": " + docs.status().message());
    std::vector<resource::YamlDocument> expanded;
    for (auto& d : *docs) {
      // kind: List (what `get -o yaml` prints for several objects) stands for its items.
      if (resource::Kind(d.object) == "List" && d.object.contains("items") && d.object["items"].is_array()) {
        for (auto& item : d.object["items"]) expanded.push_back({item, d.line});
      } else {
        expanded.push_back(std::move(d));
      }
    }
    for (auto& d : expanded) {
      FERRY_RETURN_IF_ERROR(CheckDocument(d.object, display, d.line));
      std::string api_version = resource::ApiVersion(d.object);
      std::string kind_name = resource::Kind(d.object);
      const KindInfo* kind = resource::FindKind(api_version, kind_name);
      if (!kind) {
        return Status::InvalidArgument("resource mapping not found for name: \"" + resource::Name(d.object) +
                                       "\" namespace: \"" + resource::Namespace(d.object) + "\" from \"" + display +
                                       "\": no matches for kind \"" + kind_name + "\" in version \"" + api_version +
                                       "\"\nensure CRDs are installed first");
      }
      if (resource::Name(d.object).empty() &&
          !(d.object["metadata"].is_object() && d.object["metadata"].contains("generateName"))) {
        return Status::InvalidArgument("error when retrieving current configuration of " + kind->kind + " from \"" +
                                       display + "\" (line " + std::to_string(d.line) +
                                       "): resource name may not be empty");
      }
      if (kind->namespaced) {
        std::string ns = resource::Namespace(d.object);
        if (!ns.empty() && !namespace_flag.empty() && ns != namespace_flag) {
          return Status::InvalidArgument("the namespace from the provided object \"" + ns +
                                         "\" does not match the namespace \"" + namespace_flag +
                                         "\". You must pass '--namespace=" + ns + "' to perform this operation.");
        }
        if (ns.empty()) d.object["metadata"]["namespace"] = namespace_flag.empty() ? "default" : namespace_flag;
      } else if (d.object.contains("metadata") && d.object["metadata"].is_object()) {
        d.object["metadata"].erase("namespace");
      }
      out.push_back({std::move(d.object), kind, display});
    }
  }
  return out;
}

std::string ObjectRef(const KindInfo& kind, const std::string& name) {
  return kind.singular + (kind.group.empty() ? "" : "." + kind.group) + "/" + name;
}

Result<const KindInfo*> ParseKindArg(const std::string& arg, std::string* name) {
  std::string kind = arg;
  if (auto slash = arg.find('/'); slash != std::string::npos) {
    kind = arg.substr(0, slash);
    if (name) *name = arg.substr(slash + 1);
  }
  return resource::LookupKind(kind);
}

TablePrinter::TablePrinter(const KindInfo& kind, bool with_namespace, bool wide, bool show_labels)
    : kind_(kind), with_namespace_(with_namespace), show_labels_(show_labels) {
  for (const auto& c : kind.columns) {
    if (!c.wide_only || wide) columns_.push_back(&c);
  }
  Widen(Header());
}

std::vector<std::string> TablePrinter::Header() const {
  std::vector<std::string> h;
  if (with_namespace_) h.push_back("NAMESPACE");
  h.push_back("NAME");
  for (const auto* c : columns_) h.push_back(c->name);
  if (show_labels_) h.push_back("LABELS");
  return h;
}

std::vector<std::string> TablePrinter::Row(const Object& obj, int64_t now_unix) const {
  std::vector<std::string> row;
  if (with_namespace_) row.push_back(resource::Namespace(obj));
  std::string name = resource::Name(obj);
  if (kind_.kind == "StorageClass" &&
      resource::Annotations(obj)["storageclass.kubernetes.io/is-default-class"] == "true") {
    name += " (default)";
  }
  row.push_back(name);
  for (const auto* c : columns_) row.push_back(resource::ColumnValue(*c, obj, now_unix));
  if (show_labels_) {
    std::string labels;
    for (const auto& [k, v] : resource::Labels(obj)) labels += (labels.empty() ? "" : ",") + k + "=" + v;
    row.push_back(labels.empty() ? "<none>" : labels);
  }
  return row;
}

void TablePrinter::Widen(const std::vector<std::string>& row) {
  if (widths_.size() < row.size()) widths_.resize(row.size(), 0);
  for (size_t i = 0; i < row.size(); ++i) widths_[i] = std::max(widths_[i], row[i].size());
}

void TablePrinter::PrintRow(std::ostream& out, const std::vector<std::string>& row) {
  Widen(row);
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) {
    line += row[i];
    if (i + 1 < row.size()) line += std::string(widths_[i] - row[i].size() + 3, ' ');
  }
  out << line << "\n";
}

void TablePrinter::Print(std::ostream& out, const std::vector<std::vector<std::string>>& rows, bool no_headers) {
  for (const auto& r : rows) Widen(r);
  if (!no_headers) PrintRow(out, Header());
  for (const auto& r : rows) PrintRow(out, r);
}

void AddResourceFlags(Command& cmd, ResourceFlags* flags) {
  FlagSpec& ns = cmd.StringFlag("namespace", "the namespace of the objects (default \"default\")", &flags->namespace_name);
  ns.short_name = 'n';
  ns.placeholder = "NS";
  AddStoreFlag(cmd, &flags->store);
}

std::string EffectiveNamespace(const ResourceFlags& flags) {
  return flags.namespace_name.empty() ? "default" : flags.namespace_name;
}

std::string ServerErrorReason(StatusCode code) {
  switch (code) {
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kConflict: return "Conflict";
    case StatusCode::kInvalidArgument: return "Invalid";
    default: return "InternalError";
  }
}

std::string KubectlJson(const Object& obj) { return nlohmann::json::parse(obj.dump()).dump(4); }

Result<Object> ParseJsonOrYaml(const std::string& text) {
  Object parsed = Object::parse(text, nullptr, false);
  if (!parsed.is_discarded()) return parsed;
  auto docs = resource::ParseYaml(text);
  if (!docs.ok() || docs->size() != 1) {
    return Status::InvalidArgument("unable to parse \"" + text + "\": not JSON or YAML" +
                                   (docs.ok() ? "" : " (" + docs.status().message() + ")"));
  }
  return (*docs)[0];
}

}  // namespace ferry::cli
