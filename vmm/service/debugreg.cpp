// The guest's debug registers through validated hypercalls (the lguest
// proposal, docs/debug-registers.md), and the VMM's own watchpoints. Kernel
// mode only: DR access is a CPL 0 privilege on bare metal too.
//
//   set_debugreg  RBX = regnum 0-7, RCX = value       -> RAX = 0 or an error
//   get_debugreg  RBX = regnum 0-7                     -> RAX = 0, RBX = value
//   watch         RBX = address, RCX = kind (0 x, 1 w, 3 rw), RDX = length
//                                                      -> RAX = 0, RBX = slot
//   unwatch       RBX = slot                           -> RAX = 0
//   watch_info    RBX = slot -> RAX = 0, RBX = address, RCX = kind, RDX = length, RSI = hits
//                 (kErrBadArgument for a slot without a VMM watchpoint)
//
// Refusals are -(32 + DebugRegError) (abi::debug_reg_error), -33 .. -48, each logged with
// its reason; a refused call changes nothing.
#include "kernel/log.hpp"
#include "service/service.hpp"
#include "virt/watchpoints.hpp"

namespace tv {
namespace {

u64 refuse(const char* what, u64 a, u64 b, DebugRegError e) {
  TV_LOG_GUEST("%s(%lx, %lx) refused: %s", what, a, b, to_string(e));
  return abi::debug_reg_error(u8(e));
}

u64 set_debugreg(HypercallContext& call) {
  const u64 n = call.arg(0), value = call.arg(1);
  Vcpu& vcpu = call.vcpu();
  GuestDebugRegs& f = vcpu.debug_regs();
  if (n > 7) return refuse("set_debugreg", n, value, DebugRegError::BadRegister);
  auto st = f.set_checked(u8(n), value, debug_context(vcpu));
  if (!st) return refuse("set_debugreg", n, value, st.error());
  // SVM keeps the guest's DR6 in the VMCB (DR4 is DR6 here: CR4.DE is clear or the call was refused).
  if (n == 6 || n == 4) vcpu.set_dr6(f.dr6());
  return 0;
}
TV_SERVICE(set_debugreg, "set_debugreg", CallerPolicy::KernelOnly,
           "RBX=regnum RCX=value: validated write of the guest's DR0-7");

u64 get_debugreg(HypercallContext& call) {
  const u64 n = call.arg(0);
  Vcpu& vcpu = call.vcpu();
  if (n > 7) return refuse("get_debugreg", n, 0, DebugRegError::BadRegister);
  auto v = vcpu.debug_regs().get_checked(u8(n), debug_context(vcpu), vcpu.dr6());
  if (!v) return refuse("get_debugreg", n, 0, v.error());
  call.set_result(0, *v);
  return 0;
}
TV_SERVICE(get_debugreg, "get_debugreg", CallerPolicy::KernelOnly, "RBX=regnum: RBX=the guest's DR0-7");

u64 watch(HypercallContext& call) {
  const u64 addr = call.arg(0), kind = call.arg(1), len = call.arg(2);
  if (kind > 3) return refuse("watch", addr, kind, DebugRegError::BadKind);
  if (len > 8) return refuse("watch", addr, len, DebugRegError::BadLength);
  auto slot = claim_watch(call.vcpu(), addr, BpType(kind), u8(len));
  if (!slot) return abi::debug_reg_error(u8(slot.error()));
  call.set_result(0, *slot);
  return 0;
}
TV_SERVICE(watch, "watch", CallerPolicy::KernelOnly,
           "RBX=addr RCX=kind(0 x,1 w,3 rw) RDX=len: a VMM watchpoint, RBX=slot");

u64 unwatch(HypercallContext& call) {
  const u64 slot = call.arg(0);
  if (slot > 0xFF) return refuse("unwatch", slot, 0, DebugRegError::NotWatched);
  auto st = release_watch_on_request(call.vcpu(), u8(slot));
  if (!st) return refuse("unwatch", slot, 0, st.error());
  return 0;
}
TV_SERVICE(unwatch, "unwatch", CallerPolicy::KernelOnly, "RBX=slot: releases a VMM watchpoint");

u64 watch_info(HypercallContext& call) {
  const u64 slot = call.arg(0);
  const GuestDebugRegs& f = call.vcpu().debug_regs();
  if (slot >= kBreakpointSlots || (f.vmm_slots() & (1u << slot)) == 0) return abi::kErrBadArgument;
  const Watchpoint& w = f.watchpoint(u8(slot));
  call.set_result(0, w.addr);
  call.set_result(1, u64(w.type));
  call.set_result(2, w.len);
  call.set_result(3, w.hits);
  return 0;
}
TV_SERVICE(watch_info, "watch_info", CallerPolicy::KernelOnly,
           "RBX=slot: RBX=addr RCX=kind RDX=len RSI=hits of a VMM watchpoint");

}  // namespace
}  // namespace tv
