// The node agent's ConfigMap `node-agent-config` (Velero 1.13/1.14, datamover-control-plane.md
// §3.8): one data key whose value is a JSON document
//   {"loadConcurrency": {"globalConfig": 2,
//                        "perNodeConfig": [{"nodeSelector": {"matchLabels": {...}}, "number": 1}]}}
// The number of transfers a node runs at once is globalConfig (1 when absent or ≤ 0), or, when
// perNodeConfig rules match the node's labels, the smallest matching number. Invalid rules are
// skipped with a warning. Node labels come from the Node object of that name when the store has
// one; a node always carries kubernetes.io/hostname=<name>.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "resource/store.h"

namespace ferry::controlplane {

inline constexpr std::string_view kNodeAgentConfigMap = "node-agent-config";

// Parses the JSON document (the ConfigMap's data value) for a node with these labels.
int LoadConcurrencyFromJson(std::string_view json, const std::map<std::string, std::string>& node_labels);

// Reads ConfigMap node-agent-config in velero_namespace (absent ⇒ 1).
int LoadConcurrencyForNode(resource::Store& store, std::string_view velero_namespace, std::string_view node);

// The labels of Node `node` when the store knows it, plus kubernetes.io/hostname.
std::map<std::string, std::string> NodeLabels(resource::Store& store, std::string_view node);

}  // namespace ferry::controlplane
