// ferry get KIND [NAME...] [-n NS | -A] [-o yaml|json|wide|name] [-l SELECTOR] [-w]: kubectl's
// tables (the upstream printer columns), YAML/JSON documents, and the watch feed.
#include <chrono>
#include <memory>
#include <ostream>

#include "cli/resource_cli.h"
#include "cli/store_flags.h"
#include "resource/label_selector.h"
#include "resource/store.h"
#include "resource/time_util.h"
#include "resource/yaml.h"

namespace ferry::cli {

using resource::KindInfo;
using resource::Object;

namespace {

struct Options {
  ResourceFlags flags;
  std::vector<std::string> args;
  bool all_namespaces = false;
  std::string output;
  std::string selector;
  bool watch = false;
  bool watch_only = false;
  bool no_headers = false;
  bool show_labels = false;
  std::string request_timeout;
};

Object ListOf(const std::vector<Object>& items) {
  Object list = Object::object();
  list["apiVersion"] = "v1";
  list["items"] = Object::array();
  for (const auto& i : items) list["items"].push_back(i);
  list["kind"] = "List";
  list["metadata"] = {{"resourceVersion", ""}};
  return list;
}

class Printer {
 public:
  Printer(const KindInfo& kind, const Options& o, std::ostream& out)
      : kind_(kind), o_(o), out_(out), table_(kind, o.all_namespaces && kind.namespaced, o.output == "wide", o.show_labels) {}

  // The initial listing.
  void PrintAll(const std::vector<Object>& objects, bool single) {
    int64_t now = resource::NowUnixSeconds();
    if (o_.output == "yaml") {
      out_ << resource::ToYaml(single ? objects[0] : ListOf(objects));
    } else if (o_.output == "json") {
      out_ << KubectlJson(single ? objects[0] : ListOf(objects)) << "\n";
    } else if (o_.output == "name") {
      for (const auto& obj : objects) out_ << ObjectRef(kind_, resource::Name(obj)) << "\n";
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const auto& obj : objects) rows.push_back(table_.Row(obj, now));
      table_.Print(out_, rows, o_.no_headers);
      header_printed_ = true;
    }
    out_.flush();
  }

  // One change seen by -w.
  void PrintChange(const Object& obj) {
    if (o_.output == "yaml") {
      out_ << "---\n" << resource::ToYaml(obj);
    } else if (o_.output == "json") {
      out_ << KubectlJson(obj) << "\n";
    } else if (o_.output == "name") {
      out_ << ObjectRef(kind_, resource::Name(obj)) << "\n";
    } else {
      if (!header_printed_ && !o_.no_headers) table_.PrintRow(out_, table_.Header());
      header_printed_ = true;
      table_.PrintRow(out_, table_.Row(obj, resource::NowUnixSeconds()));
    }
    out_.flush();
  }

 private:
  const KindInfo& kind_;
  const Options& o_;
  std::ostream& out_;
  TablePrinter table_;
  bool header_printed_ = false;
};

Status Watch(resource::Store& store, const KindInfo& kind, const Options& o, const std::string& ns,
             const std::vector<std::string>& names, const resource::LabelSelector& selector, int64_t since,
             Printer& printer) {
  int64_t timeout_ns = 0;
  if (!o.request_timeout.empty()) {
    FERRY_ASSIGN_OR_RETURN(timeout_ns, resource::ParseGoDurationNanos(o.request_timeout));
  }
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::nanoseconds(timeout_ns);
  while (true) {
    int wait_ms = 1000;
    if (timeout_ns > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return Status::OK();
      wait_ms = static_cast<int>(std::min<int64_t>(left, 1000));
    }
    FERRY_ASSIGN_OR_RETURN(int64_t current, store.WaitForChange(since, wait_ms));
    if (current <= since) continue;
    FERRY_ASSIGN_OR_RETURN(auto events, store.EventsSince(since, kind.kind, 1000));
    for (const auto& e : events) {
      since = std::max(since, e.resource_version);
      const Object& obj = e.object;
      if (kind.namespaced && !o.all_namespaces && resource::Namespace(obj) != ns) continue;
      if (!names.empty() && std::find(names.begin(), names.end(), resource::Name(obj)) == names.end()) continue;
      if (!selector.Matches(resource::Labels(obj))) continue;
      printer.PrintChange(obj);
    }
    // Events of other kinds moved the version too; the feed is read from there next time.
    if (events.size() < 1000) since = std::max(since, current);
  }
}

}  // namespace

void AddGetCommand(Command& root) {
  auto o = std::make_shared<Options>();
  Command& cmd = root.AddCommand("get", "Display one or many resources (kubectl get).");
  cmd.StringListArg("resource", "KIND [NAME...] or KIND/NAME", &o->args, true);
  AddResourceFlags(cmd, &o->flags);
  cmd.BoolFlag("all-namespaces", "list the objects of every namespace", &o->all_namespaces).short_name = 'A';
  FlagSpec& out = cmd.StringFlag("output", "output format: yaml, json, wide or name", &o->output);
  out.short_name = 'o';
  out.placeholder = "FORMAT";
  FlagSpec& sel = cmd.StringFlag("selector", "label selector (a=b,c!=d,e in (x,y),!f)", &o->selector);
  sel.short_name = 'l';
  cmd.BoolFlag("watch", "after listing, print every change", &o->watch).short_name = 'w';
  cmd.BoolFlag("watch-only", "print changes only, without the initial listing", &o->watch_only);
  cmd.BoolFlag("no-headers", "omit the table header", &o->no_headers);
  cmd.BoolFlag("show-labels", "add a LABELS column", &o->show_labels);
  cmd.StringFlag("request-timeout", "stop watching after this long (Go duration, e.g. 30s; 0 = never)",
                 &o->request_timeout);
  cmd.SetAction([o](Context& ctx) -> Status {
    if (!o->output.empty() && o->output != "yaml" && o->output != "json" && o->output != "wide" && o->output != "name") {
      return Status::InvalidArgument("unable to match a printer suitable for the output format \"" + o->output +
                                     "\", allowed formats are: json,name,wide,yaml");
    }
    std::vector<std::string> names;
    std::string slash_name;
    FERRY_ASSIGN_OR_RETURN(const KindInfo* kind, ParseKindArg(o->args[0], &slash_name));
    if (!slash_name.empty()) names.push_back(slash_name);
    for (size_t i = 1; i < o->args.size(); ++i) {
      std::string n;
      if (o->args[i].find('/') != std::string::npos) {
        FERRY_ASSIGN_OR_RETURN(const KindInfo* other, ParseKindArg(o->args[i], &n));
        if (other != kind) return Status::InvalidArgument("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form");
        names.push_back(n);
      } else {
        names.push_back(o->args[i]);
      }
    }
    FERRY_ASSIGN_OR_RETURN(auto selector, resource::LabelSelector::Parse(o->selector));
    if (!names.empty() && !selector.empty()) {
      return Status::InvalidArgument("selectors and the all flag cannot be used when passing resource/name arguments");
    }
    std::string ns = EffectiveNamespace(o->flags);
    bool watch = o->watch || o->watch_only;
    FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(o->flags.store));
    FERRY_ASSIGN_OR_RETURN(int64_t since, store->CurrentResourceVersion());

    std::vector<Object> objects;
    Status missing;
    if (!names.empty()) {
      for (const auto& n : names) {
        auto obj = store->Get(kind->kind, ns, n);
        if (obj.ok()) {
          objects.push_back(std::move(*obj));
        } else if (obj.status().code() == StatusCode::kNotFound) {
          missing = obj.status();
          ctx.err << "Error from server (NotFound): " << obj.status().message() << "\n";
        } else {
          return obj.status();
        }
      }
    } else {
      resource::ListOptions list;
      list.namespace_name = (o->all_namespaces || !kind->namespaced) ? "" : ns;
      list.selector = selector;
      FERRY_ASSIGN_OR_RETURN(objects, store->List(kind->kind, list));
    }
    Printer printer(*kind, *o, ctx.out);
    if (!o->watch_only) {
      if (objects.empty()) {
        if (names.empty() && !watch && (o->output.empty() || o->output == "wide")) {
          if (kind->namespaced && !o->all_namespaces) ctx.err << "No resources found in " << ns << " namespace.\n";
          else ctx.err << "No resources found\n";
        } else if (names.empty() && !watch) {
          printer.PrintAll(objects, false);
        }
      } else {
        printer.PrintAll(objects, names.size() == 1);
      }
    }
    if (!missing.ok() && !watch) {
      return Status(missing.code(), "not every object was found");
    }
    if (!watch) return Status::OK();
    return Watch(*store, *kind, *o, ns, names, selector, since, printer);
  });
}

}  // namespace ferry::cli
