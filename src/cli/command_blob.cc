// ferry blob list|show and ferry index list: the storage underneath, as kopia shows it.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "cli/units.h"
#include "content/encrypted_blob.h"
#include "content/epoch_manager.h"

namespace ferry::cli {

namespace {
struct BlobListOptions {
  std::string prefix;
  bool json = false;
};
struct BlobShowOptions {
  std::vector<std::string> ids;
  bool decrypt = false;
};
struct IndexListOptions {
  bool superseded = false, json = false, summary = false;
  std::string sort;
};
}  // namespace

void AddBlobCommands(Command& root) {
  Command& blob = root.AddCommand("blob", "Commands to manipulate BLOBs.");
  auto lo = std::make_shared<BlobListOptions>();
  Command& list = blob.AddCommand("list", "List BLOBs").Alias("ls");
  list.StringFlag("prefix", "Blob ID prefix", &lo->prefix);
  list.BoolFlag("json", "Output result in JSON format to stdout", &lo->json);
  list.SetAction([lo](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    FERRY_ASSIGN_OR_RETURN(auto blobs, r->storage()->ListAllBlobs(lo->prefix));
    std::sort(blobs.begin(), blobs.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    if (lo->json) {
      ctx.out << "[\n";
      for (size_t i = 0; i < blobs.size(); ++i) {
        nlohmann::ordered_json j;
        j["id"] = blobs[i].id;
        j["length"] = blobs[i].length;
        j["timestamp"] = Rfc3339Nano(blobs[i].timestamp_unix_nanos);
        ctx.out << " " << j.dump() << (i + 1 < blobs.size() ? ",\n" : "\n");
      }
      ctx.out << "]\n";
      return Status::OK();
    }
    char line[512];
    for (const auto& b : blobs) {
      std::snprintf(line, sizeof(line), "%-70s %10lld %s\n", b.id.c_str(), static_cast<long long>(b.length),
                    TimestampString(b.timestamp_unix_nanos).c_str());
      ctx.out << line;
    }
    return Status::OK();
  });

  auto so = std::make_shared<BlobShowOptions>();
  Command& show = blob.AddCommand("show", "Show contents of BLOBs").Alias("cat");
  show.BoolFlag("decrypt", "Decrypt blob if possible", &so->decrypt);
  show.StringListArg("blobID", "Blob IDs", &so->ids, true);
  show.SetAction([so](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    for (const auto& id : so->ids) {
      FERRY_ASSIGN_OR_RETURN(Bytes data, r->storage()->GetBlob(id));
      if (so->decrypt) {
        FERRY_ASSIGN_OR_RETURN(data, content::DecryptBlob(r->encryptor(), id, data));
      }
      ctx.out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    }
    return Status::OK();
  });
}

void AddIndexCommands(Command& root) {
  Command& index = root.AddCommand("index", "Commands to manipulate content index.");
  auto o = std::make_shared<IndexListOptions>();
  Command& list = index.AddCommand("list", "List content indexes").Alias("ls");
  list.BoolFlag("superseded", "Include inactive index files superseded by compaction", &o->superseded);
  list.BoolFlag("summary", "Display index blob summary", &o->summary);
  list.BoolFlag("json", "Output result in JSON format to stdout", &o->json);
  list.EnumFlag("sort", "Index blob sort order", &o->sort, {"time", "size", "name"}, "time");
  list.SetAction([o](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository(true));
    content::EpochManager epochs(r->storage(), r->config().epoch);
    FERRY_ASSIGN_OR_RETURN(content::IndexBlobSet set, epochs.Load());
    struct Row {
      blob::BlobMetadata b;
      bool superseded;
    };
    std::vector<Row> rows;
    for (const auto& b : set.active) rows.push_back({b, false});
    if (o->superseded) for (const auto& b : set.superseded) rows.push_back({b, true});
    std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      if (o->sort == "size") return a.b.length < b.b.length;
      if (o->sort == "name") return a.b.id < b.b.id;
      return a.b.timestamp_unix_nanos < b.b.timestamp_unix_nanos;
    });
    if (o->json) {
      ctx.out << "[\n";
      for (size_t i = 0; i < rows.size(); ++i) {
        nlohmann::ordered_json j;
        j["id"] = rows[i].b.id;
        j["length"] = rows[i].b.length;
        j["timestamp"] = Rfc3339Nano(rows[i].b.timestamp_unix_nanos);
        j["Superseded"] = nullptr;
        ctx.out << " " << j.dump() << (i + 1 < rows.size() ? ",\n" : "\n");
      }
      ctx.out << "]\n";
      return Status::OK();
    }
    char line[512];
    for (const auto& row : rows) {
      std::snprintf(line, sizeof(line), "%-60s %10lld %s %s\n", row.b.id.c_str(), static_cast<long long>(row.b.length),
                    TimestampString(row.b.timestamp_unix_nanos, true).c_str(), row.superseded ? "[superseded]" : "[]");
      ctx.out << line;
    }
    if (o->summary) ctx.out << "total " << rows.size() << " indexes\n";
    return Status::OK();
  });
}

}  // namespace ferry::cli
