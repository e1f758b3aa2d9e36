#include "virt/exit_dispatch.hpp"

#include "kernel/dma_protection.hpp"
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp.hpp"
#include "virt/exit_stats.hpp"
#include "virt/instruction.hpp"
#include "virt/module_watch.hpp"
#include "virt/run_report.hpp"

namespace tv {

void handle_exit(Vcpu& vcpu, const Exit& exit) {
  ExitStats& stats = exit_stats();
  stats.count(exit.reason);
  // The IOMMU reports blocked DMA in memory, not by interrupt: look every
  // 4096 exits of the boot CPU (one CPU's exits keep the logs drained, and
  // the others never wait on the poll's lock); status and the run report
  // drain them on whichever CPU asks.
  if ((stats.total() & 0xFFF) == 0 && this_cpu().cpu_index == 0) [[unlikely]]
    dma::poll_events();
  module_watch_poll(vcpu);
  switch (exit.reason) {
    case ExitReason::Cpuid: return handle_cpuid(vcpu);
    case ExitReason::MsrRead: return handle_msr(vcpu, false);
    case ExitReason::MsrWrite: return handle_msr(vcpu, true);
    case ExitReason::IoAccess: return handle_io(vcpu, exit.io);
    case ExitReason::Hypercall: return handle_hypercall(vcpu, InsnKind::Vmmcall);
    case ExitReason::InvalidOpcode: return handle_invalid_opcode(vcpu);
    case ExitReason::GeneralProtection:
      // A #GP raised while delivering an event is about that event (e.g. a
      // bad IDT), not the instruction at RIP: pass it on (the backend then
      // applies the double-fault rules).
      if (exit.during_event_delivery) return vcpu.inject_exception(Vector::GP, true, exit.error_code);
      return handle_general_protection(vcpu, exit.error_code);
    case ExitReason::VirtInstruction:
      // The guest sees no SVM (CPUID hides it), so these behave as on a CPU without it.
      return vcpu.inject_exception(Vector::UD);
    case ExitReason::Shutdown: handle_shutdown(vcpu);
    case ExitReason::NestedPageFault: return handle_nested_page_fault(vcpu, exit);
    case ExitReason::Cr0Write: return handle_cr0_write(vcpu);
    case ExitReason::DrRead: return handle_debug_register_access(vcpu, exit.debug_register, false);
    case ExitReason::DrWrite: return handle_debug_register_access(vcpu, exit.debug_register, true);
    case ExitReason::DebugException: return handle_debug_exception(vcpu);
    case ExitReason::Nmi: return smp::handle_nmi_exit(vcpu);
    case ExitReason::Other:
    case ExitReason::Count: break;
  }
  // An exit nobody handles means an intercept without a handler: a VMM bug.
  // Resuming could loop forever, so end the run with everything we know.
  vcpu.dump_state("unhandled VM exit");
  print_run_report("unhandled VM exit");
  panic("unhandled VM exit 0x%lx at rip %lx", exit.vendor_code, vcpu.rip());
}

void handle_cpuid_exit(Vcpu& vcpu) {
  exit_stats().count(ExitReason::Cpuid);
  handle_cpuid(vcpu);
}

void handle_vmmcall_exit(Vcpu& vcpu) {
  exit_stats().count(ExitReason::Hypercall);
  handle_hypercall(vcpu, InsnKind::Vmmcall);
}

void handle_general_protection(Vcpu& vcpu, u32 error_code) {
  // The guest's EFER.SVME is really set (VMRUN needs it), so at CPL > 0 the SVM
  // instructions fault with #GP before their intercept; a CPU without SVM
  // raises #UD at every CPL, so that is what the guest gets.
  switch (decode_at_rip(vcpu).kind) {
    case InsnKind::Vmrun:
    case InsnKind::Vmload:
    case InsnKind::Vmsave:
    case InsnKind::Stgi:
    case InsnKind::Clgi:
    case InsnKind::Skinit:
    case InsnKind::Invlpga: return vcpu.inject_exception(Vector::UD);
    default: return vcpu.inject_exception(Vector::GP, true, error_code);
  }
}

void handle_invalid_opcode(Vcpu& vcpu) {
  // An Intel guest's VMCALL (0F 01 C1) raises #UD on AMD: treat it as the hypercall.
  if (decode_at_rip(vcpu).kind == InsnKind::Vmcall) return handle_hypercall(vcpu, InsnKind::Vmcall);
  vcpu.inject_exception(Vector::UD);
}

}  // namespace tv
