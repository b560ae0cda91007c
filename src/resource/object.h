// Object: one control-plane resource as the JSON document Kubernetes would hold (apiVersion,
// kind, metadata, spec, status, and any field ferry does not know, kept as is). Accessors read
// and write the envelope without a schema, so unknown fields survive every round trip.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::resource {

using Object = nlohmann::ordered_json;  // keeps the field order users wrote

std::string ApiVersion(const Object& o);
std::string Kind(const Object& o);
std::string Name(const Object& o);
std::string Namespace(const Object& o);
std::string Uid(const Object& o);
int64_t ResourceVersion(const Object& o);  // 0 when absent
std::string CreationTimestamp(const Object& o);
std::string DeletionTimestamp(const Object& o);  // empty when not being deleted
std::map<std::string, std::string> Labels(const Object& o);
std::map<std::string, std::string> Annotations(const Object& o);
std::vector<std::string> Finalizers(const Object& o);

void SetLabel(Object& o, const std::string& key, const std::string& value);
void SetAnnotation(Object& o, const std::string& key, const std::string& value);
bool HasFinalizer(const Object& o, std::string_view finalizer);
void AddFinalizer(Object& o, std::string_view finalizer);     // no-op when present
void RemoveFinalizer(Object& o, std::string_view finalizer);  // no-op when absent
// ownerReferences entry {apiVersion, kind, name, uid, controller: true}.
void SetControllerOwner(Object& o, const Object& owner);

// A string at a JSON path such as "spec.csiSnapshot.volumeSnapshot" ("" when absent).
std::string StringAt(const Object& o, std::string_view dotted_path);
int64_t IntAt(const Object& o, std::string_view dotted_path, int64_t fallback = 0);
bool BoolAt(const Object& o, std::string_view dotted_path, bool fallback = false);

// "datauploads.velero.io \"name\"" style reference for messages.
std::string Describe(const Object& o);

}  // namespace ferry::resource
