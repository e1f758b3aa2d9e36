#include "tv/msr_policy.hpp"

#include "tv/x86/control_regs.hpp"

namespace tv {

u64 efer_supported_bits(u32 ext1_ecx, u32 ext1_edx, u32 ext8_ebx) {
  u64 bits = x86::efer::kLma;  // read-only, but a guest writes back what it read
  if (ext1_edx & (1u << 11)) bits |= x86::efer::kSce;
  if (ext1_edx & (1u << 20)) bits |= x86::efer::kNxe;
  if (ext1_edx & (1u << 25)) bits |= x86::efer::kFfxsr;
  if (ext1_edx & (1u << 29)) bits |= x86::efer::kLme;
  // LMSLE is never offered, whatever Fn8000_0008 EBX[20] says: QEMU's VMRUN
  // rejects it (so letting it through ends the run), AMD dropped it from Zen 3
  // on, and the guest's CPUID says it is absent (cpuid_policy.cpp).
  static_cast<void>(ext8_ebx);
  if (ext1_ecx & (1u << 17)) bits |= x86::efer::kTce;
  return bits;
}

MsrRead guest_msr_read(u32 index, u64 guest_efer) {
  switch (index) {
    case x86::efer::kMsr: return {true, guest_efer & ~x86::efer::kSvme};
    case x86::vm_cr::kMsr: return {true, x86::vm_cr::kSvmDis | x86::vm_cr::kLock};
    case x86::kVmHsavePa: return {true, 0};
    default: return {false, 0};
  }
}

bool guest_msr_write_allowed(u32 index, u64 value, const MsrWriteContext& ctx) {
  if (index != x86::efer::kMsr) return false;  // VM_CR, VM_HSAVE_PA, the SVM key: no SVM here
  u64 allowed = ctx.efer_supported & ~x86::efer::kSvme;
  if ((value & ~allowed) != 0) return false;
  bool paging = (ctx.cr0 & x86::cr0::kPg) != 0;
  if (paging && ((value ^ ctx.guest_efer) & x86::efer::kLme) != 0) return false;
  return true;
}

bool mmio_config_base_write_allowed(bool dma_protected, bool current_known, u64 current, u64 value) {
  if (!dma_protected) return true;
  return current_known && value == current;
}

}  // namespace tv
