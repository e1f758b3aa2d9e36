// The MSRs the VMM intercepts (everything else passes through): EFER, whose
// SVME bit the guest must neither see nor clear, and the SVM control MSRs,
// which a guest without SVM must not reach.
#include "arch/x86/msr.hpp"
#include "kernel/log.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"

namespace tv {
namespace {

bool read_msr(Vcpu& vcpu, u32 msr, u64& value) {
  switch (msr) {
    case x86::efer::kMsr: value = vcpu.guest_efer(); return true;
    case x86::vm_cr::kMsr: value = x86::vm_cr::kSvmDis | x86::vm_cr::kLock; return true;  // "SVM disabled"
    case x86::kVmHsavePa: value = 0; return true;
    default: return false;
  }
}

bool write_msr(Vcpu& vcpu, u32 msr, u64 value) {
  switch (msr) {
    case x86::efer::kMsr:
      // Reserved bits and SVME (which the guest cannot have: CPUID hides SVM) raise #GP.
      if ((value & ~x86::efer::kGuestWritable) != 0 || (value & x86::efer::kSvme) != 0) return false;
      vcpu.set_guest_efer(value);
      return true;
    default:  // VM_CR, VM_HSAVE_PA and anything unexpected
      return false;
  }
}

}  // namespace

void handle_msr(Vcpu& vcpu, bool write) {
  u32 msr = u32(vcpu.gpr(Gpr::Rcx));
  if (write) {
    u64 value = (vcpu.gpr(Gpr::Rdx) << 32) | u32(vcpu.gpr(Gpr::Rax));
    if (!write_msr(vcpu, msr, value)) {
      TV_LOG("guest wrmsr %x <- %lx refused (#GP)", msr, value);
      return vcpu.inject_exception(Vector::GP, true, 0);
    }
    return skip_instruction(vcpu, InsnKind::Wrmsr, 2);
  }
  u64 value = 0;
  if (!read_msr(vcpu, msr, value)) {
    TV_LOG("guest rdmsr %x refused (#GP)", msr);
    return vcpu.inject_exception(Vector::GP, true, 0);
  }
  vcpu.set_gpr(Gpr::Rax, u32(value));
  vcpu.set_gpr(Gpr::Rdx, value >> 32);
  skip_instruction(vcpu, InsnKind::Rdmsr, 2);
}

}  // namespace tv
