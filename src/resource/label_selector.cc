#include "resource/label_selector.h"

#include <algorithm>
#include <cctype>

namespace ferry::resource {
namespace {

bool IsLabelChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Status CheckToken(std::string_view token, std::string_view what, std::string_view whole, bool allow_empty) {
  if (token.empty() && !allow_empty) {
    return Status::InvalidArgument("unable to parse requirement: empty " + std::string(what) + " in \"" +
                                   std::string(whole) + "\"");
  }
  for (char c : token) {
    if (!IsLabelChar(c)) {
      return Status::InvalidArgument("unable to parse requirement: invalid " + std::string(what) + " \"" +
                                     std::string(token) + "\" in \"" + std::string(whole) + "\"");
    }
  }
  return Status::OK();
}

// Splits at commas outside parentheses.
std::vector<std::string_view> SplitRequirements(std::string_view text) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (text[i] == ',' && depth == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

Result<LabelRequirement> ParseRequirement(std::string_view part) {
  std::string_view r = Trim(part);
  LabelRequirement req;
  if (r.empty()) return Status::InvalidArgument("found ',', expected: !, identifier, or 'end of string'");
  if (r[0] == '!') {
    std::string_view key = Trim(r.substr(1));
    FERRY_RETURN_IF_ERROR(CheckToken(key, "label key", r, false));
    req.key = key;
    req.op = LabelRequirement::Op::kDoesNotExist;
    return req;
  }
  size_t key_end = 0;
  while (key_end < r.size() && IsLabelChar(r[key_end])) ++key_end;
  std::string_view key = r.substr(0, key_end);
  FERRY_RETURN_IF_ERROR(CheckToken(key, "label key", r, false));
  req.key = key;
  std::string_view rest = Trim(r.substr(key_end));
  if (rest.empty()) {
    req.op = LabelRequirement::Op::kExists;
    return req;
  }
  auto value_after = [&](size_t n) -> Result<std::string> {
    std::string_view v = Trim(rest.substr(n));
    FERRY_RETURN_IF_ERROR(CheckToken(v, "label value", r, true));
    return std::string(v);
  };
  if (rest.starts_with("!=")) {
    req.op = LabelRequirement::Op::kNotEquals;
    FERRY_ASSIGN_OR_RETURN(auto v, value_after(2));
    req.values = {v};
    return req;
  }
  if (rest.starts_with("==")) {
    req.op = LabelRequirement::Op::kEquals;
    FERRY_ASSIGN_OR_RETURN(auto v, value_after(2));
    req.values = {v};
    return req;
  }
  if (rest.starts_with("=")) {
    req.op = LabelRequirement::Op::kEquals;
    FERRY_ASSIGN_OR_RETURN(auto v, value_after(1));
    req.values = {v};
    return req;
  }
  std::string_view set_part;
  if (rest.starts_with("notin") && rest.size() > 5 && (rest[5] == '(' || std::isspace(static_cast<unsigned char>(rest[5])))) {
    req.op = LabelRequirement::Op::kNotIn;
    set_part = Trim(rest.substr(5));
  } else if (rest.starts_with("in") && rest.size() > 2 && (rest[2] == '(' || std::isspace(static_cast<unsigned char>(rest[2])))) {
    req.op = LabelRequirement::Op::kIn;
    set_part = Trim(rest.substr(2));
  } else {
    return Status::InvalidArgument("unable to parse requirement \"" + std::string(r) +
                                   "\": expected one of =, ==, !=, in, notin");
  }
  if (set_part.size() < 2 || set_part.front() != '(' || set_part.back() != ')') {
    return Status::InvalidArgument("unable to parse requirement \"" + std::string(r) +
                                   "\": expected a value list in parentheses");
  }
  set_part = set_part.substr(1, set_part.size() - 2);
  size_t start = 0;
  while (true) {
    size_t comma = set_part.find(',', start);
    std::string_view v = Trim(set_part.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    FERRY_RETURN_IF_ERROR(CheckToken(v, "label value", r, true));
    req.values.emplace_back(v);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(req.values.begin(), req.values.end());
  req.values.erase(std::unique(req.values.begin(), req.values.end()), req.values.end());
  return req;
}

}  // namespace

Result<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector sel;
  if (Trim(text).empty()) return sel;
  for (std::string_view part : SplitRequirements(text)) {
    FERRY_ASSIGN_OR_RETURN(auto req, ParseRequirement(part));
    sel.requirements_.push_back(std::move(req));
  }
  return sel;
}

Result<LabelSelector> LabelSelector::FromJson(const Object& selector) {
  LabelSelector sel;
  if (selector.is_null()) return sel;
  if (!selector.is_object()) return Status::InvalidArgument("a label selector must be an object");
  if (selector.contains("matchLabels") && !selector["matchLabels"].is_null()) {
    const Object& ml = selector["matchLabels"];
    if (!ml.is_object()) return Status::InvalidArgument("matchLabels must be a map of strings");
    for (auto it = ml.begin(); it != ml.end(); ++it) {
      if (!it.value().is_string()) {
        return Status::InvalidArgument("matchLabels." + it.key() + " must be a string");
      }
      sel.requirements_.push_back({it.key(), LabelRequirement::Op::kEquals, {it.value().get<std::string>()}});
    }
  }
  if (selector.contains("matchExpressions") && !selector["matchExpressions"].is_null()) {
    const Object& me = selector["matchExpressions"];
    if (!me.is_array()) return Status::InvalidArgument("matchExpressions must be a list");
    for (const auto& e : me) {
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string() || !e.contains("operator") ||
          !e["operator"].is_string()) {
        return Status::InvalidArgument("each matchExpressions entry needs a key and an operator");
      }
      LabelRequirement req;
      req.key = e["key"].get<std::string>();
      std::string op = e["operator"].get<std::string>();
      if (e.contains("values") && e["values"].is_array()) {
        for (const auto& v : e["values"]) {
          if (v.is_string()) req.values.push_back(v.get<std::string>());
        }
      }
      if (op == "In") req.op = LabelRequirement::Op::kIn;
      else if (op == "NotIn") req.op = LabelRequirement::Op::kNotIn;
      else if (op == "Exists") req.op = LabelRequirement::Op::kExists;
      else if (op == "DoesNotExist") req.op = LabelRequirement::Op::kDoesNotExist;
      else return Status::InvalidArgument("\"" + op + "\" is not a valid label selector operator");
      if ((req.op == LabelRequirement::Op::kIn || req.op == LabelRequirement::Op::kNotIn) && req.values.empty()) {
        return Status::InvalidArgument("values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
      }
      sel.requirements_.push_back(std::move(req));
    }
  }
  return sel;
}

LabelSelector LabelSelector::Equals(std::map<std::string, std::string> labels) {
  LabelSelector sel;
  for (auto& [k, v] : labels) sel.requirements_.push_back({k, LabelRequirement::Op::kEquals, {v}});
  return sel;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& r : requirements_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    auto in_values = [&] {
      return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    };
    switch (r.op) {
      case LabelRequirement::Op::kEquals:
      case LabelRequirement::Op::kIn:
        if (!in_values()) return false;
        break;
      case LabelRequirement::Op::kNotEquals:
      case LabelRequirement::Op::kNotIn:
        if (in_values()) return false;
        break;
      case LabelRequirement::Op::kExists:
        if (!has) return false;
        break;
      case LabelRequirement::Op::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

std::string LabelSelector::ToString() const {
  std::string out;
  for (const auto& r : requirements_) {
    if (!out.empty()) out += ",";
    auto joined = [&] {
      std::string s;
      for (const auto& v : r.values) s += (s.empty() ? "" : ",") + v;
      return s;
    };
    switch (r.op) {
      case LabelRequirement::Op::kEquals: out += r.key + "=" + (r.values.empty() ? "" : r.values[0]); break;
      case LabelRequirement::Op::kNotEquals: out += r.key + "!=" + (r.values.empty() ? "" : r.values[0]); break;
      case LabelRequirement::Op::kIn: out += r.key + " in (" + joined() + ")"; break;
      case LabelRequirement::Op::kNotIn: out += r.key + " notin (" + joined() + ")"; break;
      case LabelRequirement::Op::kExists: out += r.key; break;
      case LabelRequirement::Op::kDoesNotExist: out += "!" + r.key; break;
    }
  }
  return out;
}

}  // namespace ferry::resource
