// The snapshot a method asks for (snapshot, plan): its params checked, the file read and masked.
// Shared so every method that reads a user's file applies the same limits and the same privacy step.
#pragma once

#include "common/protocol.h"
#include "daemon/privacy/sanitizer.h"

namespace gdp {

struct DaemonCore;

// Checks the params (InvalidParams naming the field) and returns a blocking job for the worker
// pool that reads, samples and masks the file.
std::function<privacy::SanitizedSnapshot()> snapshot_job(const DaemonCore& core,
                                                         const proto::SnapshotParams& params);

}  // namespace gdp
