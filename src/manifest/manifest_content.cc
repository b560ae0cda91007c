#include "manifest/manifest_content.h"

#include <cctype>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "manifest/gzip.h"
#include "manifest/rfc3339.h"

namespace ferry::manifest {
namespace {

// ordered_json keeps the payload's key order when an entry is rewritten (by compaction).
using Json = nlohmann::ordered_json;

// Go replaces invalid UTF-8 with U+FFFD when encoding; nlohmann would throw instead.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void AppendEntry(const ManifestEntry& e, std::string* out) {
  out->append("{\"id\":");
  out->append(Dump(Json(e.id)));
  out->append(",\"labels\":");
  if (e.labels.empty()) {
    out->append("null");
  } else {
    out->append(Dump(Json(e.labels)));  // std::map: sorted keys, as Go writes maps
  }
  out->append(",\"modified\":\"");
  out->append(FormatRfc3339Nano(e.modified));
  out->push_back('"');
  if (e.deleted) out->append(",\"deleted\":true");
  out->append(",\"data\":");
  out->append(e.data.empty() ? "null" : e.data);
  out->push_back('}');
}

// Go's decoder matches JSON keys to struct fields case-insensitively; kopia writes lowercase.
const Json* Field(const Json& object, std::string_view name) {
  auto exact = object.find(std::string(name));
  if (exact != object.end()) return &*exact;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (key.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(key[i])) == name[i];
    }
    if (same) return &it.value();
  }
  return nullptr;
}

int64_t SaturatedNanos(UnixTime t) {
  auto nanos = ToUnixNanos(t);
  if (nanos.ok()) return *nanos;
  return t.seconds < 0 ? std::numeric_limits<int64_t>::min()
                       : std::numeric_limits<int64_t>::max();
}

Status ParseEntry(const Json& j, ManifestEntry* e) {
  if (!j.is_object()) return Status::Corruption("entry is not a JSON object");
  const Json* id = Field(j, "id");
  if (id == nullptr || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return Status::Corruption("entry has no id");
  }
  e->id = id->get<std::string>();
  const std::string where = "entry " + e->id + ": ";
  if (const Json* labels = Field(j, "labels"); labels != nullptr && !labels->is_null()) {
    if (!labels->is_object()) return Status::Corruption(where + "labels are not an object");
    for (auto it = labels->begin(); it != labels->end(); ++it) {
      if (!it.value().is_string()) {
        return Status::Corruption(where + "label \"" + it.key() + "\" is not a string");
      }
      e->labels.emplace(it.key(), it.value().get<std::string>());
    }
  }
  const Json* modified = Field(j, "modified");
  if (modified == nullptr || modified->is_null()) {
    e->modified = SaturatedNanos(kGoZeroTime);  // Go leaves the zero time
  } else {
    if (!modified->is_string()) return Status::Corruption(where + "modified is not a string");
    auto t = ParseRfc3339Time(modified->get_ref<const std::string&>());
    if (!t.ok()) return Status::Corruption(where + t.status().message());
    e->modified = SaturatedNanos(*t);
  }
  if (const Json* deleted = Field(j, "deleted"); deleted != nullptr && !deleted->is_null()) {
    if (!deleted->is_boolean()) return Status::Corruption(where + "deleted is not a boolean");
    e->deleted = deleted->get<bool>();
  }
  const Json* data = Field(j, "data");
  e->data = data == nullptr ? "null" : Dump(*data);
  return Status::OK();
}

}  // namespace

std::string SerializeManifestJson(const std::vector<const ManifestEntry*>& entries) {
  std::string out = "{\"entries\":";
  if (entries.empty()) {
    out.append("null");  // a nil slice in Go
  } else {
    out.push_back('[');
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendEntry(*entries[i], &out);
    }
    out.push_back(']');
  }
  out.append("}\n");
  return out;
}

Result<Bytes> EncodeManifestContent(const std::vector<const ManifestEntry*>& entries) {
  return GzipCompress(AsBytes(SerializeManifestJson(entries)));
}

Result<std::vector<ManifestEntry>> DecodeManifestContent(ByteView plaintext,
                                                         std::string_view content_id) {
  const std::string where = "manifest content " + std::string(content_id) + ": ";
  auto json = GzipDecompress(plaintext);
  if (!json.ok()) return Status::Corruption(where + json.status().message());
  Json doc = Json::parse(json->begin(), json->end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Corruption(where + "not valid JSON");
  if (!doc.is_object()) return Status::Corruption(where + "not a JSON object");
  std::vector<ManifestEntry> entries;
  const Json* list = Field(doc, "entries");
  if (list == nullptr || list->is_null()) return entries;
  if (!list->is_array()) return Status::Corruption(where + "entries is not an array");
  entries.reserve(list->size());
  for (const Json& j : *list) {
    ManifestEntry e;
    Status s = ParseEntry(j, &e);
    if (!s.ok()) return Status::Corruption(where + s.message());
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace ferry::manifest
