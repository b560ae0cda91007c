// Ctrl-C and SIGTERM cancel long operations cleanly: the handler only sets a flag that the
// uploader and restorer poll, so they can stop at a safe point and leave the repository
// consistent. A second signal while stopping ends the process at once.
#pragma once

#include <atomic>

namespace ferry::cli {

const std::atomic<bool>* InstallCancelHandlers();

}  // namespace ferry::cli
