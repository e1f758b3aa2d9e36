// What a guest sees of the MSRs the VMM intercepts (the rest pass through).
// The guest runs without SVM as far as it can tell (CPUID hides it), so:
// EFER.SVME reads as 0 and may not be set; VM_CR reads "SVM disabled, locked";
// VM_HSAVE_PA reads 0; writes to either raise #GP, as on a CPU without SVM;
// the SVM-Lock key raises #GP either way.
#pragma once
#include "tv/x86/msr.hpp"

namespace tv {


struct MsrRead {
  bool ok;  // false: inject #GP
  u64 value;
};
// guest_efer is EFER as the guest believes it (without SVME).
MsrRead guest_msr_read(u32 index, u64 guest_efer);
// True if the guest may write value to the MSR (the caller applies it).
bool guest_msr_write_allowed(u32 index, u64 value);

}  // namespace tv
