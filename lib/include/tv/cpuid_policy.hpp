// What the guest sees for CPUID: host values, minus nested SVM, plus a hypervisor
// leaf range at 0x40000000 (AMD APM vol.3 Appendix E; vol.2 §15.4 for leaf 8000_000A).
#pragma once
#include "tv/types.hpp"

namespace tv {

struct CpuidRegs {
  u32 eax, ebx, ecx, edx;
};

inline constexpr u32 kHypervisorLeafBase = 0x40000000;
inline constexpr char kHypervisorSignature[13] = "thinvisorVMM";  // 12 chars in EBX,ECX,EDX
inline constexpr u32 kHypervisorMaxLeaf = 0x40000001;
// Reported in 0x40000001.EAX; bump when the guest-visible hypercall ABI changes.
inline constexpr u32 kHypervisorInterfaceVersion = 1;

// Given the leaf/subleaf the guest asked for and the host's answer, return the guest's answer.
CpuidRegs cpuid_for_guest(u32 leaf, u32 subleaf, CpuidRegs host);
// True for the leaves cpuid_for_guest returns unchanged whatever the host says
// (a conservative test, for the exit path: every filtered leaf is 1 or at or
// above the hypervisor range).
inline bool cpuid_leaf_unfiltered(u32 leaf) {
  return leaf != 1 && leaf < kHypervisorLeafBase;
}

}  // namespace tv
