// Exits that mean something went wrong in the guest, or that it touched memory
// the nested page tables do not map.
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
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
  // The nested page tables start with RAM and the 32-bit MMIO space; anything
  // above (64-bit PCI BARs, RAM beyond the first map) is identity-mapped here
  // on first touch, and the guest's access then simply runs again.
  static u64 last_gpa = ~0ull;
  u64 page = align_down(npf.gpa, 2 * MiB);
  if (page == last_gpa) {
    // Mapped already and still faulting: something is wrong with the tables.
    vcpu.dump_state("nested page fault repeats at the same address");
    print_run_report("repeated nested page fault");
    end_run(RunEnd::VmmPanic);
  }
  if (!vcpu.map_guest_physical_2m(page)) {
    TV_LOG("guest touched guest-physical %lx (%s) at rip %lx, which cannot be mapped", npf.gpa,
           npf.write ? "write" : "read", vcpu.rip());
    print_run_report("unmappable guest-physical address");
    end_run(RunEnd::VmmPanic);
  }
  last_gpa = page;
  static u64 mapped = 0;
  if (++mapped <= 16) TV_LOG("nested paging: mapped guest-physical %lx on first touch", page);
}

}  // namespace tv
