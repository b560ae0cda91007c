#include "object/indirect_list.h"

#include <limits>
#include <string>

#include <nlohmann/json.hpp>

namespace ferry::object {

void AppendIndirectEntryJson(const IndirectEntry& entry, std::string* out) {
  out->push_back('{');
  if (entry.start != 0) {
    out->append("\"s\":");
    out->append(std::to_string(entry.start));
    out->push_back(',');
  }
  if (entry.length != 0) {
    out->append("\"l\":");
    out->append(std::to_string(entry.length));
    out->push_back(',');
  }
  // Object IDs are letters and hex digits: nothing to escape.
  out->append("\"o\":\"");
  out->append(entry.object.ToString());
  out->append("\"}");
}

std::string SerializeIndirectList(const std::vector<IndirectEntry>& entries) {
  std::string out = "{\"stream\":\"kopia:indirect\",\"entries\":[";
  out.reserve(out.size() + entries.size() * 64 + 3);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendIndirectEntryJson(entries[i], &out);
  }
  out.append("]}\n");
  return out;
}

namespace {

Status Bad(std::string_view what, const std::string& why) {
  return Status::Corruption("invalid indirect list in object " + std::string(what) + ": " + why);
}

// Go decodes a missing or null number as 0.
Result<int64_t> IntField(const nlohmann::json& entry, const char* name) {
  auto it = entry.find(name);
  if (it == entry.end() || it->is_null()) return int64_t{0};
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() &&
       it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    return Status::Corruption(std::string("field \"") + name + "\" is not an int64");
  }
  return it->get<int64_t>();
}

}  // namespace

Result<std::vector<IndirectEntry>> ParseIndirectList(ByteView json, std::string_view what) {
  nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Bad(what, "not JSON");
  if (!doc.is_object()) return Bad(what, "not a JSON object");
  auto entries_it = doc.find("entries");
  if (entries_it == doc.end() || !entries_it->is_array() || entries_it->empty()) {
    return Bad(what, "no entries");
  }
  std::vector<IndirectEntry> entries;
  entries.reserve(entries_it->size());
  int64_t next_start = 0;
  for (const nlohmann::json& e : *entries_it) {
    const std::string index = "entry " + std::to_string(entries.size());
    if (!e.is_object()) return Bad(what, index + " is not an object");
    IndirectEntry entry;
    auto start = IntField(e, "s");
    if (!start.ok()) return Bad(what, index + ": " + start.status().message());
    auto length = IntField(e, "l");
    if (!length.ok()) return Bad(what, index + ": " + length.status().message());
    entry.start = *start;
    entry.length = *length;
    auto o = e.find("o");
    if (o == e.end() || !o->is_string()) return Bad(what, index + " has no object ID");
    auto id = ObjectId::Parse(o->get_ref<const std::string&>());
    if (!id.ok()) return Bad(what, index + ": " + id.status().message());
    if (id->empty()) return Bad(what, index + " has an empty object ID");
    entry.object = *id;
    if (entry.length < 0) return Bad(what, index + " has a negative length");
    if (entry.start != next_start) {
      return Bad(what, index + " starts at " + std::to_string(entry.start) + ", expected " +
                           std::to_string(next_start));
    }
    if (entry.length > std::numeric_limits<int64_t>::max() - entry.start) {
      return Bad(what, index + " ends beyond 2^63");
    }
    next_start = entry.end();
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace ferry::object
