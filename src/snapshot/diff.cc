#include "snapshot/diff.h"

#include <ctime>
#include <map>
#include <optional>
#include <utility>

#include "snapshot/tree.h"

namespace ferry::snapshot {
namespace {

int64_t SizeOf(const DirEntry& e) {
  if (e.is_dir()) return e.summary ? e.summary->total_size : 0;
  return e.size;
}

const char* TypeName(const DirEntry& e) {
  if (e.is_dir()) return "directory";
  if (e.is_file()) return "file";
  if (e.is_symlink()) return "symlink";
  return "unknown";
}

std::vector<std::string> AttributeDifferences(const DirEntry& a, const DirEntry& b) {
  std::vector<std::string> out;
  if (a.type != b.type) out.push_back(std::string("type changed: ") + TypeName(a) + " -> " + TypeName(b));
  if (std::string ma = GoModeString(a), mb = GoModeString(b); ma != mb) out.push_back("modes differ:  " + ma + " " + mb);
  if (SizeOf(a) != SizeOf(b)) {
    out.push_back("sizes differ:  " + std::to_string(SizeOf(a)) + " " + std::to_string(SizeOf(b)));
  }
  if (a.mtime != b.mtime) {
    out.push_back("modification times differ:  " + GoTimeString(a.mtime) + " " + GoTimeString(b.mtime));
  }
  if (a.uid != b.uid) out.push_back("owner users differ:  " + std::to_string(a.uid) + " " + std::to_string(b.uid));
  if (a.gid != b.gid) out.push_back("owner groups differ:  " + std::to_string(a.gid) + " " + std::to_string(b.gid));
  return out;
}

Result<std::string> CompareContents(const object::ObjectManager& objects, const DirEntry& a, const DirEntry& b) {
  FERRY_ASSIGN_OR_RETURN(auto ida, object::ObjectId::Parse(a.object_id));
  FERRY_ASSIGN_OR_RETURN(auto idb, object::ObjectId::Parse(b.object_id));
  FERRY_ASSIGN_OR_RETURN(auto ra, objects.Open(ida));
  FERRY_ASSIGN_OR_RETURN(auto rb, objects.Open(idb));
  Bytes ba(size_t{1} << 20), bb(size_t{1} << 20);
  int64_t offset = 0, differing = 0, first = -1;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(size_t na, ra.Read(ba));
    FERRY_ASSIGN_OR_RETURN(size_t nb, rb.Read(bb));
    size_t common = std::min(na, nb);
    for (size_t i = 0; i < common; ++i) {
      if (ba[i] != bb[i]) {
        if (first < 0) first = offset + int64_t(i);
        ++differing;
      }
    }
    if (na != nb) {
      // One object ended: every byte of the longer one beyond it differs.
      if (first < 0) first = offset + int64_t(common);
      int64_t longer = std::max(ra.Length(), rb.Length());
      differing += longer - (offset + int64_t(common));
      break;
    }
    if (na == 0) break;
    offset += int64_t(na);
  }
  if (differing == 0) return std::string("contents identical");
  return "contents differ: " + std::to_string(differing) + " bytes differ, first at offset " + std::to_string(first);
}

struct Pair {
  std::optional<DirEntry> old_entry, new_entry;
  std::string path;
};

}  // namespace

std::string GoTimeString(UnixTime t) {
  time_t secs = time_t(t.seconds);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  std::string s = buf;
  if (t.nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%09d", int(t.nanos));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s + " +0000 UTC";
}

Result<DiffStats> Diff(const object::ObjectManager& objects, const DirEntry& old_root, const DirEntry& new_root,
                       const DiffOptions& options) {
  DiffStats stats;
  auto emit = [&](DiffEntry d) {
    if (d.kind == DiffKind::kAdded) ++stats.added;
    if (d.kind == DiffKind::kRemoved) ++stats.removed;
    if (d.kind == DiffKind::kChanged) ++stats.changed;
    if (options.emit) options.emit(d);
  };
  // Depth first, children in order: pending pairs are pushed in reverse.
  std::vector<Pair> stack;
  stack.push_back(Pair{old_root, new_root, "."});
  while (!stack.empty()) {
    Pair p = std::move(stack.back());
    stack.pop_back();
    std::vector<Pair> children;
    if (!p.old_entry || !p.new_entry) {
      const DirEntry& e = p.old_entry ? *p.old_entry : *p.new_entry;
      DiffEntry d{p.old_entry ? DiffKind::kRemoved : DiffKind::kAdded, p.path, {}, {}, {}, {}};
      (p.old_entry ? d.old_entry : d.new_entry) = e;
      emit(d);
      if (e.is_dir()) {
        FERRY_ASSIGN_OR_RETURN(auto dir, ReadDirectory(objects, e));
        for (auto& c : dir.entries) {
          Pair child{std::nullopt, std::nullopt, p.path + "/" + c.name};
          (p.old_entry ? child.old_entry : child.new_entry) = std::move(c);
          children.push_back(std::move(child));
        }
      }
    } else {
      const DirEntry& a = *p.old_entry;
      const DirEntry& b = *p.new_entry;
      DiffEntry d{DiffKind::kChanged, p.path, a, b, AttributeDifferences(a, b), {}};
      const bool same_object = a.object_id == b.object_id && a.type == b.type;
      if (same_object) {
        if (!d.attributes.empty()) emit(std::move(d));
      } else {
        if (options.compare_files && a.is_file() && b.is_file()) {
          FERRY_ASSIGN_OR_RETURN(d.contents, CompareContents(objects, a, b));
        }
        emit(d);
        if (a.is_dir() && b.is_dir()) {
          FERRY_ASSIGN_OR_RETURN(auto da, ReadDirectory(objects, a));
          FERRY_ASSIGN_OR_RETURN(auto db, ReadDirectory(objects, b));
          std::map<std::string, DirEntry> olds;
          for (auto& e : da.entries) olds.emplace(e.name, e);
          // kopia's order: the new directory's entries, then what was removed.
          for (auto& e : db.entries) {
            Pair child{std::nullopt, e, p.path + "/" + e.name};
            if (auto it = olds.find(e.name); it != olds.end()) {
              child.old_entry = std::move(it->second);
              olds.erase(it);
            }
            children.push_back(std::move(child));
          }
          for (auto& e : da.entries) {
            if (olds.count(e.name)) children.push_back(Pair{e, std::nullopt, p.path + "/" + e.name});
          }
        }
      }
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(std::move(*it));
  }
  return stats;
}

}  // namespace ferry::snapshot
