// ferry content list|show|stats: the content layer as kopia's `content` commands show it.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/units.h"
#include "compression/compression.h"

namespace ferry::cli {

namespace {

std::string CompressionString(const content::ContentInfo& b) {
  if (b.compression_header == 0) return "-";
  auto c = compression::CompressorByHeaderId(b.compression_header);
  char hex[32];
  std::snprintf(hex, sizeof(hex), "compression-%x", b.compression_header);
  std::string s = c.ok() ? c->name : hex;
  if (b.packed_length >= b.original_length) {
    s += " 0%";
  } else if (b.original_length > 0) {
    char pct[32];
    std::snprintf(pct, sizeof(pct), " %.1f%%", 100.0 * (1.0 - double(b.packed_length) / double(b.original_length)));
    s += pct;
  }
  return s;
}

nlohmann::ordered_json ContentJson(const content::ContentInfo& b) {
  nlohmann::ordered_json j;
  j["contentID"] = b.id.ToString();
  j["packFile"] = b.pack_blob_id;
  j["time"] = b.timestamp;
  j["originalLength"] = b.original_length;
  j["length"] = b.packed_length;
  j["packOffset"] = b.pack_offset;
  j["deleted"] = b.deleted;
  j["formatVersion"] = b.format_version;
  if (b.compression_header) j["compression"] = b.compression_header;
  return j;
}

struct ListOptions {
  bool long_format = false, compression = false, json = false, deleted = false, summary = false;
  std::string prefix;
};

}  // namespace

void AddContentCommands(Command& root) {
  Command& content = root.AddCommand("content", "Commands to manipulate content in repository.");

  auto lo = std::make_shared<ListOptions>();
  Command& list = content.AddCommand("list", "List contents").Alias("ls");
  list.BoolFlag("long", "Long output", &lo->long_format).short_name = 'l';
  list.BoolFlag("compression", "Compression", &lo->compression).short_name = 'c';
  list.BoolFlag("deleted", "Include deleted content", &lo->deleted);
  list.BoolFlag("summary", "Summarize the list", &lo->summary).short_name = 's';
  list.BoolFlag("json", "Output result in JSON format to stdout", &lo->json);
  list.StringFlag("prefix", "Content ID prefix", &lo->prefix);
  list.SetAction([lo](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    uint64_t count = 0, total = 0;
    bool first = true;
    if (lo->json) ctx.out << "[\n";
    FERRY_RETURN_IF_ERROR(r->contents()->IterateContents(lo->deleted, [&](const content::ContentInfo& b) {
      std::string id = b.id.ToString();
      if (!lo->prefix.empty() && id.rfind(lo->prefix, 0) != 0) return Status::OK();
      ++count;
      total += b.packed_length;
      if (lo->json) {
        ctx.out << (first ? " " : ",\n ") << ContentJson(b).dump();
        first = false;
      } else if (lo->compression) {
        ctx.out << id << " length " << b.original_length << " packed " << b.packed_length << " "
                << CompressionString(b) << " " << (b.deleted ? " (deleted)" : "") << "\n";
      } else if (lo->long_format) {
        ctx.out << id << " " << b.original_length << " " << TimestampString(b.timestamp * 1000000000) << " "
                << b.pack_blob_id << " " << b.pack_offset << "+" << b.packed_length
                << (b.deleted ? " (deleted)" : "") << " " << CompressionString(b) << "\n";
      } else {
        ctx.out << id << "\n";
      }
      return Status::OK();
    }));
    if (lo->json) ctx.out << (first ? "]\n" : "\n]\n");
    if (lo->summary) ctx.out << "Total: " << count << " contents, " << total << " total size\n";
    return Status::OK();
  });

  auto ids = std::make_shared<std::vector<std::string>>();
  Command& show = content.AddCommand("show", "Show contents by ID.").Alias("cat");
  show.StringListArg("id", "IDs of contents to show", ids.get(), true);
  show.SetAction([ids](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    for (const auto& text : *ids) {
      FERRY_ASSIGN_OR_RETURN(content::ContentId id, content::ContentId::Parse(text));
      Bytes data;
      FERRY_RETURN_IF_ERROR(r->contents()->GetContent(id, &data));
      ctx.out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    }
    return Status::OK();
  });

  content.AddCommand("stats", "Content statistics").SetAction([](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    uint64_t count = 0, packed = 0, original = 0;
    std::map<std::string, std::pair<uint64_t, uint64_t>> by_compression;
    FERRY_RETURN_IF_ERROR(r->contents()->IterateContents(false, [&](const content::ContentInfo& b) {
      ++count;
      packed += b.packed_length;
      original += b.original_length;
      std::string name = "(uncompressed)";
      if (b.compression_header) {
        auto c = compression::CompressorByHeaderId(b.compression_header);
        name = c.ok() ? c->name : "unknown";
      }
      auto& s = by_compression[name];
      s.first += 1;
      s.second += b.packed_length;
      return Status::OK();
    }));
    ctx.out << "Count: " << count << "\n"
            << "Total Bytes: " << BytesString(double(original)) << "\n"
            << "Total Packed: " << BytesString(double(packed)) << " (compression " << std::fixed;
    char pct[32];
    std::snprintf(pct, sizeof(pct), "%.1f%%", original ? 100.0 * (1.0 - double(packed) / double(original)) : 0.0);
    ctx.out << pct << ")\n";
    for (const auto& [name, s] : by_compression) {
      ctx.out << "  " << name << ": " << s.first << " contents, " << BytesString(double(s.second)) << " packed\n";
    }
    return Status::OK();
  });
}

}  // namespace ferry::cli
