// The sessions gdpd owns. Sessions arrive with the workflow (submit, attach, approvals); until then
// the registry is empty and `status` reports so. It knows nothing of JSON or sockets.
#pragma once

#include "common/protocol.h"

#include <vector>

namespace gdp {

class SessionRegistry {
 public:
  std::vector<proto::SessionSummary> list() const { return {}; }
};

}  // namespace gdp
