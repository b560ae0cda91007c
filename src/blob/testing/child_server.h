// ChildServer: a helper server for tests run as a child process. `argv` is exec'd (PATH lookup)
// in its own process group with PR_SET_PDEATHSIG, so it dies with the test process; its first
// line on stdout must be "PORT <n>". The whole group is killed and reaped when the object goes
// away. FaultProxy (fault_proxy.h) is one.
//
// Test-only code. Header-only, so test binaries that do not link the moto helpers can use it.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace ferry::blob::testing {

class ChildServer {
 public:
  explicit ChildServer(std::vector<std::string> argv) {
    if (argv.empty()) return;
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execvp(cargv[0], cargv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    if (pid_ < 0) {
      ::close(fds[0]);
      return;
    }
    ::setpgid(pid_, pid_);
    FILE* out = ::fdopen(fds[0], "r");
    if (out == nullptr) {
      ::close(fds[0]);
      return;
    }
    char line[64] = {};
    if (std::fgets(line, sizeof(line), out)) std::sscanf(line, "PORT %d", &port_);
    std::fclose(out);
  }
  ~ChildServer() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;

  // 0 when it did not start or did not say its port.
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ferry::blob::testing
