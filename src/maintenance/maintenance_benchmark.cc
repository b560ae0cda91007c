// Memory and time of full maintenance on a large repository: N small contents written straight
// through the content manager, directory objects naming half of them, and M tiny snapshot
// manifests sharing those directories. Maintenance runs in a child process, so its peak RSS
// (wait4's ru_maxrss) is maintenance's alone, not the set-up's.
//
//   maintenance_benchmark [--contents=1000000] [--snapshots=10000] [--dir=/tmp/...] [--safety=none|full]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "blob/filesystem_storage.h"
#include "maintenance/maintenance.h"
#include "snapshot/dir_entry.h"
#include "snapshot/snapshot_manifest.h"

namespace fs = std::filesystem;
using namespace ferry;

namespace {

constexpr int kEntriesPerDirectory = 1000;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::unique_ptr<repo::Repository> Open(const fs::path& path) {
  auto storage = blob::OpenFilesystemStorage(path.string(), {});
  if (!storage.ok()) return nullptr;
  repo::OpenOptions o;
  o.hostname = "host";
  o.username = "bench";
  auto r = repo::Repository::Open(std::shared_ptr<blob::Storage>(std::move(*storage)), "pw", o);
  if (!r.ok()) {
    std::fprintf(stderr, "open: %s\n", r.status().ToString().c_str());
    return nullptr;
  }
  return std::move(*r);
}

Status Build(const fs::path& path, int64_t contents, int64_t snapshots) {
  auto created = blob::CreateFilesystemStorage(path.string());
  if (!created.ok()) return created.status();
  repo::NewRepositoryOptions o;
  o.maintenance_owner = "bench@host";
  FERRY_RETURN_IF_ERROR(repo::InitializeRepository(created->get(), "pw", o, path.string()));
  auto r = Open(path);
  if (!r) return Status::Internal("cannot open the new repository");
  // Contents: 48 distinct bytes each; every second one is named by a directory (reachable).
  std::vector<snapshot::DirEntry> entries;
  std::vector<std::string> dirs;
  char data[48];
  for (int64_t i = 0; i < contents; ++i) {
    std::memset(data, 0, sizeof(data));
    std::snprintf(data, sizeof(data), "content %lld", static_cast<long long>(i));
    FERRY_ASSIGN_OR_RETURN(auto id, r->contents()->WriteContent(ByteView(reinterpret_cast<uint8_t*>(data), sizeof(data)), 0,
                                                                compression::kNoCompression));
    if (i % 2 == 0) {
      snapshot::DirEntry e;
      e.name = "f" + std::to_string(i);
      e.type = snapshot::kTypeFile;
      e.mode = 0644;
      e.size = sizeof(data);
      e.object_id = id.ToString();
      entries.push_back(std::move(e));
    }
    if (int64_t(entries.size()) == kEntriesPerDirectory || (i + 1 == contents && !entries.empty())) {
      snapshot::DirectoryManifest d;
      d.entries = std::move(entries);
      entries.clear();
      snapshot::SortEntries(&d.entries);
      std::string json = snapshot::SerializeDirectory(d);
      FERRY_ASSIGN_OR_RETURN(auto dir_id, r->contents()->WriteContent(AsBytes(json), 'k', compression::kNoCompression));
      dirs.push_back(dir_id.ToString());
    }
    if ((i + 1) % 200000 == 0) FERRY_RETURN_IF_ERROR(r->Flush());
  }
  for (int64_t s = 0; s < snapshots; ++s) {
    snapshot::SnapshotManifest m;
    m.source = {"host", "bench", "/data/" + std::to_string(s % 100)};
    m.start_time.seconds = 1'700'000'000 + s;
    m.end_time.seconds = 1'700'000'000 + s;
    m.root_entry.name = "root";
    m.root_entry.type = snapshot::kTypeDirectory;
    m.root_entry.mode = 0755;
    m.root_entry.object_id = dirs[size_t(s) % dirs.size()];
    FERRY_RETURN_IF_ERROR(snapshot::SaveSnapshot(r->manifests(), m).status());
  }
  return r->Flush();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t contents = 1'000'000, snapshots = 10'000;
  std::string dir = "/tmp/ferry-maintenance-bench", safety = "none";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--contents=")) contents = std::stoll(a.substr(11));
    else if (a.starts_with("--snapshots=")) snapshots = std::stoll(a.substr(12));
    else if (a.starts_with("--dir=")) dir = a.substr(6);
    else if (a.starts_with("--safety=")) safety = a.substr(9);
    else {
      std::fprintf(stderr, "usage: %s [--contents=N] [--snapshots=N] [--dir=PATH] [--safety=none|full]\n", argv[0]);
      return 2;
    }
  }
  fs::remove_all(dir);
  auto t0 = std::chrono::steady_clock::now();
  Status built = Build(dir, contents, snapshots);
  if (!built.ok()) {
    std::fprintf(stderr, "build: %s\n", built.ToString().c_str());
    return 1;
  }
  std::printf("built %lld contents, %lld snapshots in %.1f s\n", static_cast<long long>(contents),
              static_cast<long long>(snapshots), Seconds(t0));
  std::fflush(stdout);

  auto t1 = std::chrono::steady_clock::now();
  pid_t child = fork();
  if (child == 0) {
    auto r = Open(dir);
    if (!r) _exit(1);
    maintenance::RunOptions o;
    o.full = true;
    o.safety = safety == "full" ? maintenance::Safety::kFull : maintenance::Safety::kNone;
    o.user_at_host = "bench@host";
    o.note = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
    auto report = maintenance::Run(r.get(), o);
    if (!report.ok()) {
      std::fprintf(stderr, "maintenance: %s\n", report.status().ToString().c_str());
      _exit(1);
    }
    std::printf("%s\n", report->Summary().c_str());
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  struct rusage usage {};
  wait4(child, &status, 0, &usage);
  double elapsed = Seconds(t1);
  std::printf("full maintenance (safety=%s): %.1f s wall, %.1f s CPU, max RSS %.1f MB, exit %d\n", safety.c_str(), elapsed,
              double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6,
              double(usage.ru_maxrss) / 1024.0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  fs::remove_all(dir);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
