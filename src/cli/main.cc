// The ferry binary: builds the command tree and runs what the arguments select.
#include <malloc.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // Large buffers (chunks, packs, a pack's entries, index blobs, directory texts) come from
  // mmap and go back to the system when freed: with glibc's adaptive threshold they would pile
  // up in per-thread arenas and inflate the RSS. 256 KiB rather than 1 MiB: a pack of small
  // files' entries (~0.6 MB) and index (~0.65 MB) left holes in the arenas that stayed resident
  // (a million small files: 22.8-23.1 -> 21.9-22.0 MiB; the standard dataset unchanged).
  mallopt(M_MMAP_THRESHOLD, 256 << 10);
  mallopt(M_ARENA_MAX, 4);
  auto app = ferry::cli::BuildApp();
  std::vector<std::string> args(argv + 1, argv + argc);
  ferry::cli::Context ctx{std::cout, std::cerr};
  int rc = ferry::cli::Run(*app, args, ctx);
  std::cout.flush();
  return rc;
}
