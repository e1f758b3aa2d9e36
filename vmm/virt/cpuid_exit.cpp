// CPUID: the host's answer filtered by the policy in lib/ (hide SVM, announce
// the hypervisor and its signature at leaf 0x40000000).
#include "arch/x86/cpu.hpp"
#include "tv/cpuid_policy.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/instruction.hpp"

namespace tv {

void handle_cpuid(Vcpu& vcpu) {
  u32 leaf = u32(vcpu.gpr(Gpr::Rax));
  u32 subleaf = u32(vcpu.gpr(Gpr::Rcx));
  x86::CpuidResult h = x86::cpuid(leaf, subleaf);
  CpuidRegs r{h.eax, h.ebx, h.ecx, h.edx};
  if (!cpuid_leaf_unfiltered(leaf)) r = cpuid_for_guest(leaf, subleaf, r);
  vcpu.set_gpr(Gpr::Rax, r.eax);
  vcpu.set_gpr(Gpr::Rbx, r.ebx);
  vcpu.set_gpr(Gpr::Rcx, r.ecx);
  vcpu.set_gpr(Gpr::Rdx, r.edx);
  skip_instruction(vcpu, InsnKind::Cpuid, 2);
}

}  // namespace tv
