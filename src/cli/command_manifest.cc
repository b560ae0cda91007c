// ferry manifest list|show: the labelled manifests (snapshots, policies, maintenance) in kopia's
// `manifest` shapes.
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/units.h"
#include "manifest/rfc3339.h"

namespace ferry::cli {

namespace {

struct ManifestListFlags {
  std::vector<std::string> filter, sort;
  bool json = false;
};

// Go's json.Indent(dst, src, "", "  "): the tokens as stored, one element per line, and empty
// objects and arrays kept as {} and [].
std::string IndentJson(std::string_view s) {
  std::string out;
  int depth = 0;
  bool in_string = false, escaped = false, need_indent = false;
  auto newline = [&] {
    out += '\n';
    out.append(size_t(2 * depth), ' ');
  };
  for (char c : s) {
    if (in_string) {
      out += c;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (need_indent && c != ']' && c != '}') {
      need_indent = false;
      ++depth;
      newline();
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        need_indent = true;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ": ";
        break;
      case '}':
      case ']':
        if (need_indent) {
          need_indent = false;  // empty: {} or []
        } else {
          --depth;
          newline();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

void AddManifestCommands(Command& root) {
  Command& manifest = root.AddCommand("manifest", "Low-level commands to manipulate manifest items.");

  auto lo = std::make_shared<ManifestListFlags>();
  Command& list = manifest.AddCommand("list", "List manifest items").Alias("ls");
  list.StringListFlag("filter", "List of key:value pairs", &lo->filter);
  list.StringListFlag("sort", "List of keys to sort by", &lo->sort);
  list.BoolFlag("json", "Output result in JSON format to stdout", &lo->json);
  list.SetAction([lo](Context& ctx) -> Status {
    manifest::Labels filter;
    for (const auto& kv : lo->filter) {
      size_t colon = kv.find(':');
      if (colon == std::string::npos || colon == 0) {
        return Status::InvalidArgument("invalid list filter '" + kv + "', missing ':'");
      }
      filter[kv.substr(0, colon)] = kv.substr(colon + 1);
    }
    FERRY_ASSIGN_OR_RETURN(auto repo, OpenConnectedRepository(true));
    FERRY_ASSIGN_OR_RETURN(auto items, repo->manifests()->Find(filter));
    auto label = [](const manifest::ManifestEntryMetadata& m, const std::string& k) {
      auto it = m.labels.find(k);
      return it == m.labels.end() ? std::string() : it->second;
    };
    std::stable_sort(items.begin(), items.end(), [&](const auto& a, const auto& b) {
      for (const auto& key : lo->sort) {
        if (auto va = label(a, key), vb = label(b, key); va != vb) return va < vb;
      }
      return a.modified < b.modified;
    });
    if (lo->json) {
      ctx.out << "[\n";
      bool first = true;
      for (const auto& m : items) {
        nlohmann::ordered_json j;
        j["id"] = m.id;
        j["length"] = m.length;
        j["labels"] = nlohmann::ordered_json(m.labels);
        j["mtime"] = FormatRfc3339Nano(m.modified);
        ctx.out << (first ? " " : ",\n ") << j.dump();
        first = false;
      }
      ctx.out << (first ? "]\n" : "\n]\n");
      return Status::OK();
    }
    for (const auto& m : items) {
      // kopia sorts the "key:value" strings, not the keys.
      std::vector<std::string> pairs;
      for (const auto& [k, v] : m.labels) {
        if (k != "type") pairs.push_back(k + ":" + v);
      }
      std::sort(pairs.begin(), pairs.end());
      std::string others;
      for (const auto& p : pairs) others += (others.empty() ? "" : " ") + p;
      std::string length = std::to_string(m.length);
      if (length.size() < 10) length.insert(0, 10 - length.size(), ' ');
      ctx.out << m.id << " " << length << " " << TimestampString(m.modified) << " type:" << label(m, "type") << " "
              << others << "\n";
    }
    return Status::OK();
  });

  auto ids = std::make_shared<std::vector<std::string>>();
  Command& show = manifest.AddCommand("show", "Show manifest items");
  show.StringListArg("item", "Manifest IDs", ids.get(), true);
  show.SetAction([ids](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto repo, OpenConnectedRepository(true));
    for (const auto& id : *ids) {
      auto m = repo->manifests()->Get(id);
      if (!m.ok()) return m.status().WithContext("error getting metadata for \"" + id + "\"");
      ctx.out << "// id: " << m->id << "\n// length: " << m->data.size() << "\n// modified: "
              << TimestampString(m->modified) << "\n";
      for (const auto& [k, v] : m->labels) ctx.out << "// label " << k << ":" << v << "\n";
      ctx.out << IndentJson(m->data) << "\n";
    }
    return Status::OK();
  });
}

}  // namespace ferry::cli
