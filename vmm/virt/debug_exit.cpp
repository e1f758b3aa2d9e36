// Guest MOV to and from DR0-DR7: all intercepted, served from the vCPU's
// debug-register file (lib/src/debug_regs.cpp). The guest's breakpoints are
// recorded, read back as written, and never armed in the hardware: on QEMU
// they would stay armed in the VMM after #VMEXIT (issue 7).
#include "kernel/log.hpp"
#include "tv/debug_regs.hpp"
#include "tv/x86/control_regs.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"

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
    const bool had_breakpoints = f.breakpoints_enabled();
    o = f.write(d.reg, vcpu.gpr(gpr), de, long_mode, vcpu.dr6());
    // SVM keeps the guest's DR6 in the VMCB (the CPU sets its status bits there).
    const bool hits_dr6 = d.reg == 6 || (d.reg == 4 && !de);
    if (o == DrOutcome::Ok && hits_dr6) vcpu.set_dr6(f.dr6());
    if (o == DrOutcome::Ok && !had_breakpoints && f.breakpoints_enabled())
      TV_LOG_GUEST("guest DR7 %lx enables breakpoints: recorded, not armed in the CPU", f.dr7());
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

}  // namespace tv
