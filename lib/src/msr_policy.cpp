#include "tv/msr_policy.hpp"

namespace tv {

MsrRead guest_msr_read(u32 index, u64 guest_efer) {
  switch (index) {
    case x86::efer::kMsr: return {true, guest_efer & ~x86::efer::kSvme};
    case x86::vm_cr::kMsr: return {true, x86::vm_cr::kSvmDis | x86::vm_cr::kLock};
    case x86::kVmHsavePa: return {true, 0};
    default: return {false, 0};
  }
}

bool guest_msr_write_allowed(u32 index, u64 value) {
  if (index != x86::efer::kMsr) return false;  // VM_CR, VM_HSAVE_PA: no SVM here
  return (value & ~x86::efer::kDefined) == 0 && (value & x86::efer::kSvme) == 0;
}

}  // namespace tv
