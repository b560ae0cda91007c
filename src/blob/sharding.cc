#include "blob/sharding.h"

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace ferry::blob {

namespace {

using Json = nlohmann::json;

bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Go's decoder prefers an exact key match and falls back to a case-insensitive one.
const Json* Field(const Json& object, std::string_view name) {
  auto exact = object.find(std::string(name));
  if (exact != object.end()) return &*exact;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualFold(it.key(), name)) return &it.value();
  }
  return nullptr;
}

Status ParseShards(const Json* value, std::vector<int>* out) {
  out->clear();
  if (value == nullptr || value->is_null()) return Status::OK();
  if (!value->is_array()) return Status::Corruption("shard list is not an array");
  for (const Json& v : *value) {
    if (!v.is_number_integer()) return Status::Corruption("shard size is not an integer");
    int64_t n = v.get<int64_t>();
    // Zero would make an empty directory name; anything huge is nonsense for a path component.
    if (n <= 0 || n > 255) return Status::Corruption("invalid shard size " + std::to_string(n));
    out->push_back(static_cast<int>(n));
  }
  return Status::OK();
}

// Go's encoding/json string escaping (including its HTML-safe escapes of <, >, &).
void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// Go encodes a nil slice as null and an empty one as []; ferry never distinguishes, and kopia
// only ever writes non-empty lists, so empty is written as null like a zero-valued Go struct.
void AppendShards(const std::vector<int>& shards, std::string* out) {
  if (shards.empty()) {
    *out += "null";
    return;
  }
  out->push_back('[');
  for (size_t i = 0; i < shards.size(); ++i) {
    if (i > 0) out->push_back(',');
    *out += std::to_string(shards[i]);
  }
  out->push_back(']');
}

}  // namespace

ShardingParameters ShardingParameters::Default() { return {{1, 3}, 20, {}}; }

ShardingParameters ShardingParameters::Legacy() { return {{3, 3}, 20, {}}; }

Result<ShardingParameters> ShardingParameters::Parse(std::string_view json) {
  Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Corruption("sharding parameters are not valid JSON");
  ShardingParameters p;
  if (doc.is_null()) return p;
  if (!doc.is_object()) return Status::Corruption("sharding parameters are not a JSON object");

  FERRY_RETURN_IF_ERROR(ParseShards(Field(doc, "default"), &p.default_shards));
  if (const Json* len = Field(doc, "maxNonShardedLength"); len != nullptr && !len->is_null()) {
    if (!len->is_number_integer() || len->get<int64_t>() < 0 || len->get<int64_t>() > 1 << 20) {
      return Status::Corruption("invalid maxNonShardedLength in sharding parameters");
    }
    p.max_non_sharded_length = static_cast<int>(len->get<int64_t>());
  }
  if (const Json* overrides = Field(doc, "overrides");
      overrides != nullptr && !overrides->is_null()) {
    if (!overrides->is_array()) return Status::Corruption("sharding overrides are not an array");
    for (const Json& o : *overrides) {
      if (!o.is_object()) return Status::Corruption("sharding override is not an object");
      Override parsed;
      if (const Json* prefix = Field(o, "prefix"); prefix != nullptr && !prefix->is_null()) {
        if (!prefix->is_string())
          return Status::Corruption("sharding override prefix is not a string");
        parsed.prefix = prefix->get<std::string>();
      }
      FERRY_RETURN_IF_ERROR(ParseShards(Field(o, "shards"), &parsed.shards));
      p.overrides.push_back(std::move(parsed));
    }
  }
  return p;
}

std::string ShardingParameters::ToJson() const {
  std::string out = "{\"default\":";
  AppendShards(default_shards, &out);
  out += ",\"maxNonShardedLength\":" + std::to_string(max_non_sharded_length);
  if (!overrides.empty()) {
    out += ",\"overrides\":[";
    for (size_t i = 0; i < overrides.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += "{\"prefix\":";
      AppendJsonString(overrides[i].prefix, &out);
      out += ",\"shards\":";
      AppendShards(overrides[i].shards, &out);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out += "}\n";
  return out;
}

const std::vector<int>& ShardingParameters::ShardsFor(std::string_view id) const {
  for (const Override& o : overrides) {
    if (id.starts_with(o.prefix)) return o.shards;
  }
  return default_shards;
}

std::pair<std::vector<std::string>, std::string> ShardingParameters::Split(
    std::string_view id) const {
  std::vector<std::string> dirs;
  if (id.size() > static_cast<size_t>(max_non_sharded_length)) {
    for (int size : ShardsFor(id)) {
      if (id.size() <= static_cast<size_t>(size)) break;
      dirs.emplace_back(id.substr(0, size));
      id.remove_prefix(size);
    }
  }
  std::string file(id);
  file += kBlobFileSuffix;
  return {std::move(dirs), std::move(file)};
}

std::string ShardingParameters::RelativePath(std::string_view id) const {
  auto [dirs, file] = Split(id);
  std::string path;
  for (const std::string& d : dirs) {
    path += d;
    path.push_back('/');
  }
  path += file;
  return path;
}

bool ShardingParameters::operator==(const ShardingParameters& other) const {
  if (default_shards != other.default_shards ||
      max_non_sharded_length != other.max_non_sharded_length ||
      overrides.size() != other.overrides.size()) {
    return false;
  }
  for (size_t i = 0; i < overrides.size(); ++i) {
    if (overrides[i].prefix != other.overrides[i].prefix ||
        overrides[i].shards != other.overrides[i].shards) {
      return false;
    }
  }
  return true;
}

}  // namespace ferry::blob
