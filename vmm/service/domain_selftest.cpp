// Runs the protection-domain self-test (vmm/domain/selftest.cpp) from inside
// the guest. Only with the VMM option `selftest.domains` (else kErrDenied):
// it runs 10^4 messages and 10^3 domain lifetimes, too much to offer every guest.
// RBX = 0: the self-test; RAX = the number of failed checks, RBX = the number passed.
// RBX = 1: fills the log ring with numbered lines until every byte it holds
// was written by this call (tvbench's `dbgsh -c log` of a full ring);
// RAX = 0, RBX = the lines written.
#include "domain/selftest.hpp"
#include "kernel/log.hpp"
#include "service/service.hpp"

namespace tv {
namespace {

constexpr u64 kFillLog = 1;

u32 fill_log() {
  const ByteRing& ring = log::ring().bytes();
  const u64 until = ring.total_written() + ring.capacity();
  u32 lines = 0;
  while (ring.total_written() < until)
    TV_LOG("domtest: log fill line %u: text to fill the log ring for the dbgsh -c log benchmark", ++lines);
  return lines;
}

u64 domain_selftest(HypercallContext& call) {
  if (!dom::selftest_allowed()) {
    TV_LOG_GUEST("domain_selftest: refused (start the VMM with selftest.domains)");
    return abi::kErrDenied;
  }
  if (call.arg(0) == kFillLog) {
    call.set_result(0, fill_log());
    return 0;
  }
  dom::SelftestResult r = dom::run_selftest();
  call.set_result(0, r.passed);
  return r.failed;
}
}  // namespace
TV_SERVICE(
    domain_selftest, "domain_selftest", CallerPolicy::AnyMode,
    "RBX=0 runs the domain self-test (VMM option selftest.domains) -> failures, RBX=passed; RBX=1 fills the log");
}  // namespace tv
