#include "resource/yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

namespace ferry::resource {
namespace {

const std::string kTagPrefix = "tag:yaml.org,2002:";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<bool> ResolveBool(std::string_view s) {
  // go-yaml v2 (YAML 1.1) resolves these plain scalars to booleans, as kubectl does.
  static const char* kTrue[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const char* kFalse[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  for (const char* t : kTrue) {
    if (s == t) return true;
  }
  for (const char* f : kFalse) {
    if (s == f) return false;
  }
  return std::nullopt;
}

bool IsNullWord(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<int64_t> ResolveInt(std::string_view plain) {
  std::string s;
  for (char c : plain) {
    if (c != '_') s += c;
  }
  if (s.empty()) return std::nullopt;
  size_t pos = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    pos = 1;
  }
  int base = 10;
  if (s.size() > pos + 1 && s[pos] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[pos + 1])));
    if (p == 'x') base = 16, pos += 2;
    else if (p == 'o') base = 8, pos += 2;
    else if (p == 'b') base = 2, pos += 2;
    else base = 8, pos += 1;
  }
  if (pos >= s.size()) return std::nullopt;
  constexpr uint64_t kLimit = uint64_t{1} << 63;  // |INT64_MIN|
  uint64_t v = 0;
  for (; pos < s.size(); ++pos) {
    int d;
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[pos])));
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return std::nullopt;
    if (d >= base) return std::nullopt;
    if (v > (kLimit - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (!negative && v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return negative ? -static_cast<int64_t>(v - 1) - 1 : static_cast<int64_t>(v);
}

std::optional<double> ResolveFloat(std::string_view s) {
  // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ or .inf/.nan.
  std::string lower = Lower(s);
  if (lower == ".inf" || lower == "+.inf") return HUGE_VAL;
  if (lower == "-.inf") return -HUGE_VAL;
  if (lower == ".nan") return NAN;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}

// What a plain scalar means (go-yaml v2's resolve, then JSON as sigs.k8s.io/yaml writes it).
Object ResolvePlain(const std::string& s) {
  if (IsNullWord(s)) return nullptr;
  if (auto b = ResolveBool(s)) return *b;
  if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+' || s[0] == '.')) {
    if (auto i = ResolveInt(s)) return *i;
    if (auto f = ResolveFloat(s)) {
      if (std::isfinite(*f) && *f == std::floor(*f) && std::fabs(*f) < 9.0e18) return static_cast<int64_t>(*f);
      return *f;
    }
  }
  return s;
}

std::string At(const YAML::Mark& mark) { return "line " + std::to_string(mark.line + 1); }

Result<Object> Convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Object(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      const std::string& value = node.Scalar();
      if (tag == "?" ) return ResolvePlain(value);
      if (tag == "!" || tag == kTagPrefix + "str") return Object(value);
      if (tag == kTagPrefix + "int") {
        if (auto i = ResolveInt(value)) return Object(*i);
        return Status::InvalidArgument(At(node.Mark()) + ": cannot decode !!str `" + value + "` as a !!int");
      }
      if (tag == kTagPrefix + "bool") {
        if (auto b = ResolveBool(value)) return Object(*b);
        return Status::InvalidArgument(At(node.Mark()) + ": cannot decode `" + value + "` as a !!bool");
      }
      if (tag == kTagPrefix + "null") return Object(nullptr);
      if (tag == kTagPrefix + "float") {
        if (auto f = ResolveFloat(value)) return Object(*f);
        if (auto i = ResolveInt(value)) return Object(static_cast<double>(*i));
        return Status::InvalidArgument(At(node.Mark()) + ": cannot decode `" + value + "` as a !!float");
      }
      return ResolvePlain(value);
    }
    case YAML::NodeType::Sequence: {
      Object arr = Object::array();
      for (const auto& item : node) {
        FERRY_ASSIGN_OR_RETURN(auto v, Convert(item));
        arr.push_back(std::move(v));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Object obj = Object::object();
      std::map<std::string, int> key_lines;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar() && !kv.first.IsNull()) {
          return Status::InvalidArgument(At(kv.first.Mark()) + ": a mapping key must be a scalar");
        }
        std::string key = kv.first.IsNull() ? "null" : kv.first.Scalar();
        int line = kv.first.Mark().line + 1;
        auto [it, inserted] = key_lines.emplace(key, line);
        if (!inserted) {
          return Status::InvalidArgument("line " + std::to_string(line) + ": mapping key \"" + key +
                                         "\" already defined at line " + std::to_string(it->second));
        }
        FERRY_ASSIGN_OR_RETURN(auto v, Convert(kv.second));
        obj[key] = std::move(v);
      }
      return obj;
    }
  }
  return Object(nullptr);
}

// ---- emitting ----

bool IsPrintable(unsigned char c) { return c >= 0x20 || c == '\t'; }

// go-yaml v2 tags plain "2006-1-2..." scalars as timestamps, so kubectl quotes such strings
// (creationTimestamp: "2026-11-27T18:00:00Z").
bool LooksLikeTimestamp(const std::string& s) {
  size_t i = 0;
  auto digits = [&](size_t min, size_t max) {
    size_t n = 0;
    while (i < s.size() && n < max && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++n;
    return n >= min;
  };
  if (!digits(4, 4) || i >= s.size() || s[i++] != '-' || !digits(1, 2) || i >= s.size() || s[i++] != '-' ||
      !digits(1, 2)) {
    return false;
  }
  return i == s.size() || s[i] == 'T' || s[i] == 't' || s[i] == ' ';
}

// Would a plain scalar of s read back as something other than the string s?
bool ResolvesToNonString(const std::string& s) { return !ResolvePlain(s).is_string() || LooksLikeTimestamp(s); }

// libyaml's analysis: may s be written plain in block context?
bool PlainAllowed(const std::string& s) {
  if (s.empty()) return false;
  if (s.starts_with("---") || s.starts_with("...")) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t') return false;
  static const std::string kLeading = "#,[]{}&*!|>'\"%@`";
  if (kLeading.find(s[0]) != std::string::npos) return false;
  if ((s[0] == '-' || s[0] == '?' || s[0] == ':') && (s.size() == 1 || s[1] == ' ')) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!IsPrintable(c)) return false;
    if (s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return false;
    if (s[i] == '#' && i > 0 && s[i - 1] == ' ') return false;
  }
  return true;
}

std::string DoubleQuoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string SingleQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

bool HasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 && u != '\n' && u != '\t';
  });
}

std::string ScalarString(const std::string& s) {
  if (ResolvesToNonString(s) || HasControl(s) || s.find('\n') != std::string::npos) return DoubleQuoted(s);
  if (PlainAllowed(s)) return s;
  return SingleQuoted(s);
}

std::string Scalar(const Object& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isnan(d)) return ".nan";
    if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
    return v.dump();
  }
  if (v.is_number()) return v.dump();
  return ScalarString(v.get<std::string>());
}

bool IsBlock(const Object& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

bool MultiLine(const Object& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.find('\n') == std::string::npos || HasControl(s)) return false;
  // A literal block cannot start with a space without an indentation indicator; nor carry
  // trailing spaces on lines faithfully enough: quote those.
  if (s.front() == ' ' || s.front() == '\n') return false;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    size_t end = nl == std::string::npos ? s.size() : nl;
    if (end > pos && (s[end - 1] == ' ' || s[end - 1] == '\t')) return false;
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return true;
}

void EmitLiteral(const std::string& s, int indent, std::string& out) {
  size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  out += trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n";
  std::string body = s.substr(0, s.size() - trailing);
  size_t pos = 0;
  while (true) {
    size_t nl = body.find('\n', pos);
    std::string line = body.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty()) out += std::string(indent, ' ') + line;
    out += "\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  for (size_t i = 1; i < trailing; ++i) out += "\n";
}

void EmitBlock(const Object& v, int indent, std::string& out);

// The value after "key:" or "- " (which the caller has written): inline or on following lines.
void EmitValue(const Object& v, int indent, std::string& out) {
  if (IsBlock(v)) {
    out += "\n";
    EmitBlock(v, v.is_array() ? indent - 2 : indent, out);
  } else if (v.is_object()) {
    out += " {}\n";
  } else if (v.is_array()) {
    out += " []\n";
  } else if (MultiLine(v)) {
    out += " ";
    EmitLiteral(v.get<std::string>(), indent, out);
  } else {
    out += " " + Scalar(v) + "\n";
  }
}

void EmitBlock(const Object& v, int indent, std::string& out) {
  std::string pad(indent, ' ');
  if (v.is_object()) {
    std::vector<std::string> keys;
    for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());  // kubectl prints keys sorted (Go maps)
    for (const auto& key : keys) {
      out += pad + ScalarString(key) + ":";
      EmitValue(v[key], indent + 2, out);
    }
    return;
  }
  for (const auto& item : v) {
    if (IsBlock(item)) {
      // The first line of the nested block goes right after "- ".
      std::string nested;
      EmitBlock(item, indent + 2, nested);
      out += pad + "- " + nested.substr(static_cast<size_t>(indent) + 2);
    } else {
      out += pad + "-";
      EmitValue(item, indent + 2, out);
    }
  }
}

}  // namespace

Result<std::vector<YamlDocument>> ParseYamlDocuments(std::string_view text) {
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  std::vector<YamlDocument> docs;
  for (const auto& node : nodes) {
    if (node.IsNull() || !node.IsDefined()) continue;
    if (!node.IsMap()) {
      return Status::InvalidArgument(At(node.Mark()) +
                                     ": a resource must be a YAML mapping (apiVersion, kind, metadata, ...)");
    }
    FERRY_ASSIGN_OR_RETURN(auto obj, Convert(node));
    // The first key's line: the mapping's own mark can point at a preceding "---".
    int line = node.size() > 0 ? node.begin()->first.Mark().line + 1 : node.Mark().line + 1;
    docs.push_back({std::move(obj), line});
  }
  return docs;
}

Result<std::vector<Object>> ParseYaml(std::string_view text) {
  FERRY_ASSIGN_OR_RETURN(auto docs, ParseYamlDocuments(text));
  std::vector<Object> out;
  for (auto& d : docs) out.push_back(std::move(d.object));
  return out;
}

std::string ToYaml(const Object& object) {
  std::string out;
  if (IsBlock(object)) {
    EmitBlock(object, 0, out);
  } else if (object.is_object()) {
    out = "{}\n";
  } else if (object.is_array()) {
    out = "[]\n";
  } else {
    out = Scalar(object) + "\n";
  }
  return out;
}

}  // namespace ferry::resource
