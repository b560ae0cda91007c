// ferry delete KIND NAME... [-n NS] | -f FILE | KIND -l SELECTOR | KIND --all: deletes as the
// API server does (objects with finalizers are marked and go away when their controller lets go;
// owned objects follow their owner), then waits for the objects to be gone unless --wait=false.
#include <chrono>
#include <memory>
#include <ostream>

#include "cli/resource_cli.h"
#include "cli/store_flags.h"
#include "resource/label_selector.h"
#include "resource/store.h"
#include "resource/time_util.h"

namespace ferry::cli {

using resource::KindInfo;
using resource::Object;

namespace {

struct Options {
  ResourceFlags flags;
  std::vector<std::string> args;
  std::vector<std::string> files;
  std::string selector;
  bool all = false;
  bool ignore_not_found = false;
  bool wait = true;
  std::string timeout;
};

struct Target {
  const KindInfo* kind;
  std::string ns;
  std::string name;
  std::string source;  // manifest file, for messages
};

Status WaitGone(resource::Store& store, const std::vector<Target>& targets, int64_t timeout_ns) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  FERRY_ASSIGN_OR_RETURN(int64_t since, store.CurrentResourceVersion());
  for (const auto& t : targets) {
    while (true) {
      auto obj = store.Get(t.kind->kind, t.ns, t.name);
      if (!obj.ok() && obj.status().code() == StatusCode::kNotFound) break;
      if (!obj.ok()) return obj.status();
      int wait_ms = 1000;
      if (timeout_ns > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
          return Status::Cancelled("timed out waiting for the condition on " + t.kind->plural + "/" + t.name);
        }
        wait_ms = static_cast<int>(std::min<int64_t>(left, 1000));
      }
      FERRY_ASSIGN_OR_RETURN(since, store.WaitForChange(since, wait_ms));
    }
  }
  return Status::OK();
}

}  // namespace

void AddDeleteCommand(Command& root) {
  auto o = std::make_shared<Options>();
  Command& cmd = root.AddCommand("delete", "Delete resources by file name, by kind and name, or by selector (kubectl delete).");
  cmd.StringListArg("resource", "KIND NAME... or KIND/NAME", &o->args, false);
  cmd.StringListFlag("filename", "manifest file, directory or - for stdin naming the objects", &o->files).short_name = 'f';
  AddResourceFlags(cmd, &o->flags);
  cmd.StringFlag("selector", "delete the objects of KIND matching this label selector", &o->selector).short_name = 'l';
  cmd.BoolFlag("all", "delete every object of KIND in the namespace", &o->all);
  cmd.BoolFlag("ignore-not-found", "treat objects that do not exist as deleted", &o->ignore_not_found);
  cmd.BoolFlag("wait", "wait for the objects to be gone (finalizers released)", &o->wait, true);
  cmd.StringFlag("timeout", "give up waiting after this long (Go duration; 0 = forever)", &o->timeout);
  cmd.SetAction([o](Context& ctx) -> Status {
    std::vector<Target> targets;
    std::string ns = EffectiveNamespace(o->flags);
    if (!o->files.empty()) {
      if (!o->args.empty()) return Status::InvalidArgument("cannot give both -f and KIND NAME arguments");
      FERRY_ASSIGN_OR_RETURN(auto manifests, ReadManifests(o->files, o->flags.namespace_name));
      for (const auto& m : manifests) {
        targets.push_back({m.kind, m.kind->namespaced ? resource::Namespace(m.object) : "", resource::Name(m.object), m.source});
      }
    }
    FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(o->flags.store));
    if (o->files.empty()) {
      if (o->args.empty()) {
        return Status::InvalidArgument("You must provide one or more resources by argument or filename.");
      }
      std::string slash_name;
      FERRY_ASSIGN_OR_RETURN(const KindInfo* kind, ParseKindArg(o->args[0], &slash_name));
      std::string target_ns = kind->namespaced ? ns : "";
      if (!slash_name.empty()) targets.push_back({kind, target_ns, slash_name, ""});
      for (size_t i = 1; i < o->args.size(); ++i) targets.push_back({kind, target_ns, o->args[i], ""});
      if (o->all || !o->selector.empty()) {
        if (!targets.empty()) return Status::InvalidArgument("cannot give names together with --all or -l");
        FERRY_ASSIGN_OR_RETURN(auto selector, resource::LabelSelector::Parse(o->selector));
        resource::ListOptions list;
        list.namespace_name = target_ns;
        list.selector = selector;
        FERRY_ASSIGN_OR_RETURN(auto objects, store->List(kind->kind, list));
        for (const auto& obj : objects) targets.push_back({kind, target_ns, resource::Name(obj), ""});
        if (objects.empty()) {
          ctx.err << (kind->namespaced ? "No resources found in " + ns + " namespace.\n" : "No resources found\n");
        }
      } else if (targets.empty()) {
        return Status::InvalidArgument("resource(s) were provided, but no name was specified");
      }
    }
    int64_t timeout_ns = 0;
    if (!o->timeout.empty()) {
      FERRY_ASSIGN_OR_RETURN(timeout_ns, resource::ParseGoDurationNanos(o->timeout));
    }
    std::vector<Target> deleted;
    Status last;
    for (const auto& t : targets) {
      Status s = store->Delete(t.kind->kind, t.ns, t.name);
      if (s.ok()) {
        ctx.out << t.kind->singular << (t.kind->group.empty() ? "" : "." + t.kind->group) << " \"" << t.name
                << "\" deleted\n";
        deleted.push_back(t);
        continue;
      }
      if (s.code() == StatusCode::kNotFound && o->ignore_not_found) continue;
      last = s;
      ctx.err << "Error from server (" << ServerErrorReason(s.code()) << "): "
              << (t.source.empty() ? "" : "error when deleting \"" + t.source + "\": ") << s.message() << "\n";
    }
    ctx.out.flush();
    if (o->wait && !deleted.empty()) FERRY_RETURN_IF_ERROR(WaitGone(*store, deleted, timeout_ns));
    if (!last.ok()) return Status(last.code(), "not every object was deleted");
    return Status::OK();
  });
}

}  // namespace ferry::cli
