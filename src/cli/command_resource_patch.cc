// ferry patch KIND NAME [-n NS] --type merge|json -p PATCH: RFC 7386 merge patches (the store's
// atomic MergePatch) and RFC 6902 JSON patches (read, patch, compare-and-swap, retry).
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>

#include "cli/resource_cli.h"
#include "cli/store_flags.h"
#include "resource/store.h"

namespace ferry::cli {

using resource::KindInfo;
using resource::Object;

namespace {

constexpr int kPatchAttempts = 8;

struct Options {
  ResourceFlags flags;
  std::vector<std::string> args;
  std::string type;
  std::string patch;
  std::string patch_file;
};

}  // namespace

void AddPatchCommand(Command& root) {
  auto o = std::make_shared<Options>();
  Command& cmd = root.AddCommand("patch", "Update fields of a resource with a merge or JSON patch (kubectl patch).");
  cmd.StringListArg("resource", "KIND NAME or KIND/NAME", &o->args, true);
  AddResourceFlags(cmd, &o->flags);
  cmd.EnumFlag("type", "patch type: merge (RFC 7386), json (RFC 6902) or strategic (core kinds only, applied as merge)",
               &o->type, {"strategic", "merge", "json"}, "strategic");
  FlagSpec& p = cmd.StringFlag("patch", "the patch, JSON or YAML", &o->patch);
  p.short_name = 'p';
  cmd.StringFlag("patch-file", "a file holding the patch", &o->patch_file);
  cmd.SetAction([o](Context& ctx) -> Status {
    std::string name;
    FERRY_ASSIGN_OR_RETURN(const KindInfo* kind, ParseKindArg(o->args[0], &name));
    if (name.empty() && o->args.size() > 1) name = o->args[1];
    if (name.empty()) return Status::InvalidArgument("a resource name is required: patch KIND NAME");
    std::string text = o->patch;
    if (!o->patch_file.empty()) {
      std::ifstream in(o->patch_file);
      if (!in) return Status::NotFound("cannot read the patch file " + o->patch_file);
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (text.empty()) return Status::InvalidArgument("must specify --patch or --patch-file containing the contents of the patch");
    if (o->type == "strategic" && !kind->group.empty()) {
      return Status::InvalidArgument("strategic merge patch is not supported for " + kind->api_version() + ", Kind=" +
                                     kind->kind + " locally, try --type merge");
    }
    FERRY_ASSIGN_OR_RETURN(Object patch, ParseJsonOrYaml(text));
    std::string ns = kind->namespaced ? EffectiveNamespace(o->flags) : "";
    FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(o->flags.store));
    for (int attempt = 0; attempt < kPatchAttempts; ++attempt) {
      FERRY_ASSIGN_OR_RETURN(Object before, store->Get(kind->kind, ns, name));
      Result<Object> after = Status::Internal("unreachable");
      if (o->type == "json") {
        if (!patch.is_array()) return Status::InvalidArgument("a JSON patch must be a list of operations");
        Object patched;
        try {
          patched = before.patch(patch);
        } catch (const std::exception& e) {
          return Status::InvalidArgument(std::string("the JSON patch does not apply: ") + e.what());
        }
        if (patched == before) {
          ctx.out << ObjectRef(*kind, name) << " patched (no change)\n";
          return Status::OK();
        }
        after = store->Update(patched);
      } else {
        if (!patch.is_object()) return Status::InvalidArgument("a merge patch must be a JSON object");
        Object guarded = patch;
        if (!guarded.contains("metadata") || !guarded["metadata"].is_object()) guarded["metadata"] = Object::object();
        if (!guarded["metadata"].contains("resourceVersion")) {
          guarded["metadata"]["resourceVersion"] = std::to_string(resource::ResourceVersion(before));
        }
        after = store->MergePatch(kind->kind, ns, name, guarded);
      }
      if (after.ok()) {
        bool changed = *after != before;
        ctx.out << ObjectRef(*kind, name) << " patched" << (changed ? "" : " (no change)") << "\n";
        return Status::OK();
      }
      // A resourceVersion the user put in the patch is a precondition: its conflict is final.
      bool user_precondition = patch.is_object() && patch.contains("metadata") && patch["metadata"].is_object() &&
                               patch["metadata"].contains("resourceVersion");
      if (after.status().code() != StatusCode::kConflict || user_precondition) {
        return after.status();
      }
    }
    return Status::Conflict("giving up on " + ObjectRef(*kind, name) + " after " + std::to_string(kPatchAttempts) +
                            " conflicting updates; try again");
  });
}

}  // namespace ferry::cli
