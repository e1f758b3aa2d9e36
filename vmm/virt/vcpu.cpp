#include "virt/vcpu.hpp"

#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace tv {

void Vcpu::complete_instruction(u64 next_rip) {
  set_rip(next_rip);
  clear_interrupt_shadow();
  if ((rflags() & x86::rflags::kTf) != 0) {
    set_dr6(dr6() | x86::dr6::kBs);
    inject_exception(Vector::DB);
  }
}

}  // namespace tv
