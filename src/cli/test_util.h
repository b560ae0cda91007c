// Helpers for tests that run the real build/ferry binary, as a user would.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace ferry::testing {

struct Output {
  int exit_code = -1;
  std::string text;  // stdout, then stderr when merged
};

inline std::string FerryBinary() {
  const char* dir = std::getenv("FERRY_BUILD_DIR");
  return std::string(dir ? dir : ".") + "/ferry";
}

// Runs `ferry ARGS` through the shell (ARGS may contain quoting and redirections). stderr is
// merged into the output unless merge_stderr is false.
inline Output RunFerry(const std::string& args, bool merge_stderr = true) {
  std::string cmd = FerryBinary() + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  Output out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.text.append(buf, n);
  int status = pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// Runs any shell command; returns its output and exit status.
inline Output RunShell(const std::string& cmd) {
  Output out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.text.append(buf, n);
  int status = pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// A fresh directory under the test temp dir, removed when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("ferry-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::filesystem::path path_;
};

inline std::filesystem::path FixtureDir(const std::string& name) {
  return std::filesystem::path(FERRY_SHARED_DIR) / "fixtures" / "kopia" / name;
}

// Copies a fixture repository (read-only originals; opening a repository may write to it).
inline void CopyFixture(const std::string& name, const std::filesystem::path& dst) {
  std::filesystem::remove_all(dst);
  std::filesystem::copy(FixtureDir(name), dst, std::filesystem::copy_options::recursive);
  for (auto& e : std::filesystem::recursive_directory_iterator(dst)) {
    std::filesystem::permissions(e.path(), std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
  }
}

}  // namespace ferry::testing
