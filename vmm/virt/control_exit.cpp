// Guest writes to CR0 (MOV CR0, LMSW, CLTS): intercepted because QEMU's TCG
// accepts values real hardware refuses and VMRUN then fails (issue 7). The
// rules are lib/src/cr_write.cpp; this file decodes and applies.
#include "kernel/log.hpp"
#include "tv/cr_write.hpp"
#include "tv/x86/control_regs.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"

namespace tv {
namespace {

u64 operand(const Vcpu& vcpu, const DecodedInsn& d) {
  u64 v = vcpu.gpr(Gpr(d.rm & 15));
  return d.operand_size == 8 ? v : u32(v);
}

}  // namespace

void handle_cr0_write(Vcpu& vcpu) {
  const DecodedInsn d = decode_at_rip(vcpu);
  const CrContext ctx{vcpu.cr0(), vcpu.cr4(), vcpu.guest_efer(),
                      (vcpu.segment_cs().attributes & x86::seg_attr::kLong) != 0};
  CrWrite w{};
  if (d.kind == InsnKind::MovToCr && d.reg == 0) {
    w = mov_to_cr0(operand(vcpu, d), ctx);
  } else if (d.kind == InsnKind::Clts) {
    w = clts(ctx);
  } else if (d.kind == InsnKind::Lmsw && !d.has_memory) {
    w = lmsw(u16(vcpu.gpr(Gpr(d.rm & 15))), ctx);
  } else {
    // LMSW from memory (which Linux never uses), or bytes the VMM cannot read.
    TV_LOG_GUEST("guest CR0 write at rip %lx by %s is not emulated: #UD", vcpu.rip(), to_string(d.kind));
    return vcpu.inject_exception(Vector::UD);
  }
  if (w.fault != CrFault::None) {
    TV_LOG_GUEST("guest CR0 write at rip %lx refused (#GP): %s", vcpu.rip(), to_string(w.fault));
    return vcpu.inject_exception(Vector::GP, true, 0);
  }
  vcpu.set_cr0_and_efer(w.cr0, w.efer);
  if (w.flush_tlb) vcpu.flush_guest_tlb();
  vcpu.advance_rip(d.length);
}

}  // namespace tv
