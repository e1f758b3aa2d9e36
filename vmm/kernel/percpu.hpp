// State that belongs to one CPU, not to the machine. Today only the BSP runs
// the VMM; with SMP each CPU gets its own PerCpu (found through its TSS or
// GS base) and nothing here needs a lock.
#pragma once
#include "tv/debug_regs.hpp"
#include "tv/types.hpp"

namespace tv {

namespace dom {
struct CallRecord;
struct Domain;
}  // namespace dom

struct PerCpu {
  // Offset 0 is read by vmm/domain/ring3.S: the kernel stack the current
  // message's syscalls run on (just below its CallRecord's saved registers).
  u64 trap_rsp = 0;
  dom::CallRecord* call = nullptr;  // innermost active message, or nullptr
  dom::Domain* current = nullptr;   // the domain running that message
  u32 depth = 0;                    // messages active on this CPU (<= dom::kMaxNesting)
  u32 cpu_index = 0;
  DebugCpuState debug;  // what this CPU's DR0-DR3 hold (virt/svm/svm_vcpu.cpp)
};
static_assert(__builtin_offsetof(PerCpu, trap_rsp) == 0);

extern "C" PerCpu g_percpu;  // the BSP's (arch/x86/ring3.S reads it by symbol)
inline PerCpu& this_cpu() {
  return g_percpu;
}

}  // namespace tv
