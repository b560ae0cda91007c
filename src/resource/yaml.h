// YAML for resources, the way kubectl reads and prints it: multi-document manifests parsed into
// Objects (plain scalars typed as go-yaml v2 types them — numbers, booleans incl. yes/no/on/off,
// null — quoted scalars stay strings), and Objects printed like `kubectl get -o yaml` (block
// style, keys sorted, strings quoted only when they would read back as something else).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "resource/object.h"

namespace ferry::resource {

struct YamlDocument {
  Object object;
  int line = 1;  // 1-based line of the document's first key, for messages
};

// Every non-empty document of text. Each must be a mapping. InvalidArgument "line N: ..." for a
// syntax error, a duplicate key or a document that is not a mapping.
Result<std::vector<YamlDocument>> ParseYamlDocuments(std::string_view text);
// The objects of ParseYamlDocuments.
Result<std::vector<Object>> ParseYaml(std::string_view text);

// One object as a YAML document (no leading "---"), ending in a newline.
std::string ToYaml(const Object& object);

}  // namespace ferry::resource
