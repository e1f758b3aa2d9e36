#include "virt/vcpu.hpp"

#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace tv {

CpuMode cpu_mode_of(const ExecContext& c) {
  if ((c.paging.cr0 & x86::cr0::kPe) == 0 || (c.rflags & x86::rflags::kVm) != 0) return CpuMode::Real16;
  u16 attr = c.cs.attributes;
  if ((c.paging.efer & x86::efer::kLma) != 0 && (attr & x86::seg_attr::kLong) != 0) return CpuMode::Long64;
  return (attr & x86::seg_attr::kDefaultBig) != 0 ? CpuMode::Prot32 : CpuMode::Prot16;
}

CpuMode Vcpu::cpu_mode() const {
  return cpu_mode_of(exec_context());
}

void Vcpu::complete_instruction(u64 next_rip) {
  set_rip(next_rip);
  clear_interrupt_shadow();
  if ((rflags() & x86::rflags::kTf) != 0) {
    set_dr6(dr6() | x86::dr6::kBs);
    inject_exception(Vector::DB);
  }
}

}  // namespace tv
