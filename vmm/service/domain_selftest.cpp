// Runs the protection-domain self-test (vmm/domain/selftest.cpp) from inside
// the guest. Only with the VMM option `selftest.domains` (else kErrDenied):
// it runs 10^4 messages and 10^3 domain lifetimes, too much to offer every guest.
// RAX = the number of failed checks; RBX = the number passed.
#include "domain/selftest.hpp"
#include "kernel/log.hpp"
#include "service/service.hpp"

namespace tv {
namespace {
u64 domain_selftest(HypercallContext& call) {
  if (!dom::selftest_allowed()) {
    TV_LOG_GUEST("domain_selftest: refused (start the VMM with selftest.domains)");
    return abi::kErrDenied;
  }
  dom::SelftestResult r = dom::run_selftest();
  call.set_result(0, r.passed);
  return r.failed;
}
}  // namespace
TV_SERVICE(domain_selftest, "domain_selftest", CallerPolicy::AnyMode,
           "runs the domain self-test (VMM option selftest.domains) -> failures, RBX=passed");
}  // namespace tv
