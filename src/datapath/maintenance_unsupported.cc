// RunMaintenance when the maintenance layer is not part of the build.
#include "datapath/datapath.h"

namespace ferry::datapath {

Result<MaintenanceResult> RunMaintenance(Session&, const MaintenanceRequest&) {
  return Status::Unsupported("this ferry was built without the maintenance layer");
}

}  // namespace ferry::datapath
