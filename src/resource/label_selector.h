// LabelSelector: kubectl's equality- and set-based selectors ("a=b,c!=d,e in (x,y),!f,g") and
// metav1.LabelSelector's matchLabels/matchExpressions, matched against an object's labels.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "resource/object.h"

namespace ferry::resource {

struct LabelRequirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kEquals;
  std::vector<std::string> values;
};

class LabelSelector {
 public:
  LabelSelector() = default;
  // kubectl -l syntax; InvalidArgument naming the bad part.
  static Result<LabelSelector> Parse(std::string_view text);
  // A metav1.LabelSelector JSON object ({matchLabels, matchExpressions}).
  static Result<LabelSelector> FromJson(const Object& selector);
  static LabelSelector Equals(std::map<std::string, std::string> labels);

  bool empty() const { return requirements_.empty(); }
  bool Matches(const std::map<std::string, std::string>& labels) const;
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }
  std::string ToString() const;

 private:
  std::vector<LabelRequirement> requirements_;
};

}  // namespace ferry::resource
