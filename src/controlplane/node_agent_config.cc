#include "controlplane/node_agent_config.h"

#include <algorithm>
#include <climits>

#include "controlplane/log.h"
#include "resource/kinds.h"
#include "resource/label_selector.h"

namespace ferry::controlplane {

using resource::Object;

int LoadConcurrencyFromJson(std::string_view json, const std::map<std::string, std::string>& node_labels) {
  Object doc = Object::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    LogWarning(std::string(kNodeAgentConfigMap) + " is not a JSON object; using loadConcurrency 1");
    return 1;
  }
  if (!doc.contains("loadConcurrency") || !doc["loadConcurrency"].is_object()) return 1;
  const Object& lc = doc["loadConcurrency"];
  int global = 1;
  if (lc.contains("globalConfig") && lc["globalConfig"].is_number_integer()) {
    int64_t v = lc["globalConfig"].get<int64_t>();
    if (v > 0) global = static_cast<int>(std::min<int64_t>(v, INT_MAX));
  }
  int best = INT_MAX;
  if (lc.contains("perNodeConfig") && lc["perNodeConfig"].is_array()) {
    for (const Object& rule : lc["perNodeConfig"]) {
      if (!rule.is_object() || !rule.contains("number") || !rule["number"].is_number_integer() ||
          rule["number"].get<int64_t>() <= 0 || !rule.contains("nodeSelector")) {
        LogWarning("skipping an invalid loadConcurrency.perNodeConfig rule: " + rule.dump());
        continue;
      }
      auto selector = resource::LabelSelector::FromJson(rule["nodeSelector"]);
      if (!selector.ok()) {
        LogWarning("skipping a loadConcurrency.perNodeConfig rule with a bad nodeSelector: " +
                   selector.status().message());
        continue;
      }
      if (selector->Matches(node_labels)) {
        best = std::min<int64_t>(best, std::min<int64_t>(rule["number"].get<int64_t>(), INT_MAX));
      }
    }
  }
  return best == INT_MAX ? global : best;
}

std::map<std::string, std::string> NodeLabels(resource::Store& store, std::string_view node) {
  std::map<std::string, std::string> labels;
  if (resource::LookupKind("Node").ok()) {
    auto obj = store.Get("Node", "", node);
    if (obj.ok()) labels = resource::Labels(*obj);
  }
  labels.emplace("kubernetes.io/hostname", std::string(node));
  return labels;
}

int LoadConcurrencyForNode(resource::Store& store, std::string_view velero_namespace, std::string_view node) {
  auto cm = store.Get("ConfigMap", velero_namespace, kNodeAgentConfigMap);
  if (!cm.ok()) return 1;
  if (!cm->contains("data") || !(*cm)["data"].is_object() || (*cm)["data"].empty()) return 1;
  for (auto it = (*cm)["data"].begin(); it != (*cm)["data"].end(); ++it) {
    if (it.value().is_string()) return LoadConcurrencyFromJson(it.value().get<std::string>(), NodeLabels(store, node));
  }
  return 1;
}

}  // namespace ferry::controlplane
