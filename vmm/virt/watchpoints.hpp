// VMM-owned watchpoints: a debug-register slot the VMM claims to watch a guest
// virtual address for execution, writes or reads/writes. Each hit is counted
// and logged (guest RIP and the value), then handed to the claimant's handler
// if it gave one (the module-load detector does). The guest never sees the
// hit (debug_exit.cpp). Per vCPU: the slot lives in that vCPU's file.
#pragma once
#include "tv/debug_regs.hpp"
#include "virt/vcpu.hpp"

namespace tv {

// The rules' view of the guest's CPU (from the exit's cached code state).
inline DrContext debug_context(const Vcpu& vcpu) {
  const CodeState& cs = vcpu.code_state();
  const u64 cr4 = cs.paging.cr4;
  return {(cr4 & x86::cr4::kDe) != 0, cs.mode == CpuMode::Long64, (cr4 & x86::cr4::kLa57) != 0};
}
// ctx: the rules' view of the CPU (default: the guest's current mode).
Result<u8, DebugRegError> claim_watch(Vcpu& vcpu, u64 addr, BpType type, u8 len, WatchHandler handler = nullptr,
                                      const DrContext* ctx = nullptr);
Status<DebugRegError> release_watch(Vcpu& vcpu, u8 slot);
// The same for a request from outside the VMM (hypercall, debug shell): a
// watchpoint with a handler belongs to VMM code and is refused (VmmInternal).
Status<DebugRegError> release_watch_on_request(Vcpu& vcpu, u8 slot);
// Called by the #DB exit for every VMM slot that fired.
void watch_hit(Vcpu& vcpu, u8 slot);
// The VMM option `watch=ADDR[,x|w|rw[,LEN]]` (tv/watch_spec.hpp), claimed at start-up.
void claim_watch_option(Vcpu& vcpu, const char* value);

}  // namespace tv
