#include "cli/cancellation.h"

#include <csignal>
#include <unistd.h>

namespace ferry::cli {

namespace {
std::atomic<bool> g_cancelled{false};

void OnSignal(int sig) {
  if (g_cancelled.exchange(true)) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  static const char kMsg[] = "\nferry: cancelling, finishing in-flight writes (signal again to abort)...\n";
  ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  (void)ignored;
}
}  // namespace

const std::atomic<bool>* InstallCancelHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return &g_cancelled;
}

}  // namespace ferry::cli
