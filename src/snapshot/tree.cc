#include "snapshot/tree.h"

#include <utility>
#include <vector>

namespace ferry::snapshot {
namespace {

std::vector<std::string_view> SplitPath(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) slash = text.size();
    parts.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

// The latest snapshot (any state) whose root object is `oid`.
Result<std::optional<SnapshotManifest>> SnapshotByRootObject(manifest::ManifestManager* manifests,
                                                             const std::string& oid) {
  FERRY_ASSIGN_OR_RETURN(auto all, ListSnapshots(manifests, std::nullopt, /*include_incomplete=*/true));
  std::optional<SnapshotManifest> found;
  for (auto& m : all) {
    if (m.root_entry.object_id == oid && (!found || found->start_time <= m.start_time)) found = std::move(m);
  }
  return found;
}

}  // namespace

std::string JoinPath(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  std::string out(parent);
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

Result<DirectoryManifest> ReadDirectory(const object::ObjectManager& objects, const DirEntry& dir) {
  auto oid = object::ObjectId::Parse(dir.object_id);
  if (!oid.ok()) return oid.status().WithContext("directory '" + dir.name + "'");
  auto data = objects.ReadAll(*oid);
  if (!data.ok()) return data.status().WithContext("reading directory object " + dir.object_id);
  auto parsed = ParseDirectory(*data);
  if (!parsed.ok()) return parsed.status().WithContext("directory object " + dir.object_id);
  return parsed;
}

Result<DirEntry> FindChild(const object::ObjectManager& objects, const DirEntry& dir, std::string_view name) {
  FERRY_ASSIGN_OR_RETURN(DirectoryManifest d, ReadDirectory(objects, dir));
  for (auto& e : d.entries) {
    if (e.name == name) return std::move(e);
  }
  return Status::NotFound("no entry named '" + std::string(name) + "'");
}

Result<ResolvedEntry> ResolveEntry(const object::ObjectManager& objects, manifest::ManifestManager* manifests,
                                   std::string_view id_with_path) {
  std::vector<std::string_view> parts = SplitPath(id_with_path);
  const std::string first(parts[0]);
  if (first.empty()) return Status::InvalidArgument("empty snapshot or object ID in '" + std::string(id_with_path) + "'");
  ResolvedEntry r;
  auto m = manifests->Get(first);
  if (m.ok() && m->labels.count("type") && m->labels.at("type") == "snapshot") {
    FERRY_ASSIGN_OR_RETURN(SnapshotManifest snap, ParseSnapshotManifest(m->data, first));
    if (snap.root_entry.object_id.empty()) {
      return Status::Corruption("snapshot " + first + " has no root object");
    }
    r.entry = snap.root_entry;
    r.snapshot = std::move(snap);
  } else {
    auto oid = object::ObjectId::Parse(first);
    if (!oid.ok() || oid->empty()) {
      return Status::InvalidArgument("'" + first + "' is neither a snapshot ID nor an object ID");
    }
    FERRY_ASSIGN_OR_RETURN(auto snap, SnapshotByRootObject(manifests, first));
    if (snap) {
      r.entry = snap->root_entry;
      r.snapshot = std::move(snap);
    } else if (oid->is_directory()) {
      r.entry.type = kTypeDirectory;
      r.entry.mode = 0755;
      r.entry.object_id = first;
      r.synthetic = true;
    } else {
      auto reader = objects.Open(*oid);
      if (!reader.ok()) return reader.status();
      r.entry.type = kTypeFile;
      r.entry.name = "file";
      r.entry.mode = 0644;
      r.entry.size = reader->Length();
      r.entry.object_id = first;
      r.synthetic = true;
    }
  }
  std::string walked = first;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    if (!r.entry.is_dir()) {
      return Status::InvalidArgument("cannot look up '" + std::string(parts[i]) + "': " + walked + " is not a directory");
    }
    auto child = FindChild(objects, r.entry, parts[i]);
    if (!child.ok()) return child.status().WithContext(walked);
    r.entry = std::move(*child);
    r.synthetic = false;
    walked = JoinPath(walked, parts[i]);
  }
  return r;
}

Status WalkTree(const object::ObjectManager& objects, const DirEntry& root, const std::string& root_path,
                const WalkCallbacks& cb) {
  struct Frame {
    std::string path;
    DirectoryManifest dir;
    size_t next = 0;
  };
  std::vector<Frame> stack;
  // Visits one entry and, for a directory to descend into, pushes its frame.
  auto enter = [&](const std::string& path, const DirEntry& e) -> Status {
    FERRY_ASSIGN_OR_RETURN(bool descend, cb.visit(path, e));
    if (!descend || !e.is_dir()) return Status::OK();
    auto dir = ReadDirectory(objects, e);
    if (!dir.ok()) return cb.on_error ? cb.on_error(path, e, dir.status()) : dir.status().WithContext(path);
    stack.push_back(Frame{path, std::move(*dir), 0});
    return Status::OK();
  };
  FERRY_RETURN_IF_ERROR(enter(root_path, root));
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.dir.entries.size()) {
      stack.pop_back();
      continue;
    }
    // Copy what enter() needs: it may grow the stack and invalidate `top`.
    DirEntry e = top.dir.entries[top.next++];
    std::string path = JoinPath(top.path, e.name);
    FERRY_RETURN_IF_ERROR(enter(path, e));
  }
  return Status::OK();
}

std::string GoModeString(const DirEntry& e) {
  std::string s;
  if (e.is_dir()) s += 'd';
  if (e.is_symlink()) s += 'L';
  if (e.is_dir() || e.is_file() || e.is_symlink()) {
    if (e.mode & kGoModeSetuid) s += 'u';
    if (e.mode & kGoModeSetgid) s += 'g';
    if (e.mode & kGoModeSticky) s += 't';
  }
  if (s.empty()) s += '-';
  const uint32_t perm = (e.is_dir() || e.is_file() || e.is_symlink()) ? (e.mode & 0777) : 0;
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (perm & (1u << (8 - i))) ? rwx[i] : '-';
  return s;
}

}  // namespace ferry::snapshot
