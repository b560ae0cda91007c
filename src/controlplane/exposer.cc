#include "controlplane/exposer.h"

#include <filesystem>
#include <string>

#include "controlplane/labels.h"
#include "controlplane/log.h"
#include "volume/quantity.h"
#include "volume/volume.h"

namespace ferry::controlplane {

namespace fs = std::filesystem;
using resource::Object;

namespace {

bool IsNotFound(const Status& s) { return s.code() == StatusCode::kNotFound; }

std::string Ref(std::string_view ns, std::string_view name) {
  return ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name);
}

Result<Object> GetOr(resource::Store& store, std::string_view kind, std::string_view ns, std::string_view name,
                     const std::string& what) {
  auto o = store.Get(kind, ns, name);
  if (!o.ok() && IsNotFound(o.status())) {
    return Status::NotFound(what + " " + Ref(ns, name) + " not found");
  }
  return o;
}

// The bound PV of a PVC and the volume it describes.
struct BoundVolume {
  std::string pv_name;
  std::string path;
  bool block = false;
};

Result<BoundVolume> VolumeOfClaim(resource::Store& store, std::string_view ns, std::string_view pvc_name) {
  FERRY_ASSIGN_OR_RETURN(Object pvc, GetOr(store, "PersistentVolumeClaim", ns, pvc_name, "PersistentVolumeClaim"));
  BoundVolume v;
  v.pv_name = resource::StringAt(pvc, "spec.volumeName");
  if (v.pv_name.empty()) {
    return Status::InvalidArgument("PersistentVolumeClaim " + Ref(ns, pvc_name) +
                                   " is not bound to a PersistentVolume (spec.volumeName is empty)");
  }
  FERRY_ASSIGN_OR_RETURN(Object pv, GetOr(store, "PersistentVolume", "", v.pv_name, "PersistentVolume"));
  v.path = resource::StringAt(pv, "spec.local.path");
  if (v.path.empty()) v.path = resource::StringAt(pv, "spec.hostPath.path");
  if (v.path.empty()) {
    return Status::Unsupported("PersistentVolume " + v.pv_name + " has no spec.local.path: standalone mode reads "
                               "volumes from local paths only");
  }
  std::string mode = resource::StringAt(pvc, "spec.volumeMode");
  if (mode.empty()) mode = resource::StringAt(pv, "spec.volumeMode");
  v.block = mode == "Block";
  return v;
}

}  // namespace

std::string ExposedPath(const Object& exposure) { return exposure.value("path", std::string()); }
bool ExposedBlock(const Object& exposure) { return exposure.value("volumeMode", std::string()) == "Block"; }

Result<std::optional<Object>> ExposeSnapshot(resource::Store& store, const Object& du, const ExposerOptions& options,
                                             const RecordFn& record) {
  std::string ns = resource::StringAt(du, "spec.sourceNamespace");
  std::string vs_name = resource::StringAt(du, "spec.csiSnapshot.volumeSnapshot");
  if (vs_name.empty()) return Status::InvalidArgument("spec.csiSnapshot.volumeSnapshot is empty");
  FERRY_ASSIGN_OR_RETURN(Object vs, GetOr(store, "VolumeSnapshot", ns, vs_name, "VolumeSnapshot"));
  if (vs.contains("status") && vs["status"].is_object() && vs["status"].contains("readyToUse") &&
      vs["status"]["readyToUse"].is_boolean() && !vs["status"]["readyToUse"].get<bool>()) {
    return std::optional<Object>();  // wait (bounded by the prepare timeout)
  }
  std::string pvc_name = resource::StringAt(vs, "spec.source.persistentVolumeClaimName");
  if (pvc_name.empty()) pvc_name = resource::StringAt(du, "spec.sourcePVC");
  std::string class_name = resource::StringAt(vs, "spec.volumeSnapshotClassName");
  if (class_name.empty()) class_name = resource::StringAt(du, "spec.csiSnapshot.snapshotClass");
  if (class_name.empty()) {
    return Status::InvalidArgument("VolumeSnapshot " + Ref(ns, vs_name) + " names no volumeSnapshotClassName");
  }
  FERRY_ASSIGN_OR_RETURN(Object vsc, GetOr(store, "VolumeSnapshotClass", "", class_name, "VolumeSnapshotClass"));
  if (resource::Labels(vsc)[std::string(kVolumeSnapshotClassLabel)] != "true") {
    return Status::InvalidArgument("VolumeSnapshotClass " + class_name + " lacks the label " +
                                   std::string(kVolumeSnapshotClassLabel) + ": \"true\" that Velero requires");
  }
  std::string driver = resource::StringAt(vsc, "driver");
  FERRY_ASSIGN_OR_RETURN(BoundVolume volume, VolumeOfClaim(store, ns, pvc_name));

  // Record first: a crash between taking the snapshot and recording it must not leak it.
  std::string root;
  if (vsc.contains("parameters") && vsc["parameters"].is_object()) root = vsc["parameters"].value("snapshotRoot", "");
  if (root.empty()) {
    root = driver == volume::kReflinkDriver
               ? (fs::path(volume.path).parent_path() / ".ferry-snapshots").string()
               : options.snapshot_root;
  }
  std::string name = resource::Uid(du);
  bool copies = driver != volume::kLiveDriver;
  Object exposure = {{"driver", driver},
                     {"volumeMode", volume.block ? "Block" : "Filesystem"},
                     {"sourcePV", volume.pv_name},
                     {"sourcePath", volume.path}};
  if (copies) {
    exposure["snapshot"] = (fs::path(root) / name).string();
    FERRY_RETURN_IF_ERROR(record(exposure));
  }
  FERRY_ASSIGN_OR_RETURN(volume::SnapshotHandle snapshot,
                         volume::TakeSnapshot(driver, volume.path,
                                              volume.block ? volume::VolumeMode::kBlock : volume::VolumeMode::kFilesystem,
                                              root, name));
  if (snapshot.owns_copy) {
    exposure["snapshot"] = snapshot.path;
  } else {
    exposure.erase("snapshot");
  }
  exposure["path"] = snapshot.path;
  FERRY_RETURN_IF_ERROR(record(exposure));
  return std::optional<Object>(exposure);
}

Status CleanUpSnapshot(resource::Store& store, const Object& du, const Object& exposure, bool delete_source_snapshot) {
  Status result;
  std::string copy = exposure.value("snapshot", std::string());
  if (!copy.empty()) {
    volume::SnapshotHandle handle;
    handle.path = copy;
    handle.driver = exposure.value("driver", std::string());
    handle.mode = ExposedBlock(exposure) ? volume::VolumeMode::kBlock : volume::VolumeMode::kFilesystem;
    handle.source_path = exposure.value("sourcePath", std::string());
    handle.owns_copy = true;
    Status s = volume::DeleteSnapshot(handle);
    if (!s.ok() && !IsNotFound(s)) result = s.WithContext("deleting snapshot " + copy);
  }
  // Velero deletes the source VolumeSnapshot once its data has moved (or could not be).
  std::string ns = resource::StringAt(du, "spec.sourceNamespace");
  std::string vs_name = resource::StringAt(du, "spec.csiSnapshot.volumeSnapshot");
  if (!vs_name.empty() && delete_source_snapshot) {
    Status s = store.Delete("VolumeSnapshot", ns, vs_name);
    if (!s.ok() && !IsNotFound(s) && result.ok()) result = s.WithContext("deleting VolumeSnapshot " + Ref(ns, vs_name));
  }
  return result;
}

Result<std::optional<Object>> ExposeRestoreTarget(resource::Store& store, const Object& dd, const ExposerOptions& options,
                                                  const RecordFn& record) {
  std::string ns = resource::StringAt(dd, "spec.targetVolume.namespace");
  std::string pvc_name = resource::StringAt(dd, "spec.targetVolume.pvc");
  FERRY_ASSIGN_OR_RETURN(Object pvc, GetOr(store, "PersistentVolumeClaim", ns, pvc_name, "target PersistentVolumeClaim"));
  std::string bound = resource::StringAt(pvc, "spec.volumeName");
  if (!bound.empty()) {
    return Status::InvalidArgument("target PVC " + Ref(ns, pvc_name) + " is already bound to PersistentVolume " +
                                   bound + "; restore into a new, unbound PVC");
  }
  std::string class_name = resource::StringAt(pvc, "spec.storageClassName");
  if (class_name.empty()) {
    return Status::InvalidArgument("target PVC " + Ref(ns, pvc_name) + " has no storageClassName");
  }
  FERRY_ASSIGN_OR_RETURN(Object sc, GetOr(store, "StorageClass", "", class_name, "StorageClass"));
  std::string provisioner = resource::StringAt(sc, "provisioner");
  std::string size_text = resource::StringAt(pvc, "spec.resources.requests.storage");
  bool block = resource::StringAt(pvc, "spec.volumeMode") == "Block";
  int64_t size = 0;
  if (!size_text.empty() || block) {
    auto parsed = volume::ParseQuantity(size_text);
    if (!parsed.ok()) return parsed.status().WithContext("target PVC " + Ref(ns, pvc_name) + " spec.resources.requests.storage");
    size = *parsed;
  }

  if (provisioner != volume::kHostPathProvisioner) {
    return Status::Unsupported("StorageClass " + class_name + " has provisioner \"" + provisioner +
                               "\"; standalone restores provision volumes with " +
                               std::string(volume::kHostPathProvisioner));
  }
  std::string root;
  if (sc.contains("parameters") && sc["parameters"].is_object()) {
    root = sc["parameters"].value("root", "");
    if (root.empty()) root = sc["parameters"].value("path", "");
  }
  if (root.empty()) root = options.volume_root;
  if (root.empty()) return Status::InvalidArgument("StorageClass " + class_name + " has no parameters.root");
  std::string name = "pvc-" + resource::Uid(pvc);
  Object exposure = {{"volumeMode", block ? "Block" : "Filesystem"},
                     {"provisioner", provisioner},
                     {"provisioned", (fs::path(root) / name).string()},
                     {"pv", name},
                     {"storageClass", class_name},
                     {"sizeBytes", size}};
  FERRY_RETURN_IF_ERROR(record(exposure));
  auto provisioned = volume::Provision(root, name, block ? volume::VolumeMode::kBlock : volume::VolumeMode::kFilesystem, size);
  if (!provisioned.ok() && provisioned.status().code() == StatusCode::kAlreadyExists) {
    // Left by an earlier attempt of this same restore (recorded above before a crash): start over.
    volume::ProvisionedVolume stale{(fs::path(root) / name).string(),
                                    block ? volume::VolumeMode::kBlock : volume::VolumeMode::kFilesystem, size};
    FERRY_RETURN_IF_ERROR(volume::DeleteProvisioned(stale));
    provisioned = volume::Provision(root, name, stale.mode, size);
  }
  if (!provisioned.ok()) return provisioned.status();
  exposure["provisioned"] = provisioned->path;
  exposure["path"] = provisioned->path;
  FERRY_RETURN_IF_ERROR(record(exposure));
  return std::optional<Object>(exposure);
}

Status BindRestoredVolume(resource::Store& store, const Object& dd, const RecordFn& record, const Object& exposure) {
  std::string ns = resource::StringAt(dd, "spec.targetVolume.namespace");
  std::string pvc_name = resource::StringAt(dd, "spec.targetVolume.pvc");
  FERRY_ASSIGN_OR_RETURN(Object pvc, GetOr(store, "PersistentVolumeClaim", ns, pvc_name, "target PersistentVolumeClaim"));
  std::string pv_name = exposure.value("pv", std::string());
  std::string class_name = exposure.value("storageClass", std::string());
  std::string reclaim = "Delete";
  if (auto sc = store.Get("StorageClass", "", class_name); sc.ok()) {
    std::string r = resource::StringAt(*sc, "reclaimPolicy");
    if (!r.empty()) reclaim = r;
  }
  Object pv = {{"apiVersion", "v1"},
               {"kind", "PersistentVolume"},
               {"metadata",
                {{"name", pv_name},
                 {"annotations", {{"pv.kubernetes.io/provisioned-by", exposure.value("provisioner", std::string())}}}}},
               {"spec",
                {{"capacity", {{"storage", resource::StringAt(pvc, "spec.resources.requests.storage")}}},
                 {"volumeMode", exposure.value("volumeMode", std::string("Filesystem"))},
                 {"local", {{"path", exposure.value("path", std::string())}}},
                 {"storageClassName", class_name},
                 {"persistentVolumeReclaimPolicy", reclaim},
                 {"claimRef", {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"namespace", ns}, {"name", pvc_name}}}}},
               {"status", {{"phase", "Bound"}}}};
  if (pvc.contains("spec") && pvc["spec"].contains("accessModes")) pv["spec"]["accessModes"] = pvc["spec"]["accessModes"];
  // The PVC selector's labels (velero.io/dynamic-pv-restore) go on the PV, so only it matches.
  if (pvc.contains("spec") && pvc["spec"].contains("selector") && pvc["spec"]["selector"].contains("matchLabels") &&
      pvc["spec"]["selector"]["matchLabels"].is_object()) {
    pv["metadata"]["labels"] = pvc["spec"]["selector"]["matchLabels"];
  }
  auto created = store.Create(pv);
  if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) {
    return created.status().WithContext("creating PersistentVolume " + pv_name);
  }
  Object patch;
  patch["spec"]["volumeName"] = pv_name;
  patch["status"]["phase"] = "Bound";
  patch["status"]["capacity"]["storage"] = resource::StringAt(pvc, "spec.resources.requests.storage");
  // What kubectl's ACCESS MODES column shows for a bound claim.
  if (pvc.contains("spec") && pvc["spec"].contains("accessModes")) patch["status"]["accessModes"] = pvc["spec"]["accessModes"];
  auto bound = store.MergePatch("PersistentVolumeClaim", ns, pvc_name, patch);
  if (!bound.ok()) return bound.status().WithContext("binding PVC " + Ref(ns, pvc_name));
  Object done = exposure;
  done["bound"] = true;
  return record(done);
}

Status CleanUpRestoreTarget(resource::Store& store, const Object& exposure) {
  if (exposure.value("bound", false)) return Status::OK();  // handed over to the PVC
  Status result;
  std::string pv = exposure.value("pv", std::string());
  if (!pv.empty()) {
    // Only a PV this restore created (bound to nothing yet) carries this name.
    Status s = store.Delete("PersistentVolume", "", pv);
    if (!s.ok() && !IsNotFound(s)) result = s.WithContext("deleting PersistentVolume " + pv);
  }
  std::string provisioned = exposure.value("provisioned", std::string());
  if (provisioned.empty()) return result;
  volume::ProvisionedVolume v{provisioned, ExposedBlock(exposure) ? volume::VolumeMode::kBlock : volume::VolumeMode::kFilesystem,
                              exposure.value("sizeBytes", int64_t{0})};
  Status s = volume::DeleteProvisioned(v);
  if (!s.ok() && !IsNotFound(s) && result.ok()) result = s.WithContext("deleting the provisioned volume " + provisioned);
  return result;
}

}  // namespace ferry::controlplane
