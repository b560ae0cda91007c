#include "resource/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <map>
#include <random>
#include <thread>

#include "resource/kinds.h"
#include "resource/time_util.h"

namespace ferry::resource {
namespace {

constexpr int kBusyTimeoutMs = 30000;
// The watch feed keeps at least this many events; older ones are pruned in batches.
constexpr int64_t kEventsKept = 10000;
constexpr int64_t kPruneEvery = 1000;
constexpr int kGenerateNameAttempts = 16;

std::string RandomSuffix(std::mt19937_64& rng) {
  // Kubernetes' alphabet for generated names: no vowels (no words), no easily confused characters.
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < 5; ++i) s += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  return s;
}

std::string UuidV4(std::mt19937_64& rng) {
  uint8_t b[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = rng();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof(out), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

bool ValidName(const std::string& name) {
  // RFC 1123 subdomain: lower-case alphanumerics, '-' and '.', starting and ending alphanumeric.
  if (name.empty() || name.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

// Everything except metadata: a change there bumps metadata.generation (the data mover CRDs
// have no status subresource, so status changes count too, as on a real API server).
bool NonMetadataChanged(const Object& a, const Object& b) {
  Object x = a, y = b;
  if (x.is_object()) x.erase("metadata");
  if (y.is_object()) y.erase("metadata");
  return x != y;
}

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* s) : stmt_(s) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() {
    if (stmt_) sqlite3_reset(stmt_);
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

struct Row {
  int64_t rv = 0;
  Object obj;
};

class SqliteStore : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)), rng_(std::random_device{}()) {}
  ~SqliteStore() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Status Init() {
    FERRY_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    // WAL + NORMAL: a commit survives a crash of the process (not of the machine), and needs no
    // fsync per write, which is what keeps status patches in the thousands per second.
    FERRY_RETURN_IF_ERROR(Exec("PRAGMA synchronous=NORMAL"));
    FERRY_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=OFF"));
    FERRY_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = Exec(
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        "INSERT OR IGNORE INTO meta(key, value) VALUES('resourceVersion', 0), ('prunedThrough', 0), "
        "('schemaVersion', 1);"
        "CREATE TABLE IF NOT EXISTS objects(kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,"
        " uid TEXT NOT NULL UNIQUE, resource_version INTEGER NOT NULL, json TEXT NOT NULL,"
        " PRIMARY KEY(kind, namespace, name));"
        "CREATE TABLE IF NOT EXISTS owners(owner_uid TEXT NOT NULL, uid TEXT NOT NULL,"
        " PRIMARY KEY(owner_uid, uid));"
        "CREATE INDEX IF NOT EXISTS owners_by_uid ON owners(uid);"
        "CREATE TABLE IF NOT EXISTS events(resource_version INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
        " type INTEGER NOT NULL, json TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS events_by_kind ON events(kind, resource_version);");
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  Result<Object> Create(Object obj) override {
    if (!obj.is_object()) return Status::InvalidArgument("a resource must be a JSON object");
    FERRY_ASSIGN_OR_RETURN(const KindInfo* info, KindOf(obj));
    obj["apiVersion"] = info->api_version();
    if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = Object::object();
    Object& meta = obj["metadata"];
    if (info->namespaced) {
      if (Namespace(obj).empty()) meta["namespace"] = "default";
    } else {
      meta.erase("namespace");
    }
    std::string name = Name(obj);
    std::string generate_name = meta.contains("generateName") && meta["generateName"].is_string()
                                    ? meta["generateName"].get<std::string>()
                                    : "";
    if (name.empty() && generate_name.empty()) {
      return Status::InvalidArgument(info->kind + ": resource name may not be empty");
    }
    if (!name.empty() && !ValidName(name)) {
      return Status::InvalidArgument(info->kind + " \"" + name +
                                     "\" is invalid: metadata.name: a lowercase RFC 1123 subdomain must consist "
                                     "of lower case alphanumeric characters, '-' or '.', and must start and end "
                                     "with an alphanumeric character");
    }
    for (const char* field : {"deletionTimestamp", "resourceVersion"}) meta.erase(field);

    Status last;
    for (int attempt = 0; attempt < (name.empty() ? kGenerateNameAttempts : 1); ++attempt) {
      if (name.empty() || attempt > 0) {
        meta["name"] = generate_name + RandomSuffix(rng_);
        if (!ValidName(Name(obj))) {
          return Status::InvalidArgument(info->kind + ": metadata.generateName \"" + generate_name +
                                         "\" does not give a valid name");
        }
      }
      meta["uid"] = UuidV4(rng_);
      meta["generation"] = 1;
      meta["creationTimestamp"] = NowRfc3339();
      auto created = InTransaction<Object>([&]() -> Result<Object> {
        FERRY_ASSIGN_OR_RETURN(auto existing, Load(info->kind, Namespace(obj), Name(obj)));
        if (existing) {
          return Status::AlreadyExists(info->resource() + " \"" + Name(obj) + "\" already exists");
        }
        FERRY_ASSIGN_OR_RETURN(int64_t rv, NextVersion());
        obj["metadata"]["resourceVersion"] = std::to_string(rv);
        FERRY_RETURN_IF_ERROR(Write(*info, obj, rv, /*insert=*/true));
        FERRY_RETURN_IF_ERROR(AddEvent(info->kind, EventType::kAdded, obj, rv));
        return obj;
      });
      if (created.ok() || created.status().code() != StatusCode::kAlreadyExists || !name.empty()) return created;
      last = created.status();
    }
    return last;
  }

  Result<Object> Get(std::string_view kind, std::string_view namespace_name, std::string_view name) override {
    FERRY_ASSIGN_OR_RETURN(const KindInfo* info, LookupKind(kind));
    FERRY_ASSIGN_OR_RETURN(auto row, Load(info->kind, ScopeNamespace(*info, namespace_name), name));
    if (!row) return NotFound(*info, name);
    return std::move(row->obj);
  }

  Result<std::vector<Object>> List(std::string_view kind, const ListOptions& options) override {
    FERRY_ASSIGN_OR_RETURN(const KindInfo* info, LookupKind(kind));
    bool all = options.namespace_name.empty() || !info->namespaced;
    FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                           Prepare(all ? "SELECT json FROM objects WHERE kind=?1 ORDER BY namespace, name"
                                       : "SELECT json FROM objects WHERE kind=?1 AND namespace=?2 "
                                         "ORDER BY namespace, name"));
    Statement guard(stmt);
    Bind(stmt, 1, info->kind);
    if (!all) Bind(stmt, 2, options.namespace_name);
    std::vector<Object> out;
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error("listing " + info->resource());
      Object obj = Object::parse(ColumnText(stmt, 0), nullptr, false);
      if (obj.is_discarded()) return Status::Corruption("the store holds an unreadable " + info->kind);
      if (options.selector.empty() || options.selector.Matches(Labels(obj))) out.push_back(std::move(obj));
    }
    return out;
  }

  Result<Object> Update(Object obj) override {
    if (!obj.is_object()) return Status::InvalidArgument("a resource must be a JSON object");
    FERRY_ASSIGN_OR_RETURN(const KindInfo* info, KindOf(obj));
    int64_t expected = ResourceVersion(obj);
    if (expected == 0) {
      return Status::InvalidArgument(Describe(obj) +
                                     " is invalid: metadata.resourceVersion: must be specified for an update");
    }
    std::string ns = ScopeNamespace(*info, Namespace(obj));
    std::string name = Name(obj);
    return InTransaction<Object>([&]() -> Result<Object> {
      FERRY_ASSIGN_OR_RETURN(auto row, Load(info->kind, ns, name));
      if (!row) return NotFound(*info, name);
      if (row->rv != expected) return ConflictError(*info, name);
      return Replace(*info, row->obj, std::move(obj));
    });
  }

  Result<Object> MergePatch(std::string_view kind, std::string_view namespace_name, std::string_view name,
                            const Object& patch) override {
    if (!patch.is_object()) return Status::InvalidArgument("a merge patch must be a JSON object");
    FERRY_ASSIGN_OR_RETURN(const KindInfo* info, LookupKind(kind));
    std::string ns = ScopeNamespace(*info, namespace_name);
    int64_t expected = ResourceVersion(patch);
    return InTransaction<Object>([&]() -> Result<Object> {
      FERRY_ASSIGN_OR_RETURN(auto row, Load(info->kind, ns, name));
      if (!row) return NotFound(*info, name);
      if (expected != 0 && row->rv != expected) return ConflictError(*info, name);
      Object patched = row->obj;
      patched.merge_patch(patch);
      if (!patched.is_object()) return Status::InvalidArgument("the merge patch removed the whole object");
      return Replace(*info, row->obj, std::move(patched));
    });
  }

  Status Delete(std::string_view kind, std::string_view namespace_name, std::string_view name) override {
    FERRY_ASSIGN_OR_RETURN(const KindInfo* info, LookupKind(kind));
    std::string ns = ScopeNamespace(*info, namespace_name);
    auto done = InTransaction<bool>([&]() -> Result<bool> {
      FERRY_ASSIGN_OR_RETURN(auto row, Load(info->kind, ns, name));
      if (!row) return NotFound(*info, name);
      FERRY_RETURN_IF_ERROR(DeleteOrMark(*info, std::move(row->obj)));
      return true;
    });
    return done.status();
  }

  Result<std::vector<WatchEvent>> EventsSince(int64_t since, std::string_view kind, size_t max_events) override {
    std::string kind_name;
    if (!kind.empty()) {
      FERRY_ASSIGN_OR_RETURN(const KindInfo* info, LookupKind(kind));
      kind_name = info->kind;
    }
    FERRY_ASSIGN_OR_RETURN(int64_t pruned, MetaValue("prunedThrough"));
    if (since < pruned) {
      return Status::NotFound("too old resource version: " + std::to_string(since) + " (" +
                              std::to_string(pruned + 1) + "); list again and watch from its resourceVersion");
    }
    FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                           Prepare(kind_name.empty()
                                       ? "SELECT resource_version, type, json FROM events WHERE resource_version>?1 "
                                         "ORDER BY resource_version LIMIT ?3"
                                       : "SELECT resource_version, type, json FROM events WHERE kind=?2 AND "
                                         "resource_version>?1 ORDER BY resource_version LIMIT ?3"));
    Statement guard(stmt);
    sqlite3_bind_int64(stmt, 1, since);
    if (!kind_name.empty()) Bind(stmt, 2, kind_name);
    sqlite3_bind_int64(stmt, 3, static_cast<int64_t>(max_events));
    std::vector<WatchEvent> out;
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error("reading the watch feed");
      WatchEvent e;
      e.resource_version = sqlite3_column_int64(stmt, 0);
      e.type = static_cast<EventType>(sqlite3_column_int(stmt, 1));
      e.object = Object::parse(ColumnText(stmt, 2), nullptr, false);
      if (e.object.is_discarded()) return Status::Corruption("the store holds an unreadable event");
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<int64_t> CurrentResourceVersion() override { return MetaValue("resourceVersion"); }

  Result<int64_t> WaitForChange(int64_t since, int timeout_ms) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    int sleep_ms = 1;
    int64_t last_data_version = -1;
    int64_t current = 0;
    while (true) {
      // PRAGMA data_version changes when another connection commits; reading it is cheaper than
      // the meta row, so the row is read only when something happened.
      FERRY_ASSIGN_OR_RETURN(int64_t data_version, DataVersion());
      if (data_version != last_data_version) {
        last_data_version = data_version;
        FERRY_ASSIGN_OR_RETURN(current, CurrentResourceVersion());
        if (current > since) return current;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return current;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(sleep_ms, left)));
      sleep_ms = std::min(sleep_ms * 2, 20);
    }
  }

 private:
  // ---- SQLite plumbing ----

  Status Error(const std::string& what) const {
    int code = sqlite3_errcode(db_);
    std::string msg = what + ": " + sqlite3_errmsg(db_) + " (store " + path_ + ")";
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
      return Status::IOError(msg + "; another ferry process held the store for over 30 s");
    }
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return Status::Corruption(msg);
    return Status::IOError(msg);
  }

  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      Status s = Error(std::string("store statement failed"));
      return Status(s.code(), msg + " (store " + path_ + ")");
    }
    return Status::OK();
  }

  Result<sqlite3_stmt*> Prepare(const char* sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) return Error("preparing a store query");
    statements_[sql] = stmt;
    return stmt;
  }

  static void Bind(sqlite3_stmt* stmt, int index, std::string_view text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }

  static std::string ColumnText(sqlite3_stmt* stmt, int col) {
    const unsigned char* p = sqlite3_column_text(stmt, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt, col)))
             : std::string();
  }

  Status StepDone(sqlite3_stmt* stmt, const std::string& what) {
    if (sqlite3_step(stmt) != SQLITE_DONE) return Error(what);
    return Status::OK();
  }

  Result<int64_t> MetaValue(const char* key) {
    FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare("SELECT value FROM meta WHERE key=?1"));
    Statement guard(stmt);
    Bind(stmt, 1, key);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return sqlite3_column_int64(stmt, 0);
    if (rc == SQLITE_DONE) return int64_t{0};
    return Error("reading the store's resourceVersion");
  }

  Status SetMeta(const char* key, int64_t value) {
    FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare("UPDATE meta SET value=?2 WHERE key=?1"));
    Statement guard(stmt);
    Bind(stmt, 1, key);
    sqlite3_bind_int64(stmt, 2, value);
    return StepDone(stmt, "writing the store's resourceVersion");
  }

  Result<int64_t> DataVersion() {
    FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare("PRAGMA data_version"));
    Statement guard(stmt);
    if (sqlite3_step(stmt) != SQLITE_ROW) return Error("polling the store");
    return sqlite3_column_int64(stmt, 0);
  }

  // Runs body inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it fails). IMMEDIATE takes the
  // write lock up front, so a read-check-write is atomic across processes.
  template <typename T>
  Result<T> InTransaction(const std::function<Result<T>()>& body) {
    FERRY_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Result<T> result = body();
    if (!result.ok()) {
      (void)Exec("ROLLBACK");
      return result;
    }
    Status commit = Exec("COMMIT");
    if (!commit.ok()) {
      (void)Exec("ROLLBACK");
      return commit;
    }
    return result;
  }

  // ---- object rules ----

  Result<const KindInfo*> KindOf(const Object& obj) {
    std::string kind = Kind(obj);
    if (kind.empty()) return Status::InvalidArgument("Object 'Kind' is missing in the resource");
    std::string api_version = ApiVersion(obj);
    for (const auto& k : AllKinds()) {
      if (k.kind == kind) {
        if (!api_version.empty() && api_version != k.api_version()) {
          return Status::InvalidArgument("no matches for kind \"" + kind + "\" in version \"" + api_version + "\"");
        }
        return &k;
      }
    }
    return Status::InvalidArgument("no matches for kind \"" + kind + "\" in version \"" + api_version + "\"");
  }

  static std::string ScopeNamespace(const KindInfo& info, std::string_view ns) {
    if (!info.namespaced) return "";
    return ns.empty() ? "default" : std::string(ns);
  }

  static Status NotFound(const KindInfo& info, std::string_view name) {
    return Status::NotFound(info.resource() + " \"" + std::string(name) + "\" not found");
  }

  static Status ConflictError(const KindInfo& info, std::string_view name) {
    return Status::Conflict("Operation cannot be fulfilled on " + info.resource() + " \"" + std::string(name) +
                            "\": the object has been modified; please apply your changes to the latest version "
                            "and try again");
  }

  Result<std::optional<Row>> Load(const std::string& kind, std::string_view ns, std::string_view name) {
    FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                           Prepare("SELECT resource_version, json FROM objects WHERE kind=?1 AND namespace=?2 AND "
                                   "name=?3"));
    Statement guard(stmt);
    Bind(stmt, 1, kind);
    Bind(stmt, 2, ns);
    Bind(stmt, 3, name);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return std::optional<Row>();
    if (rc != SQLITE_ROW) return Error("reading " + kind + " \"" + std::string(name) + "\"");
    Row row;
    row.rv = sqlite3_column_int64(stmt, 0);
    row.obj = Object::parse(ColumnText(stmt, 1), nullptr, false);
    if (row.obj.is_discarded()) return Status::Corruption("the store holds an unreadable " + kind);
    return std::optional<Row>(std::move(row));
  }

  Result<int64_t> NextVersion() {
    FERRY_ASSIGN_OR_RETURN(int64_t rv, MetaValue("resourceVersion"));
    ++rv;
    FERRY_RETURN_IF_ERROR(SetMeta("resourceVersion", rv));
    return rv;
  }

  Status Write(const KindInfo& info, const Object& obj, int64_t rv, bool insert) {
    const char* sql = insert ? "INSERT INTO objects(kind, namespace, name, uid, resource_version, json) "
                               "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
                             : "UPDATE objects SET resource_version=?5, json=?6 WHERE kind=?1 AND namespace=?2 "
                               "AND name=?3 AND uid=?4";
    FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    {
      Statement guard(stmt);
      Bind(stmt, 1, info.kind);
      Bind(stmt, 2, ScopeNamespace(info, Namespace(obj)));
      Bind(stmt, 3, Name(obj));
      Bind(stmt, 4, Uid(obj));
      sqlite3_bind_int64(stmt, 5, rv);
      std::string json = obj.dump();
      Bind(stmt, 6, json);
      FERRY_RETURN_IF_ERROR(StepDone(stmt, "writing " + Describe(obj)));
    }
    return WriteOwners(obj);
  }

  Status WriteOwners(const Object& obj) {
    {
      FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * del, Prepare("DELETE FROM owners WHERE uid=?1"));
      Statement guard(del);
      Bind(del, 1, Uid(obj));
      FERRY_RETURN_IF_ERROR(StepDone(del, "writing owner references"));
    }
    const auto& meta = obj["metadata"];
    if (!meta.contains("ownerReferences") || !meta["ownerReferences"].is_array()) return Status::OK();
    for (const auto& ref : meta["ownerReferences"]) {
      if (!ref.is_object() || !ref.contains("uid") || !ref["uid"].is_string()) continue;
      FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * ins, Prepare("INSERT OR IGNORE INTO owners(owner_uid, uid) VALUES(?1, ?2)"));
      Statement guard(ins);
      Bind(ins, 1, ref["uid"].get<std::string>());
      Bind(ins, 2, Uid(obj));
      FERRY_RETURN_IF_ERROR(StepDone(ins, "writing owner references"));
    }
    return Status::OK();
  }

  Status AddEvent(const std::string& kind, EventType type, const Object& obj, int64_t rv) {
    {
      FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                             Prepare("INSERT INTO events(resource_version, kind, type, json) VALUES(?1, ?2, ?3, ?4)"));
      Statement guard(stmt);
      sqlite3_bind_int64(stmt, 1, rv);
      Bind(stmt, 2, kind);
      sqlite3_bind_int(stmt, 3, static_cast<int>(type));
      std::string json = obj.dump();
      Bind(stmt, 4, json);
      FERRY_RETURN_IF_ERROR(StepDone(stmt, "writing the watch feed"));
    }
    if (rv % kPruneEvery == 0 && rv > kEventsKept) {
      int64_t through = rv - kEventsKept;
      FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * prune, Prepare("DELETE FROM events WHERE resource_version<=?1"));
      {
        Statement guard(prune);
        sqlite3_bind_int64(prune, 1, through);
        FERRY_RETURN_IF_ERROR(StepDone(prune, "pruning the watch feed"));
      }
      FERRY_RETURN_IF_ERROR(SetMeta("prunedThrough", through));
    }
    return Status::OK();
  }

  // Stores `desired` in place of `current` (same kind, namespace, name), inside a transaction.
  Result<Object> Replace(const KindInfo& info, const Object& current, Object desired) {
    // Identity and server-owned fields cannot change. (Top-level keys first: adding a key to an
    // ordered_json may move its members, so the metadata reference is taken afterwards.)
    desired["apiVersion"] = current["apiVersion"];
    desired["kind"] = current["kind"];
    if (!desired.contains("metadata") || !desired["metadata"].is_object()) desired["metadata"] = Object::object();
    Object& meta = desired["metadata"];
    const Object& old_meta = current["metadata"];
    for (const char* field : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp"}) {
      if (old_meta.contains(field)) {
        meta[field] = old_meta[field];
      } else {
        meta.erase(field);
      }
    }
    int64_t generation = old_meta.contains("generation") && old_meta["generation"].is_number_integer()
                             ? old_meta["generation"].get<int64_t>()
                             : 1;
    if (NonMetadataChanged(current, desired)) ++generation;
    meta["generation"] = generation;
    meta["resourceVersion"] = old_meta["resourceVersion"];
    if (desired == current) return desired;  // nothing to write: no new version, no event
    if (!DeletionTimestamp(desired).empty() && Finalizers(desired).empty()) {
      FERRY_RETURN_IF_ERROR(Remove(info, desired));
      return desired;
    }
    FERRY_ASSIGN_OR_RETURN(int64_t rv, NextVersion());
    meta["resourceVersion"] = std::to_string(rv);
    FERRY_RETURN_IF_ERROR(Write(info, desired, rv, /*insert=*/false));
    FERRY_RETURN_IF_ERROR(AddEvent(info.kind, EventType::kModified, desired, rv));
    return desired;
  }

  // Delete as the API server does: mark while finalizers remain, else remove and cascade.
  Status DeleteOrMark(const KindInfo& info, Object obj) {
    if (!Finalizers(obj).empty()) {
      if (!DeletionTimestamp(obj).empty()) return Status::OK();
      obj["metadata"]["deletionTimestamp"] = NowRfc3339();
      FERRY_ASSIGN_OR_RETURN(int64_t rv, NextVersion());
      obj["metadata"]["resourceVersion"] = std::to_string(rv);
      FERRY_RETURN_IF_ERROR(Write(info, obj, rv, /*insert=*/false));
      return AddEvent(info.kind, EventType::kModified, obj, rv);
    }
    return Remove(info, obj);
  }

  // Removes obj, then deletes (or marks) every object whose ownerReferences name its uid.
  Status Remove(const KindInfo& info, Object obj) {
    std::string uid = Uid(obj);
    {
      FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare("DELETE FROM objects WHERE uid=?1"));
      Statement guard(stmt);
      Bind(stmt, 1, uid);
      FERRY_RETURN_IF_ERROR(StepDone(stmt, "deleting " + Describe(obj)));
    }
    {
      FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare("DELETE FROM owners WHERE uid=?1"));
      Statement guard(stmt);
      Bind(stmt, 1, uid);
      FERRY_RETURN_IF_ERROR(StepDone(stmt, "deleting owner references"));
    }
    FERRY_ASSIGN_OR_RETURN(int64_t rv, NextVersion());
    obj["metadata"]["resourceVersion"] = std::to_string(rv);
    FERRY_RETURN_IF_ERROR(AddEvent(info.kind, EventType::kDeleted, obj, rv));

    std::vector<std::pair<std::string, Object>> dependents;
    {
      FERRY_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                             Prepare("SELECT o.kind, o.json FROM owners w JOIN objects o ON o.uid=w.uid "
                                     "WHERE w.owner_uid=?1 ORDER BY o.kind, o.namespace, o.name"));
      Statement guard(stmt);
      Bind(stmt, 1, uid);
      while (true) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return Error("finding the objects owned by " + Describe(obj));
        Object dep = Object::parse(ColumnText(stmt, 1), nullptr, false);
        if (dep.is_discarded()) return Status::Corruption("the store holds an unreadable object");
        dependents.emplace_back(ColumnText(stmt, 0), std::move(dep));
      }
    }
    for (auto& [kind, dep] : dependents) {
      FERRY_ASSIGN_OR_RETURN(const KindInfo* dep_info, LookupKind(kind));
      // Re-read: an earlier cascade step in this loop may have removed it already.
      FERRY_ASSIGN_OR_RETURN(auto row, Load(dep_info->kind, ScopeNamespace(*dep_info, Namespace(dep)), Name(dep)));
      if (!row) continue;
      FERRY_RETURN_IF_ERROR(DeleteOrMark(*dep_info, std::move(row->obj)));
    }
    return Status::OK();
  }

  sqlite3* db_;
  std::string path_;
  std::mt19937_64 rng_;
  std::map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kAdded: return "ADDED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kDeleted: return "DELETED";
  }
  return "UNKNOWN";
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError("cannot open the store " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  auto store = std::make_unique<SqliteStore>(db, path);
  FERRY_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace ferry::resource
