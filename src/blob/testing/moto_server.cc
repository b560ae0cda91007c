#include "blob/testing/moto_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "blob/http_client.h"

namespace ferry::blob::testing {

namespace {

struct CommandOutput {
  int exit_code = -1;
  std::string text;
};

CommandOutput RunCommand(const std::string& cmd) {
  CommandOutput out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.text.append(buf, n);
  int status = pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string TempPath(const std::string& stem) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = tmp && *tmp ? tmp : "/tmp";
  static int counter = 0;
  return dir + "/ferry-" + stem + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

}  // namespace

std::string TestingFile(const std::string& name) {
  return std::string(FERRY_SOURCE_DIR) + "/src/blob/testing/" + name;
}

Result<int> PickFreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return Status::IOError("cannot bind a loopback port");
  }
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

Result<std::unique_ptr<MotoServer>> MotoServer::Start(Options options) {
  CommandOutput probe = RunCommand("python3 -c 'import moto.server, boto3'");
  if (probe.exit_code != 0) {
    return Status::Unsupported(
        "the S3 tests need python3 with moto[server] and boto3 (`python3 -c \"import moto.server, "
        "boto3\"` failed: " + Tail(probe.text, 300) + "); see docs/s3.md");
  }
  std::unique_ptr<MotoServer> s(new MotoServer());
  FERRY_ASSIGN_OR_RETURN(s->port_, PickFreeLoopbackPort());
  s->log_path_ = TempPath("moto") + ".log";

  pid_t pid = fork();
  if (pid < 0) return Status::IOError("fork failed");
  if (pid == 0) {
    // Child: own process group (so the whole group can be killed), dies with the test process.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int log = ::open(s->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    std::string port = std::to_string(s->port_);
    execlp("python3", "python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", port.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, so the group exists before we might kill it
  s->pid_ = pid;

  // Wait until it answers HTTP (moto needs about a second to import).
  HttpClient http(HttpClientOptions{});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    HttpResult r = http.Do({"GET", "http://" + s->endpoint() + "/moto-api/", {}, {}});
    if (r.error == TransportError::kNone && r.response.status == 200) break;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      s->pid_ = -1;
      return Status::IOError("moto server exited during start: " + Tail(ReadFile(s->log_path_), 500));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::IOError("moto server did not answer on " + s->endpoint() + " within 60 s: " +
                             Tail(ReadFile(s->log_path_), 500));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // IAM user, key and policy, buckets; then authentication on (moto_setup.py).
  std::string cmd = "python3 " + TestingFile("moto_setup.py") + " http://" + s->endpoint();
  for (const auto& b : options.buckets) cmd += " " + b;
  for (const auto& b : options.object_lock_buckets) cmd += " lock:" + b;
  CommandOutput setup = RunCommand(cmd);
  std::istringstream words(setup.text);
  words >> s->credentials_.access_key_id >> s->credentials_.secret_access_key;
  if (setup.exit_code != 0 || s->credentials_.secret_access_key.empty()) {
    return Status::IOError("moto setup failed: " + Tail(setup.text, 800));
  }
  return s;
}

MotoServer* MotoServer::Shared() {
  static Result<std::unique_ptr<MotoServer>> shared = Start(Options{});
  if (!shared.ok()) {
    ADD_FAILURE() << shared.status().ToString();
    return nullptr;
  }
  return shared->get();
}

MotoServer::~MotoServer() { Stop(); }

void MotoServer::Stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      kill(-pid_, SIGKILL);  // anything left in the group
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Status MotoServer::SetAuth(bool enabled) {
  HttpClient http(HttpClientOptions{});
  // moto counts requests and checks signatures once the count reaches this number; "inf" never.
  std::string body = enabled ? "0" : "inf";
  HttpRequest r{"POST", "http://" + endpoint() + "/moto-api/reset-auth",
                {{"Content-Type", "text/plain"}},
                AsBytes(body)};
  HttpResult res = http.Do(r);
  if (res.error != TransportError::kNone || res.response.status != 200) {
    return Status::IOError("cannot switch moto authentication: " + res.error_message + " " +
                           std::to_string(res.response.status));
  }
  return Status::OK();
}

S3Options MotoServer::OptionsFor(const std::string& bucket, const std::string& prefix) const {
  S3Options o;
  o.bucket = bucket;
  o.prefix = prefix;
  o.endpoint = endpoint();
  o.disable_tls = true;
  o.addressing = S3AddressingStyle::kPath;
  o.credentials = credentials_;
  o.retry.max_attempts = 5;
  o.retry.initial_delay = std::chrono::milliseconds(5);
  o.retry.max_delay = std::chrono::milliseconds(100);
  return o;
}

Result<std::string> MotoServer::RunPython(const std::string& code) const {
  std::string path = TempPath("py") + ".py";
  {
    std::ofstream f(path);
    f << code;
  }
  CommandOutput out = RunCommand("FERRY_S3_ENDPOINT=http://" + endpoint() +
                                 " AWS_ACCESS_KEY_ID=" + credentials_.access_key_id +
                                 " AWS_SECRET_ACCESS_KEY=" + credentials_.secret_access_key +
                                 " python3 " + path);
  std::remove(path.c_str());
  if (out.exit_code != 0) return Status::IOError("python failed: " + Tail(out.text, 1500));
  return out.text;
}

}  // namespace ferry::blob::testing
