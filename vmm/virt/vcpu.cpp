#include "virt/vcpu.hpp"

#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace tv {

void Vcpu::single_step_trap() {
  set_dr6(dr6() | x86::dr6::kBs);
  inject_exception(Vector::DB);
}

}  // namespace tv
