// The ferry binary: builds the command tree and runs what the arguments select.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  auto app = ferry::cli::BuildApp();
  std::vector<std::string> args(argv + 1, argv + argc);
  ferry::cli::Context ctx{std::cout, std::cerr};
  int rc = ferry::cli::Run(*app, args, ctx);
  std::cout.flush();
  return rc;
}
