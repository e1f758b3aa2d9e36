// Exits that mean something went wrong in the guest, or that it touched memory
// the nested page tables do not map.
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "kernel/platform.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/pci_config_exit.hpp"
#include "virt/run_report.hpp"

namespace tv {

void handle_shutdown(Vcpu& vcpu) {
  TV_LOG("guest triple fault (shutdown) on CPU %u: the guest cannot continue", this_cpu().cpu_index);
  vcpu.dump_state("guest state at shutdown");
  print_run_report("guest triple fault");
  end_run(RunEnd::GuestShutdown);
}

void handle_nested_page_fault(Vcpu& vcpu, const Exit& exit) {
  const NestedFaultExit& npf = exit.npf;
  const bool controller = is_interrupt_controller_page(npf.gpa);
  if (npf.write && npf.present && (controller || is_guarded_ecam_page(npf.gpa))) {
    if (!exit.during_event_delivery)
      return controller ? handle_interrupt_controller_store(vcpu, npf.gpa) : handle_ecam_store(vcpu, npf.gpa);
    // The CPU was pushing an interrupt frame into a write-protected device page
    // (the guest put its stack there): nothing to decode, and no sane guest does it.
    TV_LOG("guest event delivery writes to write-protected device page %lx (its stack is there)", npf.gpa);
    vcpu.dump_state("guest stack in a write-protected device page");
    print_run_report("guest stack in a write-protected device page");
    end_run(RunEnd::GuestStateRejected);
  }
  // Apart from those pages the nested page tables map the whole
  // guest-physical space at start-up and never change, so a nested page fault
  // means the tables are not what the VMM built: a VMM bug (or memory
  // corruption), never something to resume.
  TV_LOG("nested page fault at guest-physical %lx (%s, %s) at rip %lx: the nested tables map all of it", npf.gpa,
         npf.write ? "write" : "read", npf.present ? "present" : "not present", vcpu.rip());
  vcpu.dump_state("unexpected nested page fault");
  print_run_report("unexpected nested page fault");
  end_run(RunEnd::VmmPanic);
}

}  // namespace tv
