// A small command-line framework shaped like kopia's (kingpin): a tree of commands, each with
// --long flags (and optional -s short forms), positional arguments and an action. `--help` on
// any command shows its flags; `ferry --help` lists every command.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ferry::cli {

struct Context {
  std::ostream& out;
  std::ostream& err;
};

using Action = std::function<Status(Context&)>;

struct FlagSpec {
  std::string name;
  std::string help;
  std::string placeholder;          // shown as --name=PLACEHOLDER
  std::optional<std::string> default_value;
  std::string env_var;              // consulted when the flag is not given
  char short_name = 0;
  bool is_bool = false;
  bool required = false;
  bool hidden = false;
  bool repeatable = false;
  std::function<Status(std::string_view)> set;
  bool seen = false;
};

struct ArgSpec {
  std::string name;
  std::string help;
  bool required = false;
  bool variadic = false;
  std::function<Status(std::string_view)> set;
};

class Command {
 public:
  Command(std::string name, std::string help, Command* parent = nullptr);

  // Subcommands. The returned reference stays valid for the life of the parent.
  Command& AddCommand(std::string name, std::string help);
  Command& Alias(std::string alias);
  Command& Hidden();
  Command& SetAction(Action action);

  // Flags bind to caller-owned variables, which must outlive parsing.
  FlagSpec& StringFlag(std::string name, std::string help, std::string* target,
                       std::optional<std::string> default_value = std::nullopt);
  FlagSpec& IntFlag(std::string name, std::string help, int64_t* target, int64_t default_value);
  FlagSpec& BoolFlag(std::string name, std::string help, bool* target, bool default_value = false);
  // Sizes like kopia's: "1MB", "4MiB", "512K", "65536" (K/M/G are powers of 1024, as in kopia).
  FlagSpec& BytesFlag(std::string name, std::string help, uint64_t* target,
                      std::string default_value);
  FlagSpec& EnumFlag(std::string name, std::string help, std::string* target,
                     std::vector<std::string> choices, std::string default_value);
  FlagSpec& StringListFlag(std::string name, std::string help, std::vector<std::string>* target);

  ArgSpec& StringArg(std::string name, std::string help, std::string* target, bool required = true);
  ArgSpec& StringListArg(std::string name, std::string help, std::vector<std::string>* target,
                         bool required = false);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  std::string FullName() const;  // "benchmark hashing"
  Command* parent() const { return parent_; }
  const std::vector<std::unique_ptr<Command>>& subcommands() const { return subcommands_; }

  void PrintHelp(std::ostream& out) const;

 private:
  friend class Parser;
  FlagSpec& AddFlag(FlagSpec spec);
  FlagSpec* FindFlag(std::string_view name);
  FlagSpec* FindShortFlag(char c);
  Command* FindSubcommand(std::string_view name);
  std::string Usage() const;
  void ListCommands(std::ostream& out) const;

  std::string name_;
  std::string help_;
  Command* parent_;
  std::vector<std::string> aliases_;
  bool hidden_ = false;
  Action action_;
  std::vector<std::unique_ptr<Command>> subcommands_;
  std::vector<std::unique_ptr<FlagSpec>> flags_;
  std::vector<ArgSpec> args_;
};

// Parses args (without argv[0]) against the tree under root and runs the selected action.
// Returns the process exit status: 0 on success, 1 on a failed action, 2 on a usage error.
// Errors are printed to ctx.err as "ferry: error: <message>".
int Run(Command& root, const std::vector<std::string>& args, Context& ctx);

// Parses kopia-style byte sizes (see BytesFlag).
Result<uint64_t> ParseByteSize(std::string_view text);

}  // namespace ferry::cli
