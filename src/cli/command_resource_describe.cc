// ferry describe KIND NAME [-n NS]: kubectl's describe layout for custom resources — the
// identity first, then every field with camelCase names spelled out ("Backup Storage Location").
#include <algorithm>
#include <cctype>
#include <memory>
#include <ostream>

#include "cli/resource_cli.h"
#include "cli/store_flags.h"
#include "resource/store.h"

namespace ferry::cli {

using resource::Object;

namespace {

struct Options {
  ResourceFlags flags;
  std::vector<std::string> args;
};

// "backupStorageLocation" -> "Backup Storage Location", "snapshotID" -> "Snapshot ID",
// "uid" -> "UID" (kubectl's smartLabelFor).
std::string Label(const std::string& field) {
  static const char* kAcronyms[] = {"API", "UID", "URL", "ID", "IP", "CSI", "OS", "TLS"};
  std::vector<std::string> words;
  std::string cur;
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    bool prev_lower = i > 0 && std::islower(static_cast<unsigned char>(field[i - 1]));
    if (c == '-' || c == '_' || c == ' ' || c == '.' || c == '/') {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
      continue;
    }
    if (upper && prev_lower && !cur.empty()) {
      words.push_back(cur);
      cur.clear();
    }
    cur += c;
  }
  if (!cur.empty()) words.push_back(cur);
  std::string out;
  for (auto& w : words) {
    std::string up = w;
    for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    bool acronym = false;
    for (const char* a : kAcronyms) acronym = acronym || up == a;
    if (acronym) {
      w = up;
    } else {
      w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    }
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

std::string Scalar(const Object& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "<nil>";
  return v.dump();
}

void DescribeValue(const Object& v, int indent, std::ostream& out);

void DescribeMap(const Object& m, int indent, std::ostream& out) {
  size_t width = 0;
  std::vector<std::string> keys;  // sorted, as kubectl walks unstructured maps
  for (auto it = m.begin(); it != m.end(); ++it) {
    keys.push_back(it.key());
    if (!it.value().is_object() && !it.value().is_array()) width = std::max(width, Label(it.key()).size());
  }
  std::sort(keys.begin(), keys.end());
  std::string pad(indent, ' ');
  for (const auto& key : keys) {
    std::string label = Label(key) + ":";
    const Object& v = m[key];
    if ((v.is_object() || v.is_array()) && !v.empty()) {
      out << pad << label << "\n";
      DescribeValue(v, indent + 2, out);
    } else if (v.is_object() || v.is_array()) {
      out << pad << label << "\n";
    } else {
      out << pad << label << std::string(width + 1 - label.size() + 2, ' ') << Scalar(v) << "\n";
    }
  }
}

void DescribeValue(const Object& v, int indent, std::ostream& out) {
  std::string pad(indent, ' ');
  if (v.is_object()) {
    DescribeMap(v, indent, out);
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if (item.is_object()) {
        DescribeMap(item, indent, out);
      } else {
        out << pad << Scalar(item) << "\n";
      }
    }
  } else {
    out << pad << Scalar(v) << "\n";
  }
}

void PrintMapField(const std::string& label, const std::map<std::string, std::string>& m, std::ostream& out) {
  out << label << std::string(14 - label.size(), ' ');
  if (m.empty()) {
    out << "<none>\n";
    return;
  }
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out << std::string(14, ' ');
    out << k << "=" << v << "\n";
    first = false;
  }
}

}  // namespace

void AddDescribeCommand(Command& root) {
  auto o = std::make_shared<Options>();
  Command& cmd = root.AddCommand("describe", "Show the details of a resource (kubectl describe).");
  cmd.StringListArg("resource", "KIND NAME or KIND/NAME", &o->args, true);
  AddResourceFlags(cmd, &o->flags);
  cmd.SetAction([o](Context& ctx) -> Status {
    std::string name;
    FERRY_ASSIGN_OR_RETURN(const resource::KindInfo* kind, ParseKindArg(o->args[0], &name));
    std::vector<std::string> names;
    if (!name.empty()) names.push_back(name);
    for (size_t i = 1; i < o->args.size(); ++i) names.push_back(o->args[i]);
    FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(o->flags.store));
    std::vector<Object> objects;
    if (names.empty()) {
      resource::ListOptions list;
      list.namespace_name = kind->namespaced ? EffectiveNamespace(o->flags) : "";
      FERRY_ASSIGN_OR_RETURN(objects, store->List(kind->kind, list));
    }
    for (const auto& n : names) {
      auto obj = store->Get(kind->kind, EffectiveNamespace(o->flags), n);
      if (!obj.ok()) return obj.status();
      objects.push_back(std::move(*obj));
    }
    for (size_t i = 0; i < objects.size(); ++i) {
      const Object& obj = objects[i];
      if (i > 0) ctx.out << "\n\n";
      ctx.out << "Name:         " << resource::Name(obj) << "\n";
      if (kind->namespaced) ctx.out << "Namespace:    " << resource::Namespace(obj) << "\n";
      PrintMapField("Labels:", resource::Labels(obj), ctx.out);
      auto annotations = resource::Annotations(obj);
      annotations.erase("kubectl.kubernetes.io/last-applied-configuration");
      PrintMapField("Annotations:", annotations, ctx.out);
      Object rest = Object::object();
      for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (it.key() == "metadata") {
          Object meta = it.value();
          for (const char* k : {"name", "namespace", "labels", "annotations", "managedFields"}) meta.erase(k);
          rest["metadata"] = std::move(meta);
        } else {
          rest[it.key()] = it.value();
        }
      }
      DescribeMap(rest, 0, ctx.out);
      ctx.out << "Events:  <none>\n";
    }
    return Status::OK();
  });
}

}  // namespace ferry::cli
