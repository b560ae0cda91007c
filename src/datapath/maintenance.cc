// RunMaintenance through the maintenance layer (built when ferry_maintenance exists).
#include "datapath/datapath.h"
#include "datapath/session.h"
#include "maintenance/maintenance.h"

namespace ferry::datapath {

Result<MaintenanceResult> RunMaintenance(Session& session, const MaintenanceRequest& request) {
  maintenance::RunOptions o;
  o.full = request.full;
  o.safety = request.safety_none ? maintenance::Safety::kNone : maintenance::Safety::kFull;
  o.user_at_host = request.owner;
  FERRY_ASSIGN_OR_RETURN(maintenance::RunReport report, maintenance::Run(session.repository(), o));
  MaintenanceResult r;
  r.summary = std::string(request.full ? "full" : "quick") + " maintenance: " + report.Summary();
  return r;
}

}  // namespace ferry::datapath
