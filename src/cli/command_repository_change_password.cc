// ferry repository change-password: re-encrypt the format blob under a new password.
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"

namespace ferry::cli {

void AddRepositoryChangePasswordCommand(Command& repository) {
  auto new_password = std::make_shared<std::string>();
  Command& cmd = repository.AddCommand("change-password", "Change repository password");
  cmd.StringFlag("new-password", "New password", new_password.get());
  cmd.SetAction([new_password](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto r, OpenConnectedRepository());
    std::string pw = *new_password;
    if (pw.empty()) {
      FERRY_ASSIGN_OR_RETURN(pw, PromptPassword("Enter new password: ", true));
    }
    FERRY_RETURN_IF_ERROR(r->ChangePassword(pw));
    FERRY_RETURN_IF_ERROR(SavePassword(ConfigFilePath(), pw));
    ctx.out << "Password changed.\n";
    return Status::OK();
  });
}

}  // namespace ferry::cli
