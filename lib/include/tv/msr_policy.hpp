// What a guest sees of the MSRs the VMM intercepts (the rest pass through).
// The guest runs without SVM as far as it can tell (CPUID hides it), so:
// EFER.SVME reads as 0 and may not be set; VM_CR reads "SVM disabled, locked";
// VM_HSAVE_PA reads 0; writes to either raise #GP, as on a CPU without SVM;
// the SVM-Lock key raises #GP either way.
#pragma once
#include "tv/x86/msr.hpp"

namespace tv {

// The EFER bits this CPU implements, from CPUID (AMD APM vol.3 Appendix E:
// Fn8000_0001 EDX bits 11 SYSCALL, 20 NX, 25 FFXSR, 29 LM; ECX bit 17 TCE;
// Fn8000_0008 EBX bit 20 "EFER.LMSLE unsupported"). Writing any other bit
// raises #GP on the real CPU; letting one into the VMCB would make VMRUN fail.
// LMSLE is refused on every CPU: the guest sees a CPU without it.
u64 efer_supported_bits(u32 ext1_ecx, u32 ext1_edx, u32 ext8_ebx);

struct MsrRead {
  bool ok;  // false: inject #GP
  u64 value;
};
// guest_efer is EFER as the guest believes it (without SVME).
MsrRead guest_msr_read(u32 index, u64 guest_efer);

// The guest state a write is judged against.
struct MsrWriteContext {
  u64 guest_efer;      // current EFER as the guest sees it
  u64 cr0;             // current guest CR0
  u64 efer_supported;  // efer_supported_bits() of this CPU
};
// True if the guest may write value to the MSR (the caller applies it).
// EFER (AMD APM vol.2 §3.1.7, §14.6): no unsupported or reserved bit, no SVME,
// and LME may not change while paging is on.
bool guest_msr_write_allowed(u32 index, u64 value, const MsrWriteContext& ctx);

// MSR C001_0058h "MMIO Configuration Base Address" (AMD BKDG/PPR for families
// 10h-19h): where the northbridge decodes the PCIe ECAM window. Moving it
// would bring the IOMMU's hidden configuration page out at a new address, so
// while the VMM protects DMA only a write of the current value passes
// (current_known: the CPU let the VMM read it; an MSR the CPU lacks faults
// on the write anyway).
inline constexpr u32 kMmioConfigBaseMsr = 0xC0010058;
bool mmio_config_base_write_allowed(bool dma_protected, bool current_known, u64 current, u64 value);

}  // namespace tv
