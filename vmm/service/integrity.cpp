// Asks the VMM to verify that nothing it protects has changed (kernel/integrity.hpp).
// RAX = 0 if intact, 1 if corrupted; RBX = the checksum now; RCX = bytes checked.
#include "kernel/integrity.hpp"

#include "kernel/log.hpp"
#include "service/service.hpp"

namespace tv {
namespace {
u64 check_integrity(HypercallContext& call) {
  integrity::Report r = integrity::verify();
  TV_LOG_GUEST("integrity check on request: %s (fingerprint %016lx, expected %016lx, %lu bytes in %lu regions%s%s)",
               r.intact ? "intact" : "CORRUPTED", r.actual, r.expected, r.bytes_checked, r.regions,
               r.intact ? "" : "; first changed: ", r.intact ? "" : r.first_changed);
  call.set_result(0, r.actual);
  call.set_result(1, r.bytes_checked);
  return r.intact ? 0 : 1;
}
}  // namespace
TV_SERVICE(check_integrity, "integrity", CallerPolicy::AnyMode, "-> RAX=0 intact / 1 corrupted, RBX=checksum");
}  // namespace tv
