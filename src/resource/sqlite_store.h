// The embedded store: control-plane resources in one SQLite file, shared safely by several ferry
// processes (a server and node agents). Layout and semantics: docs/control-plane.md,
// "Resources and the store".
//   objects(kind, namespace, name, uid, resource_version, json)  -- one row per live object
//   events(resource_version, kind, type, json)                   -- the watch feed
//   meta(key, value)                                             -- the global resourceVersion
// Every write is one BEGIN IMMEDIATE transaction that bumps the global resourceVersion, so
// versions are totally ordered across processes. WAL journal, busy timeout of 30 s.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "resource/store.h"

namespace ferry::resource {

// Opens (creating when missing) the store at path. ":memory:" gives a private in-memory store
// (for tests; not shared between handles). The parent directory must exist.
// A Store handle is not thread-safe: give each thread its own handle (they may share the file).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace ferry::resource
