// Store: where control-plane resources (DataUpload, BackupRepository, Secret, ...) live. One
// interface, two back-ends: the embedded SQLite store for standalone use (sqlite_store.h) and,
// later, a Kubernetes API server. Controllers talk only to this interface, so they behave the
// same on both. Semantics follow the Kubernetes API (datamover-control-plane.md §9.2):
//   - objects are whole JSON documents; fields ferry does not know are kept on every update;
//   - every write bumps a global, monotonically increasing resourceVersion;
//   - Update is a compare-and-swap on metadata.resourceVersion: a stale version fails with
//     StatusCode::kConflict (the claim protocol of the node agents depends on it);
//   - Delete of an object with finalizers only sets metadata.deletionTimestamp; the object goes
//     away when an Update leaves its finalizers empty;
//   - deleting an object deletes (cascades to) the objects whose ownerReferences name its uid;
//   - every create/update/delete is an event in a feed that watchers read from a resourceVersion.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "resource/label_selector.h"
#include "resource/object.h"

namespace ferry::resource {

struct ListOptions {
  std::string namespace_name;  // empty: all namespaces (or a cluster-scoped kind)
  LabelSelector selector;      // empty: everything
};

enum class EventType { kAdded, kModified, kDeleted };
std::string_view EventTypeName(EventType type);  // "ADDED", "MODIFIED", "DELETED" (kubectl -w)

struct WatchEvent {
  EventType type;
  Object object;  // the object after the change (for kDeleted: its last state)
  int64_t resource_version = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates obj. The kind must be known (kinds.h) and apiVersion must match it (InvalidArgument
  // otherwise). With metadata.generateName and no name, a random 5-character suffix is chosen.
  // Sets uid, resourceVersion, generation=1 and creationTimestamp. AlreadyExists on a taken name.
  virtual Result<Object> Create(Object obj) = 0;

  // NotFound ("datauploads.velero.io \"x\" not found" in kubectl's words) when absent.
  virtual Result<Object> Get(std::string_view kind, std::string_view namespace_name,
                             std::string_view name) = 0;

  // Objects of `kind` in options.namespace_name (all namespaces when empty) matching the
  // selector, ordered by namespace then name.
  virtual Result<std::vector<Object>> List(std::string_view kind, const ListOptions& options) = 0;

  // Replaces the stored object with obj when obj's metadata.resourceVersion equals the stored
  // one; Conflict otherwise. uid, creationTimestamp and deletionTimestamp cannot be changed. If
  // the object is being deleted and obj has no finalizers left, the object is removed (the
  // returned object is its last state).
  virtual Result<Object> Update(Object obj) = 0;

  // Applies an RFC 7386 JSON merge patch to the stored object (status is part of the object: the
  // data mover resources have no status subresource). When the patch carries
  // metadata.resourceVersion it must match (Conflict otherwise); without it the patch always
  // applies (it is read-modify-written atomically).
  virtual Result<Object> MergePatch(std::string_view kind, std::string_view namespace_name,
                                    std::string_view name, const Object& patch) = 0;

  // Deletes the object, or marks it (deletionTimestamp) while it has finalizers. Owned objects
  // (ownerReferences naming its uid) are deleted the same way once it is gone. NotFound when
  // absent.
  virtual Status Delete(std::string_view kind, std::string_view namespace_name,
                        std::string_view name) = 0;

  // The watch feed: events with resourceVersion > since, oldest first, at most max_events, for
  // `kind` (every kind when empty). Events are kept for a while (at least the last 10,000).
  virtual Result<std::vector<WatchEvent>> EventsSince(int64_t since, std::string_view kind,
                                                      size_t max_events = 1000) = 0;

  // The newest resourceVersion (0 for an empty store).
  virtual Result<int64_t> CurrentResourceVersion() = 0;

  // Blocks until the store holds a resourceVersion > since, or timeout_ms passes; returns the
  // current resourceVersion. Works across processes sharing one store file.
  virtual Result<int64_t> WaitForChange(int64_t since, int timeout_ms) = 0;
};

}  // namespace ferry::resource
