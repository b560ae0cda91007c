// ferry show ID[/path]: the bytes of a stored object (a file's contents, a directory's JSON, a
// symlink's target) on stdout, like kopia's `show`. ID is a snapshot or an object ID.
#include <memory>
#include <ostream>

#include "cli/commands.h"
#include "cli/connection.h"
#include "snapshot/tree.h"

namespace ferry::cli {

void AddShowCommand(Command& root) {
  auto path = std::make_shared<std::string>();
  Command& cmd = root.AddCommand("show", "Displays the contents of a file or object stored in a snapshot.").Alias("cat");
  cmd.StringArg("object-path", "Snapshot ID or object ID, optionally followed by /path", path.get());
  cmd.SetAction([path](Context& ctx) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto repo, OpenConnectedRepository(true));
    FERRY_ASSIGN_OR_RETURN(auto resolved, snapshot::ResolveEntry(*repo->objects(), repo->manifests(), *path));
    FERRY_ASSIGN_OR_RETURN(auto oid, object::ObjectId::Parse(resolved.entry.object_id));
    FERRY_ASSIGN_OR_RETURN(auto reader, repo->objects()->Open(oid));
    Bytes buffer(size_t{1} << 20);
    for (;;) {
      FERRY_ASSIGN_OR_RETURN(size_t n, reader.Read(buffer));
      if (n == 0) break;
      ctx.out.write(reinterpret_cast<const char*>(buffer.data()), std::streamsize(n));
      if (!ctx.out) return Status::IOError("writing to standard output failed");
    }
    return Status::OK();
  });
}

}  // namespace ferry::cli
