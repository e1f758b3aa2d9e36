// State that belongs to one CPU, not to the machine: one PerCpu per CPU the
// VMM runs (index 0 is the boot CPU), found through the GS base, which each
// CPU points at its own PerCpu at start-up (kernel/smp.cpp) and which VMLOAD
// of the host state restores after every #VMEXIT (virt/svm/vmrun.S). Nothing
// here needs a lock: only its own CPU writes it, except the fields marked
// "any CPU", which are atomics.
#pragma once
#include "tv/cpu_start.hpp"
#include "tv/debug_regs.hpp"
#include "tv/types.hpp"
#include "virt/exit_stats.hpp"

namespace tv {

namespace dom {
struct CallRecord;
struct Domain;
}  // namespace dom
class Vcpu;

struct PerCpu {
  // Offsets 0, 8 and 16 are read by assembly (vmm/domain/ring3.S, below).
  u64 trap_rsp = 0;                 // the kernel stack the current message's syscalls run on
  u64 entry_stack_top = 0;          // this CPU's TSS.RSP0: where a ring-3 entry lands
  PerCpu* self = nullptr;           // this_cpu() reads %gs:16
  dom::CallRecord* call = nullptr;  // innermost active message, or nullptr
  dom::Domain* current = nullptr;   // the domain running that message
  u32 depth = 0;                    // messages active on this CPU (<= dom::kMaxNesting)
  u32 cpu_index = 0;
  u32 apic_id = 0;
  bool online = false;                                    // started by the VMM (any CPU reads)
  DebugCpuState debug;                                    // what this CPU's DR0-DR3 hold (virt/svm/svm_vcpu.cpp)
  Vcpu* vcpu = nullptr;                                   // the vCPU this CPU runs
  ExitStats exits;                                        // this CPU's VM exits (the run report sums them)
  u64 hypercalls = 0;                                     // hypercalls made on this CPU
  u64 nmis = 0;                                           // NMIs the VMM took on this CPU (kicks and the guest's)
  smp::StartState start_state = smp::StartState::Parked;  // any CPU reads (status)
  smp::StartMailbox mailbox;                              // any CPU: the guest's INIT/SIPI for this vCPU
  bool kick_pending = false;                              // any CPU: an NMI the VMM sent (not the guest's)
  u64 host_stack_top = 0;
};
static_assert(__builtin_offsetof(PerCpu, trap_rsp) == 0);
static_assert(__builtin_offsetof(PerCpu, entry_stack_top) == 8);
static_assert(__builtin_offsetof(PerCpu, self) == 16);

inline PerCpu& this_cpu() {
  PerCpu* p;
  asm("mov %%gs:16, %0" : "=r"(p));  // not volatile: a CPU's PerCpu never changes
  return *p;
}

// The same, read again: for code that may continue on another CPU than it
// started on (a coroutine resumed elsewhere), where the compiler must not
// reuse an earlier this_cpu().
inline PerCpu& this_cpu_reload() {
  PerCpu* p;
  asm volatile("mov %%gs:16, %0" : "=r"(p));
  return *p;
}

// Every CPU's state, by index (kernel/smp.cpp); cpu_count() of them are online.
PerCpu& cpu_at(u32 index);
u32 cpu_count();

inline ExitStats& exit_stats() {
  return this_cpu().exits;
}
// The vCPU of the CPU this runs on (the guest context of the current exit).
inline Vcpu& current_vcpu() {
  return *this_cpu().vcpu;
}

}  // namespace tv
