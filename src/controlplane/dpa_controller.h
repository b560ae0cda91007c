// DataProtectionApplication (oadp.openshift.io/v1alpha1) reconciliation, as the OADP operator
// does it for the parts a data mover needs:
//   - spec.backupLocations[].velero → one BackupStorageLocation each (named backupLocations[].name,
//     else "<dpa>-<n>"), owned by the DPA; locations dropped from the DPA are deleted;
//   - spec.configuration.velero.podConfig.env KOPIA_{HASHING,ENCRYPTION,SPLITTER}_ALGORITHM →
//     ConfigMap kRepositoryAlgorithmsConfigMap in the DPA's namespace, read by whoever creates a
//     namespace repository (the algorithms apply only when a repository is first created);
//   - status.conditions[type=Reconciled]: True/Complete, or False/Error with the reason an
//     invalid combination was rejected (data mover without node agent, unknown algorithm, an
//     uploader other than kopia, a plugin ferry does not provide, a location without a bucket).
// A rejected DPA changes nothing else: its BSLs and configuration stay as they were.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "resource/object.h"
#include "resource/store.h"

namespace ferry::controlplane {

inline constexpr char kRepositoryAlgorithmsConfigMap[] = "ferry-repository-algorithms";

// Checks the DPA's spec; InvalidArgument with the message the Reconciled condition shows.
Status ValidateDataProtectionApplication(const resource::Object& dpa);

// Reconciles one DPA (writes its status only when the condition changes, so reconciling an
// unchanged DPA writes nothing). Returns an error only when the store fails.
Status ReconcileDataProtectionApplication(resource::Store& store, const resource::Object& dpa);

// Reconciles every DPA in the store.
Status ReconcileDataProtectionApplications(resource::Store& store);

// The KOPIA_*_ALGORITHM values configured for namespace `velero_namespace` (from the ConfigMap the
// DPA reconciliation writes), keyed "hash", "encryption", "splitter"; empty when none.
Result<std::map<std::string, std::string>> ConfiguredRepositoryAlgorithms(
    resource::Store& store, const std::string& velero_namespace);

// Whether a DPA in `ns` enables moving snapshot data by default (velero.defaultSnapshotMoveData).
bool DefaultSnapshotMoveData(resource::Store& store, const std::string& ns);

}  // namespace ferry::controlplane
