// Exits that mean something went wrong in the guest, or that it touched memory
// the nested page tables do not map.
#include "kernel/log.hpp"
#include "kernel/platform.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/run_report.hpp"

namespace tv {

void handle_shutdown(Vcpu& vcpu) {
  TV_LOG("guest triple fault (shutdown): the guest cannot continue");
  vcpu.dump_state("guest state at shutdown");
  print_run_report("guest triple fault");
  end_run(RunEnd::GuestShutdown);
}

void handle_nested_page_fault(Vcpu& vcpu, const NestedFaultExit& npf) {
  // The NPT maps all guest-physical space the VMM knows of; a fault here means
  // an address beyond it. Report it to the guest as a #GP rather than loop.
  TV_LOG("guest touched unmapped guest-physical %lx (%s) at rip %lx: injecting #GP", npf.gpa,
         npf.write ? "write" : "read", vcpu.rip());
  vcpu.inject_exception(Vector::GP, true, 0);
}

}  // namespace tv
