#include "virt/vcpu.hpp"

namespace tv {

CpuMode Vcpu::cpu_mode() const {
  constexpr u64 kCr0Pe = 1;
  constexpr u64 kEferLma = 1ull << 10;
  constexpr u64 kRflagsVm = 1ull << 17;
  constexpr u16 kAttrL = 1u << 9, kAttrDb = 1u << 10;
  if ((cr0() & kCr0Pe) == 0 || (rflags() & kRflagsVm) != 0) return CpuMode::Real16;
  u16 attr = segment_cs().attributes;
  if ((guest_efer() & kEferLma) != 0 && (attr & kAttrL) != 0) return CpuMode::Long64;
  return (attr & kAttrDb) != 0 ? CpuMode::Prot32 : CpuMode::Prot16;
}

}  // namespace tv
