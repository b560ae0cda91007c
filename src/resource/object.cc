#include "resource/object.h"

#include <algorithm>

#include "resource/kinds.h"

namespace ferry::resource {
namespace {

const Object* Find(const Object& o, std::string_view dotted_path) {
  const Object* cur = &o;
  while (!dotted_path.empty()) {
    size_t dot = dotted_path.find('.');
    std::string key(dotted_path.substr(0, dot));
    dotted_path = dot == std::string_view::npos ? std::string_view() : dotted_path.substr(dot + 1);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string MetaString(const Object& o, const char* key) {
  const Object* v = Find(o, std::string("metadata.") + key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

std::map<std::string, std::string> StringMap(const Object& o, const char* path) {
  std::map<std::string, std::string> out;
  const Object* m = Find(o, path);
  if (!m || !m->is_object()) return out;
  for (auto it = m->begin(); it != m->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    else out[it.key()] = it.value().dump();
  }
  return out;
}

Object& Metadata(Object& o) {
  if (!o.is_object()) o = Object::object();
  Object& m = o["metadata"];
  if (!m.is_object()) m = Object::object();
  return m;
}

}  // namespace

std::string ApiVersion(const Object& o) {
  return o.is_object() && o.contains("apiVersion") && o["apiVersion"].is_string()
             ? o["apiVersion"].get<std::string>()
             : std::string();
}
std::string Kind(const Object& o) {
  return o.is_object() && o.contains("kind") && o["kind"].is_string() ? o["kind"].get<std::string>()
                                                                       : std::string();
}
std::string Name(const Object& o) { return MetaString(o, "name"); }
std::string Namespace(const Object& o) { return MetaString(o, "namespace"); }
std::string Uid(const Object& o) { return MetaString(o, "uid"); }
std::string CreationTimestamp(const Object& o) { return MetaString(o, "creationTimestamp"); }
std::string DeletionTimestamp(const Object& o) { return MetaString(o, "deletionTimestamp"); }

int64_t ResourceVersion(const Object& o) {
  const Object* v = Find(o, "metadata.resourceVersion");
  if (!v) return 0;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return 0;
    }
    try {
      return std::stoll(s);
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

std::map<std::string, std::string> Labels(const Object& o) { return StringMap(o, "metadata.labels"); }
std::map<std::string, std::string> Annotations(const Object& o) {
  return StringMap(o, "metadata.annotations");
}

std::vector<std::string> Finalizers(const Object& o) {
  std::vector<std::string> out;
  const Object* f = Find(o, "metadata.finalizers");
  if (!f || !f->is_array()) return out;
  for (const auto& v : *f) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

void SetLabel(Object& o, const std::string& key, const std::string& value) {
  Object& m = Metadata(o);
  if (!m["labels"].is_object()) m["labels"] = Object::object();
  m["labels"][key] = value;
}

void SetAnnotation(Object& o, const std::string& key, const std::string& value) {
  Object& m = Metadata(o);
  if (!m["annotations"].is_object()) m["annotations"] = Object::object();
  m["annotations"][key] = value;
}

bool HasFinalizer(const Object& o, std::string_view finalizer) {
  for (const auto& f : Finalizers(o)) {
    if (f == finalizer) return true;
  }
  return false;
}

void AddFinalizer(Object& o, std::string_view finalizer) {
  if (HasFinalizer(o, finalizer)) return;
  Object& m = Metadata(o);
  if (!m["finalizers"].is_array()) m["finalizers"] = Object::array();
  m["finalizers"].push_back(std::string(finalizer));
}

void RemoveFinalizer(Object& o, std::string_view finalizer) {
  if (!o.is_object() || !o.contains("metadata")) return;
  Object& m = o["metadata"];
  if (!m.is_object() || !m.contains("finalizers") || !m["finalizers"].is_array()) return;
  Object kept = Object::array();
  for (const auto& f : m["finalizers"]) {
    if (!(f.is_string() && f.get<std::string>() == finalizer)) kept.push_back(f);
  }
  if (kept.empty()) {
    m.erase("finalizers");
  } else {
    m["finalizers"] = std::move(kept);
  }
}

void SetControllerOwner(Object& o, const Object& owner) {
  Object ref = Object::object();
  ref["apiVersion"] = ApiVersion(owner);
  ref["kind"] = Kind(owner);
  ref["name"] = Name(owner);
  ref["uid"] = Uid(owner);
  ref["controller"] = true;
  Object& m = Metadata(o);
  Object refs = Object::array();
  if (m.contains("ownerReferences") && m["ownerReferences"].is_array()) {
    // Only one controller: an existing controller reference is replaced.
    for (const auto& r : m["ownerReferences"]) {
      bool is_controller = r.is_object() && r.contains("controller") && r["controller"].is_boolean() &&
                           r["controller"].get<bool>();
      bool same_uid = r.is_object() && r.contains("uid") && r["uid"] == ref["uid"];
      if (!is_controller && !same_uid) refs.push_back(r);
    }
  }
  refs.push_back(std::move(ref));
  m["ownerReferences"] = std::move(refs);
}

std::string StringAt(const Object& o, std::string_view dotted_path) {
  const Object* v = Find(o, dotted_path);
  if (!v || v->is_null()) return "";
  if (v->is_string()) return v->get<std::string>();
  return v->dump();
}

int64_t IntAt(const Object& o, std::string_view dotted_path, int64_t fallback) {
  const Object* v = Find(o, dotted_path);
  if (!v) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_unsigned()) return static_cast<int64_t>(v->get<uint64_t>());
  if (v->is_number_float()) return static_cast<int64_t>(v->get<double>());
  if (v->is_string()) {
    try {
      size_t used = 0;
      int64_t n = std::stoll(v->get<std::string>(), &used);
      if (used == v->get_ref<const std::string&>().size()) return n;
    } catch (...) {
    }
  }
  return fallback;
}

bool BoolAt(const Object& o, std::string_view dotted_path, bool fallback) {
  const Object* v = Find(o, dotted_path);
  if (!v) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    if (*v == "true") return true;
    if (*v == "false") return false;
  }
  return fallback;
}

std::string Describe(const Object& o) {
  std::string resource;
  auto info = LookupKind(Kind(o));
  if (info.ok()) {
    resource = (*info)->resource();
  } else {
    resource = Kind(o);
  }
  return resource + " \"" + Name(o) + "\"";
}

}  // namespace ferry::resource
