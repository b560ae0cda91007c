// ferry apply -f FILE|- and ferry create -f FILE|-: multi-document manifests into the store.
// Every document is parsed and checked before the first one is written.
#include <memory>
#include <ostream>

#include "cli/resource_cli.h"
#include "cli/store_flags.h"
#include "resource/store.h"

namespace ferry::cli {

using resource::Object;

namespace {

constexpr char kLastApplied[] = "kubectl.kubernetes.io/last-applied-configuration";
constexpr int kApplyAttempts = 8;

struct Options {
  ResourceFlags flags;
  std::vector<std::string> files;
};

// The JSON merge patch that takes `current` to `modified` and also removes what the previous
// apply (`original`) set but `modified` no longer has — kubectl's three-way merge for custom
// resources. Fields set by others (status, controller-written spec fields) are left alone.
Object ThreeWayPatch(const Object& original, const Object& modified, const Object& current) {
  Object patch = Object::object();
  for (auto it = modified.begin(); it != modified.end(); ++it) {
    const std::string& key = it.key();
    const Object& want = it.value();
    if (!current.is_object() || !current.contains(key)) {
      if (!want.is_null()) patch[key] = want;
      continue;
    }
    const Object& have = current[key];
    if (want.is_object() && have.is_object()) {
      Object sub_original = original.is_object() && original.contains(key) ? original[key] : Object::object();
      Object sub = ThreeWayPatch(sub_original, want, have);
      if (!sub.empty()) patch[key] = std::move(sub);
    } else if (want != have) {
      patch[key] = want;
    }
  }
  if (original.is_object()) {
    for (auto it = original.begin(); it != original.end(); ++it) {
      if (!modified.contains(it.key()) && current.is_object() && current.contains(it.key())) {
        patch[it.key()] = nullptr;
      }
    }
  }
  return patch;
}

Object WithLastApplied(const Object& manifest) {
  Object applied = manifest;
  if (applied["metadata"].contains("annotations") && applied["metadata"]["annotations"].is_object()) {
    applied["metadata"]["annotations"].erase(kLastApplied);
    if (applied["metadata"]["annotations"].empty()) applied["metadata"].erase("annotations");
  }
  Object out = manifest;
  resource::SetAnnotation(out, kLastApplied, applied.dump() + "\n");
  return out;
}

Status ApplyOne(resource::Store& store, const Manifest& m, std::ostream& out) {
  const auto& kind = *m.kind;
  std::string name = resource::Name(m.object);
  if (name.empty()) return Status::InvalidArgument("from " + m.source + ": cannot use generate name with apply");
  std::string ns = kind.namespaced ? resource::Namespace(m.object) : "";
  Object modified = WithLastApplied(m.object);
  for (int attempt = 0; attempt < kApplyAttempts; ++attempt) {
    auto current = store.Get(kind.kind, ns, name);
    if (!current.ok() && current.status().code() == StatusCode::kNotFound) {
      auto created = store.Create(modified);
      if (created.ok()) {
        out << ObjectRef(kind, name) << " created\n";
        return Status::OK();
      }
      if (created.status().code() == StatusCode::kAlreadyExists) continue;  // raced with a creator
      return created.status();
    }
    if (!current.ok()) return current.status();
    Object original = Object::object();
    auto annotations = resource::Annotations(*current);
    if (auto it = annotations.find(kLastApplied); it != annotations.end()) {
      Object parsed = Object::parse(it->second, nullptr, false);
      if (parsed.is_object()) original = std::move(parsed);
    }
    Object patch = ThreeWayPatch(original, modified, *current);
    if (patch.empty()) {
      out << ObjectRef(kind, name) << " unchanged\n";
      return Status::OK();
    }
    patch["metadata"]["resourceVersion"] = std::to_string(resource::ResourceVersion(*current));
    auto patched = store.MergePatch(kind.kind, ns, name, patch);
    if (patched.ok()) {
      out << ObjectRef(kind, name) << " configured\n";
      return Status::OK();
    }
    if (patched.status().code() != StatusCode::kConflict) return patched.status();
  }
  return Status::Conflict("giving up on " + ObjectRef(kind, name) + " after " + std::to_string(kApplyAttempts) +
                          " conflicting updates; try again");
}

}  // namespace

void AddApplyCommand(Command& root) {
  auto o = std::make_shared<Options>();
  Command& cmd = root.AddCommand("apply",
                                 "Apply a configuration to resources by file name or stdin (kubectl apply -f).");
  cmd.StringListFlag("filename", "manifest file, directory or - for stdin (repeatable)", &o->files).short_name = 'f';
  AddResourceFlags(cmd, &o->flags);
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto manifests, ReadManifests(o->files, o->flags.namespace_name));
    FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(o->flags.store));
    int failures = 0;
    Status last;
    for (const auto& m : manifests) {
      Status s = ApplyOne(*store, m, ctx.out);
      if (!s.ok()) {
        ++failures;
        last = s;
        ctx.err << "Error from server (" << ServerErrorReason(s.code()) << "): error when applying \"" << m.source
                << "\": " << s.message() << "\n";
      }
    }
    if (failures > 0) return Status(last.code(), std::to_string(failures) + " of " + std::to_string(manifests.size()) + " objects not applied");
    return Status::OK();
  });
}

void AddCreateCommand(Command& root) {
  auto o = std::make_shared<Options>();
  Command& cmd = root.AddCommand("create", "Create resources from a file or stdin (kubectl create -f).");
  cmd.StringListFlag("filename", "manifest file, directory or - for stdin (repeatable)", &o->files).short_name = 'f';
  AddResourceFlags(cmd, &o->flags);
  cmd.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto manifests, ReadManifests(o->files, o->flags.namespace_name));
    FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(o->flags.store));
    int failures = 0;
    Status last;
    for (const auto& m : manifests) {
      auto created = store->Create(m.object);
      if (!created.ok()) {
        ++failures;
        last = created.status();
        ctx.err << "Error from server (" << ServerErrorReason(last.code()) << "): error when creating \"" << m.source
                << "\": " << last.message() << "\n";
        continue;
      }
      ctx.out << ObjectRef(*m.kind, resource::Name(*created)) << " created\n";
    }
    if (failures > 0) return Status(last.code(), std::to_string(failures) + " of " + std::to_string(manifests.size()) + " objects not created");
    return Status::OK();
  });
}

}  // namespace ferry::cli
