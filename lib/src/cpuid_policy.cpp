// CPUID filtering for the guest (AMD APM vol.3 Appendix E; vol.2 §15.4 SVM feature leaf).
#include "tv/cpuid_policy.hpp"

namespace tv {
namespace {

// Fn0000_0001 ECX[31]: reserved for hypervisor use, set = "running under a hypervisor".
constexpr u32 kLeaf1EcxHypervisor = u32{1} << 31;
// Fn8000_0001 ECX[2]: SVM. We do not virtualise SVM, so the guest must not see it.
constexpr u32 kExtLeafEcxSvm = u32{1} << 2;
constexpr u32 kLeafExtFeatures = 0x80000001;
constexpr u32 kLeafSvmFeatures = 0x8000000A;
constexpr u32 kLeafAddressSizes = 0x80000008;
constexpr u32 kExt8EbxLmsleUnsupported = 1u << 20;
// The 0x400000xx range is the de-facto hypervisor range; leaves above our max are
// answered with zeros so that host/emulator values there never leak through.
constexpr u32 kHypervisorLeafLast = 0x400000FF;

// Four signature characters packed little-endian, as they appear in a register.
constexpr u32 sig4(usize at) {
  u32 v = 0;
  for (usize i = 0; i < 4; ++i) {
    v |= u32{static_cast<u8>(kHypervisorSignature[at + i])} << (8 * i);
  }
  return v;
}

}  // namespace

CpuidRegs cpuid_for_guest(u32 leaf, u32 subleaf, CpuidRegs host) {
  static_cast<void>(subleaf);  // no filtered leaf is subleaf-indexed (yet)
  CpuidRegs r = host;
  switch (leaf) {
    case 0x00000001: r.ecx |= kLeaf1EcxHypervisor; return r;
    case kLeafExtFeatures: r.ecx &= ~kExtLeafEcxSvm; return r;
    case kLeafSvmFeatures: return CpuidRegs{0, 0, 0, 0};
    // The VMM refuses EFER.LMSLE (msr_policy.cpp), so say so (AMD APM vol.3
    // Appendix E, Fn8000_0008 EBX bit 20 "EFER.LMSLE unsupported").
    case kLeafAddressSizes: r.ebx |= kExt8EbxLmsleUnsupported; return r;
    case kHypervisorLeafBase: return CpuidRegs{kHypervisorMaxLeaf, sig4(0), sig4(4), sig4(8)};
    case kHypervisorLeafBase + 1: return CpuidRegs{kHypervisorInterfaceVersion, 0, 0, 0};
    default: break;
  }
  if (leaf >= kHypervisorLeafBase && leaf <= kHypervisorLeafLast) return CpuidRegs{0, 0, 0, 0};
  return r;
}

}  // namespace tv
