// Asks the VMM to verify its own code and data (kernel/integrity.hpp).
// RAX = 0 if intact, 1 if corrupted; RBX = the checksum now; RCX = bytes checked.
#include "kernel/integrity.hpp"

#include "kernel/log.hpp"
#include "service/service.hpp"

namespace tv {
namespace {
u64 check_integrity(HypercallContext& call) {
  integrity::Report r = integrity::verify();
  TV_LOG_GUEST("integrity check on request: %s (fnv1a64 %016lx, expected %016lx, %lu bytes)",
               r.intact ? "intact" : "CORRUPTED", r.actual, r.expected, r.bytes_checked);
  call.set_result(0, r.actual);
  call.set_result(1, r.bytes_checked);
  return r.intact ? 0 : 1;
}
}  // namespace
TV_SERVICE(check_integrity, "integrity", CallerPolicy::AnyMode, "-> RAX=0 intact / 1 corrupted, RBX=checksum");
}  // namespace tv
