#include "cli/command.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace ferry::cli {

namespace {

Result<int64_t> ParseInt(std::string_view text, std::string_view what) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return Status::InvalidArgument("expected a whole number for " + std::string(what) + ", got '" +
                                   std::string(text) + "'");
  }
  return v;
}

Result<bool> ParseBool(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return Status::InvalidArgument("expected true or false, got '" + std::string(text) + "'");
}

}  // namespace

Result<uint64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string number(text.substr(0, i));
  std::string unit(text.substr(i));
  if (number.empty()) return Status::InvalidArgument("invalid size '" + std::string(text) + "'");
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  uint64_t mult = 1;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "K" || unit == "KB" || unit == "KIB") mult = uint64_t{1} << 10;
  else if (unit == "M" || unit == "MB" || unit == "MIB") mult = uint64_t{1} << 20;
  else if (unit == "G" || unit == "GB" || unit == "GIB") mult = uint64_t{1} << 30;
  else if (unit == "T" || unit == "TB" || unit == "TIB") mult = uint64_t{1} << 40;
  else return Status::InvalidArgument("invalid size unit in '" + std::string(text) + "' (use B, KB, MB, GB, TB)");
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || v < 0) {
    return Status::InvalidArgument("invalid size '" + std::string(text) + "'");
  }
  return static_cast<uint64_t>(v * static_cast<double>(mult));
}

Command::Command(std::string name, std::string help, Command* parent)
    : name_(std::move(name)), help_(std::move(help)), parent_(parent) {}

Command& Command::AddCommand(std::string name, std::string help) {
  subcommands_.push_back(std::make_unique<Command>(std::move(name), std::move(help), this));
  return *subcommands_.back();
}

Command& Command::Alias(std::string alias) {
  aliases_.push_back(std::move(alias));
  return *this;
}

Command& Command::Hidden() {
  hidden_ = true;
  return *this;
}

Command& Command::SetAction(Action action) {
  action_ = std::move(action);
  return *this;
}

FlagSpec& Command::AddFlag(FlagSpec spec) {
  flags_.push_back(std::make_unique<FlagSpec>(std::move(spec)));
  return *flags_.back();
}

FlagSpec& Command::StringFlag(std::string name, std::string help, std::string* target,
                              std::optional<std::string> default_value) {
  FlagSpec f;
  f.placeholder = name;
  std::transform(f.placeholder.begin(), f.placeholder.end(), f.placeholder.begin(), ::toupper);
  f.name = std::move(name);
  f.help = std::move(help);
  f.default_value = std::move(default_value);
  f.set = [target](std::string_view v) {
    *target = std::string(v);
    return Status::OK();
  };
  return AddFlag(std::move(f));
}

FlagSpec& Command::IntFlag(std::string name, std::string help, int64_t* target,
                           int64_t default_value) {
  FlagSpec f;
  f.placeholder = "N";
  f.default_value = std::to_string(default_value);
  std::string flag_name = "--" + name;
  f.name = std::move(name);
  f.help = std::move(help);
  f.set = [target, flag_name](std::string_view v) -> Status {
    FERRY_ASSIGN_OR_RETURN(*target, ParseInt(v, flag_name));
    return Status::OK();
  };
  return AddFlag(std::move(f));
}

FlagSpec& Command::BoolFlag(std::string name, std::string help, bool* target, bool default_value) {
  FlagSpec f;
  f.is_bool = true;
  f.name = std::move(name);
  f.help = std::move(help);
  *target = default_value;
  f.set = [target](std::string_view v) -> Status {
    FERRY_ASSIGN_OR_RETURN(*target, ParseBool(v));
    return Status::OK();
  };
  return AddFlag(std::move(f));
}

FlagSpec& Command::BytesFlag(std::string name, std::string help, uint64_t* target,
                             std::string default_value) {
  FlagSpec f;
  f.placeholder = "SIZE";
  f.default_value = std::move(default_value);
  f.name = std::move(name);
  f.help = std::move(help);
  f.set = [target](std::string_view v) -> Status {
    FERRY_ASSIGN_OR_RETURN(*target, ParseByteSize(v));
    return Status::OK();
  };
  return AddFlag(std::move(f));
}

FlagSpec& Command::EnumFlag(std::string name, std::string help, std::string* target,
                            std::vector<std::string> choices, std::string default_value) {
  FlagSpec f;
  std::string joined;
  for (const auto& c : choices) joined += (joined.empty() ? "" : "|") + c;
  f.placeholder = joined;
  f.default_value = std::move(default_value);
  std::string flag_name = "--" + name;
  f.name = std::move(name);
  f.help = std::move(help);
  f.set = [target, choices, flag_name, joined](std::string_view v) -> Status {
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
      return Status::InvalidArgument("invalid value '" + std::string(v) + "' for " + flag_name +
                                     ", expected one of " + joined);
    }
    *target = std::string(v);
    return Status::OK();
  };
  return AddFlag(std::move(f));
}

FlagSpec& Command::StringListFlag(std::string name, std::string help,
                                  std::vector<std::string>* target) {
  FlagSpec f;
  f.placeholder = name;
  std::transform(f.placeholder.begin(), f.placeholder.end(), f.placeholder.begin(), ::toupper);
  f.repeatable = true;
  f.name = std::move(name);
  f.help = std::move(help);
  f.set = [target](std::string_view v) {
    target->emplace_back(v);
    return Status::OK();
  };
  return AddFlag(std::move(f));
}

ArgSpec& Command::StringArg(std::string name, std::string help, std::string* target,
                            bool required) {
  ArgSpec a;
  a.name = std::move(name);
  a.help = std::move(help);
  a.required = required;
  a.set = [target](std::string_view v) {
    *target = std::string(v);
    return Status::OK();
  };
  args_.push_back(std::move(a));
  return args_.back();
}

ArgSpec& Command::StringListArg(std::string name, std::string help,
                                std::vector<std::string>* target, bool required) {
  ArgSpec a;
  a.name = std::move(name);
  a.help = std::move(help);
  a.required = required;
  a.variadic = true;
  a.set = [target](std::string_view v) {
    target->emplace_back(v);
    return Status::OK();
  };
  args_.push_back(std::move(a));
  return args_.back();
}

std::string Command::FullName() const {
  if (!parent_) return name_;
  std::string p = parent_->FullName();
  return parent_->parent_ ? p + " " + name_ : name_;
}

FlagSpec* Command::FindFlag(std::string_view name) {
  for (Command* c = this; c; c = c->parent_) {
    for (auto& f : c->flags_) {
      if (f->name == name) return f.get();
    }
  }
  return nullptr;
}

FlagSpec* Command::FindShortFlag(char ch) {
  for (Command* c = this; c; c = c->parent_) {
    for (auto& f : c->flags_) {
      if (f->short_name == ch) return f.get();
    }
  }
  return nullptr;
}

Command* Command::FindSubcommand(std::string_view name) {
  for (auto& s : subcommands_) {
    if (s->name_ == name) return s.get();
    for (const auto& a : s->aliases_) {
      if (a == name) return s.get();
    }
  }
  return nullptr;
}

std::string Command::Usage() const {
  std::string u = "ferry";
  std::string full = parent_ ? FullName() : "";
  if (!full.empty()) u += " " + full;
  bool any_flags = false;
  for (const Command* c = this; c; c = c->parent_) {
    for (const auto& f : c->flags_) any_flags |= !f->hidden;
  }
  if (any_flags) u += " [<flags>]";
  if (!subcommands_.empty()) u += " <command> [<args> ...]";
  for (const auto& a : args_) {
    std::string s = "<" + a.name + ">" + (a.variadic ? "..." : "");
    u += " " + (a.required ? s : "[" + s + "]");
  }
  return u;
}

namespace {

std::string FlagLabel(const FlagSpec& f) {
  std::string s = "  ";
  s += f.short_name ? std::string("-") + f.short_name + ", " : "    ";
  s += "--";
  if (f.is_bool) {
    s += "[no-]" + f.name;
  } else {
    s += f.name + "=" + (f.default_value && !f.default_value->empty() ? *f.default_value
                                                                       : f.placeholder);
  }
  return s;
}

void PrintFlags(std::ostream& out, const std::vector<const FlagSpec*>& flags) {
  size_t width = 0;
  for (const auto* f : flags) width = std::max(width, FlagLabel(*f).size());
  for (const auto* f : flags) {
    std::string label = FlagLabel(*f);
    out << label << std::string(width - label.size() + 2, ' ') << f->help;
    if (!f->env_var.empty()) out << " ($" << f->env_var << ")";
    out << "\n";
  }
}

}  // namespace

void Command::ListCommands(std::ostream& out) const {
  for (const auto& s : subcommands_) {
    if (s->hidden_) continue;
    if (s->action_ || s->subcommands_.empty()) {
      std::string usage = s->Usage();
      out << "  " << usage.substr(6) << "\n    " << s->help_ << "\n\n";
    }
    s->ListCommands(out);
  }
}

void Command::PrintHelp(std::ostream& out) const {
  out << "usage: " << Usage() << "\n\n" << help_ << "\n\n";
  std::vector<const FlagSpec*> flags;
  static const FlagSpec kHelpFlag = [] {
    FlagSpec f;
    f.name = "help";
    f.help = "Show context-sensitive help.";
    f.is_bool = true;
    return f;
  }();
  flags.push_back(&kHelpFlag);
  for (const Command* c = this; c; c = c->parent_) {
    for (const auto& f : c->flags_) {
      if (!f->hidden) flags.push_back(f.get());
    }
  }
  out << "Flags:\n";
  PrintFlags(out, flags);
  out << "\n";
  if (!args_.empty()) {
    out << "Args:\n";
    for (const auto& a : args_) {
      out << "  " << (a.required ? "" : "[") << "<" << a.name << ">" << (a.required ? "" : "]")
          << "  " << a.help << "\n";
    }
    out << "\n";
  }
  if (!subcommands_.empty()) {
    out << "Commands:\n";
    ListCommands(out);
  }
}

class Parser {
 public:
  Parser(Command& root, Context& ctx) : root_(root), ctx_(ctx) {}

  int Run(const std::vector<std::string>& args) {
    Command* cmd = &root_;
    std::vector<std::string> positional;
    bool help = false;
    bool only_positional = false;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (only_positional || a.size() < 2 || a[0] != '-') {
        if (positional.empty() && !only_positional) {
          if (Command* sub = cmd->FindSubcommand(a)) {
            cmd = sub;
            continue;
          }
          if (cmd == &root_ && a == "help") {
            help = true;
            continue;
          }
        }
        positional.push_back(a);
        continue;
      }
      if (a == "--") {
        only_positional = true;
        continue;
      }
      if (a == "--help" || a == "-h") {
        help = true;
        continue;
      }
      Status s = a[1] == '-' ? LongFlag(cmd, args, &i) : ShortFlag(cmd, args, &i);
      if (!s.ok()) return UsageError(cmd, s.message());
    }
    if (help) {
      cmd->PrintHelp(ctx_.out);
      return 0;
    }
    if (!cmd->action_) {
      if (!positional.empty()) {
        return UsageError(cmd, "unknown command '" + positional[0] + "'");
      }
      cmd->PrintHelp(ctx_.err);
      return UsageError(cmd, cmd == &root_ ? "expected a command" : "expected a subcommand of '" + cmd->FullName() + "'");
    }
    Status s = ApplyDefaults(cmd);
    if (!s.ok()) return UsageError(cmd, s.message());
    s = BindArgs(cmd, positional);
    if (!s.ok()) return UsageError(cmd, s.message());
    Status result = cmd->action_(ctx_);
    if (!result.ok()) {
      ctx_.err << "ferry: error: " << result.message() << "\n";
      return 1;
    }
    return 0;
  }

 private:
  int UsageError(Command* cmd, const std::string& message) {
    ctx_.err << "ferry: error: " << message << ", try --help\n";
    (void)cmd;
    return 2;
  }

  Status SetFlag(FlagSpec* f, std::string_view value) {
    if (f->seen && !f->repeatable) {
      return Status::InvalidArgument("flag --" + f->name + " given more than once");
    }
    f->seen = true;
    return f->set(value).WithContext("--" + f->name);
  }

  Status LongFlag(Command* cmd, const std::vector<std::string>& args, size_t* i) {
    std::string_view a = args[*i];
    a.remove_prefix(2);
    std::optional<std::string_view> value;
    if (auto eq = a.find('='); eq != std::string_view::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    FlagSpec* f = cmd->FindFlag(a);
    if (!f && a.starts_with("no-")) {
      FlagSpec* neg = cmd->FindFlag(a.substr(3));
      if (neg && neg->is_bool && !value) return SetFlag(neg, "false");
    }
    if (!f) return Status::InvalidArgument("unknown flag --" + std::string(a));
    if (f->is_bool) return SetFlag(f, value ? *value : "true");
    if (!value) {
      if (*i + 1 >= args.size()) return Status::InvalidArgument("flag --" + f->name + " needs a value");
      value = args[++*i];
    }
    return SetFlag(f, *value);
  }

  Status ShortFlag(Command* cmd, const std::vector<std::string>& args, size_t* i) {
    std::string_view a = args[*i];
    if (a.size() < 2) return Status::InvalidArgument("invalid flag '" + std::string(a) + "'");
    FlagSpec* f = cmd->FindShortFlag(a[1]);
    if (!f) return Status::InvalidArgument("unknown short flag '" + std::string(a.substr(0, 2)) + "'");
    if (f->is_bool) {
      if (a.size() > 2) return Status::InvalidArgument("short flag -" + std::string(1, a[1]) + " takes no value");
      return SetFlag(f, "true");
    }
    if (a.size() > 2) return SetFlag(f, a.substr(a[2] == '=' ? 3 : 2));
    if (*i + 1 >= args.size()) return Status::InvalidArgument("flag -" + std::string(1, a[1]) + " needs a value");
    return SetFlag(f, args[++*i]);
  }

  Status ApplyDefaults(Command* cmd) {
    for (Command* c = cmd; c; c = c->parent_) {
      for (auto& f : c->flags_) {
        if (f->seen) continue;
        if (!f->env_var.empty()) {
          if (const char* env = std::getenv(f->env_var.c_str()); env && *env) {
            FERRY_RETURN_IF_ERROR(f->set(env).WithContext("$" + f->env_var));
            continue;
          }
        }
        if (f->required) return Status::InvalidArgument("required flag --" + f->name + " not provided");
        if (f->default_value && !f->is_bool) {
          FERRY_RETURN_IF_ERROR(f->set(*f->default_value).WithContext("--" + f->name + " default"));
        }
      }
    }
    return Status::OK();
  }

  Status BindArgs(Command* cmd, const std::vector<std::string>& positional) {
    size_t p = 0;
    for (auto& a : cmd->args_) {
      if (a.variadic) {
        if (a.required && p >= positional.size()) {
          return Status::InvalidArgument("required argument <" + a.name + "> not provided");
        }
        for (; p < positional.size(); ++p) FERRY_RETURN_IF_ERROR(a.set(positional[p]));
        continue;
      }
      if (p < positional.size()) {
        FERRY_RETURN_IF_ERROR(a.set(positional[p++]));
      } else if (a.required) {
        return Status::InvalidArgument("required argument <" + a.name + "> not provided");
      }
    }
    if (p < positional.size()) {
      return Status::InvalidArgument("unexpected argument '" + positional[p] + "'");
    }
    return Status::OK();
  }

  Command& root_;
  Context& ctx_;
};

int Run(Command& root, const std::vector<std::string>& args, Context& ctx) {
  Parser parser(root, ctx);
  return parser.Run(args);
}

}  // namespace ferry::cli
