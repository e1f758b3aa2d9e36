// Guest MOV to and from DR0-DR7 (all intercepted) and #DB (always
// intercepted), both served from the vCPU's debug-register file
// (lib/src/debug_regs.cpp). The guest's breakpoints are armed for the guest
// unless they would match on VMM memory; the VMM's watchpoints fire here and
// are hidden from the guest (docs/debug-registers.md).
#include "kernel/log.hpp"
#include "tv/debug_regs.hpp"
#include "tv/x86/control_regs.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"
#include "virt/watchpoints.hpp"

namespace tv {

void handle_debug_register_access(Vcpu& vcpu, u8 dr, bool write) {
  const DecodedInsn d = decode_at_rip(vcpu);
  const InsnKind want = write ? InsnKind::MovToDr : InsnKind::MovFromDr;
  if (d.kind != want || (d.reg & 7) != (dr & 7)) {
    TV_LOG_GUEST("guest DR%u access at rip %lx: decoded %s instead; #UD", unsigned(dr), vcpu.rip(), to_string(d.kind));
    return vcpu.inject_exception(Vector::UD);
  }
  GuestDebugRegs& f = vcpu.debug_regs();
  const bool de = (vcpu.cr4() & x86::cr4::kDe) != 0;
  const bool long_mode = d.operand_size == 8;
  Gpr gpr = Gpr(d.rm & 15);
  DrOutcome o;
  if (write) {
    const u8 refused_before = f.refused_guest_slots();
    o = f.write(d.reg, vcpu.gpr(gpr), de, long_mode, vcpu.dr6());
    // SVM keeps the guest's DR6 in the VMCB (the CPU sets its status bits there).
    const bool hits_dr6 = d.reg == 6 || (d.reg == 4 && !de);
    if (o == DrOutcome::Ok && hits_dr6) vcpu.set_dr6(f.dr6());
    if (o == DrOutcome::Ok && (f.refused_guest_slots() & ~refused_before) != 0)
      TV_LOG_GUEST("guest DR7 %lx: slots %x recorded but not armed (VMM memory, or I/O without CR4.DE)", f.dr7(),
                   unsigned(f.refused_guest_slots()));
  } else {
    DrRead r = f.read(d.reg, de, vcpu.dr6());
    o = r.outcome;
    if (o == DrOutcome::Ok) vcpu.set_gpr(gpr, long_mode ? r.value : u32(r.value));
  }
  switch (o) {
    case DrOutcome::Ok: return vcpu.advance_rip(d.length);
    case DrOutcome::Undefined: return vcpu.inject_exception(Vector::UD);
    case DrOutcome::GpHighBits: return vcpu.inject_exception(Vector::GP, true, 0);
    case DrOutcome::GeneralDetect: vcpu.set_dr6(f.dr6()); return vcpu.inject_exception(Vector::DB);
  }
}

// A #DB: the VMM's watchpoints are handled and removed from DR6; anything else
// (a guest breakpoint, single-step, ICEBP) is the guest's, delivered with the
// DR6 bits the CPU set. An execute watchpoint is a fault: RF lets the
// instruction run on resume instead of hitting the breakpoint again.
void handle_debug_exception(Vcpu& vcpu) {
  GuestDebugRegs& f = vcpu.debug_regs();
  const bool tf = (vcpu.rflags() & x86::rflags::kTf) != 0;
  const DbVerdict v = f.on_debug_exception(vcpu.dr6_at_entry(), vcpu.dr6(), tf);
  bool fault_hit = false;
  for (u8 s = 0; s < kBreakpointSlots; ++s) {
    if ((v.vmm_hits & (1u << s)) == 0) continue;
    fault_hit |= f.watchpoint(s).type == BpType::Execute;
    watch_hit(vcpu, s);
  }
  vcpu.set_dr6(v.guest_dr6);
  if (fault_hit) vcpu.set_rflags(vcpu.rflags() | x86::rflags::kRf);
  if (v.reflect) vcpu.inject_exception(Vector::DB);
}

}  // namespace tv
