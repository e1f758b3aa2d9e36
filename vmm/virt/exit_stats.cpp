#include "virt/exit_stats.hpp"

#include "kernel/log.hpp"
#include "kernel/percpu.hpp"

namespace tv {

const char* to_string(ExitReason r) {
  switch (r) {
    case ExitReason::Cpuid: return "cpuid";
    case ExitReason::MsrRead: return "msr-read";
    case ExitReason::MsrWrite: return "msr-write";
    case ExitReason::IoAccess: return "io";
    case ExitReason::Hypercall: return "hypercall";
    case ExitReason::InvalidOpcode: return "invalid-opcode";
    case ExitReason::GeneralProtection: return "general-protection";
    case ExitReason::VirtInstruction: return "virt-instruction";
    case ExitReason::Shutdown: return "shutdown";
    case ExitReason::NestedPageFault: return "nested-page-fault";
    case ExitReason::Cr0Write: return "cr0-write";
    case ExitReason::DrRead: return "dr-read";
    case ExitReason::DrWrite: return "dr-write";
    case ExitReason::DebugException: return "debug-exception";
    case ExitReason::Nmi: return "nmi";
    case ExitReason::Other: return "other";
    case ExitReason::Count: break;
  }
  return "?";
}

ExitStats machine_exit_stats() {
  ExitStats sum;
  for (u32 i = 0; i < cpu_count(); ++i) sum.add(cpu_at(i).exits);
  return sum;
}

void ExitStats::print(const char* heading) const {
  log::printf("thinvisor: %s: %lu VM exits\n", heading, total_);
  for (usize i = 0; i < usize(ExitReason::Count); ++i)
    if (by_reason_[i] != 0) log::printf("thinvisor:   exits %-18s %lu\n", to_string(ExitReason(i)), by_reason_[i]);
}

}  // namespace tv
