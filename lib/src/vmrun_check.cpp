#include "tv/vmrun_check.hpp"

#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace tv {
namespace {

bool long_mode_enabled_with_paging(const VmrunState& s) {
  return (s.efer & x86::efer::kLme) != 0 && (s.cr0 & x86::cr0::kPg) != 0;
}

}  // namespace

const char* to_string(VmrunFault f) {
  switch (f) {
    case VmrunFault::None: return "none";
    case VmrunFault::EferSvmeClear: return "EFER.SVME clear";
    case VmrunFault::EferReserved: return "EFER bit VMRUN does not accept";
    case VmrunFault::Cr0NwWithoutCd: return "CR0.NW set with CR0.CD clear";
    case VmrunFault::Cr0HighBits: return "CR0 bits 63:32 set";
    case VmrunFault::Cr3HighBits: return "CR3 bits above the physical address width set";
    case VmrunFault::Cr4Reserved: return "CR4 reserved bit set";
    case VmrunFault::Dr6HighBits: return "DR6 bits 63:32 set";
    case VmrunFault::Dr7HighBits: return "DR7 bits 63:32 set";
    case VmrunFault::LongModeWithoutPae: return "EFER.LME and CR0.PG set with CR4.PAE clear";
    case VmrunFault::LongModeWithoutPe: return "EFER.LME and CR0.PG set with CR0.PE clear";
    case VmrunFault::LongModeCsLAndD: return "64-bit code segment with CS.L and CS.D both set";
  }
  return "?";
}

u64 cr4_supported_bits(u32 leaf1_ecx, u32 leaf7_ebx, u32 leaf7_ecx) {
  struct Feature {
    u32 leaf_reg;  // 0: leaf 1 ECX, 1: leaf 7 EBX, 2: leaf 7 ECX
    u8 cpuid_bit;
    u8 cr4_bit;
  };
  constexpr Feature kFeatures[] = {{0, 17, 17}, {0, 26, 18}, {1, 0, 16}, {1, 7, 20},  {1, 20, 21},
                                   {2, 2, 11},  {2, 3, 22},  {2, 7, 23}, {2, 16, 12}, {2, 31, 24}};
  const u32 regs[3] = {leaf1_ecx, leaf7_ebx, leaf7_ecx};
  u64 bits = 0x7FF;  // VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT
  for (const Feature& f : kFeatures)
    if ((regs[f.leaf_reg] >> f.cpuid_bit) & 1) bits |= 1ull << f.cr4_bit;
  return bits;
}

bool repair_invisible(VmrunState& s) {
  constexpr u16 kLAndD = x86::seg_attr::kLong | x86::seg_attr::kDefaultBig;
  if ((s.cs_attrib & kLAndD) != kLAndD) return false;
  if (!long_mode_enabled_with_paging(s) || (s.cr4 & x86::cr4::kPae) == 0) return false;
  s.cs_attrib &= u16(~x86::seg_attr::kDefaultBig);
  return true;
}

VmrunFault check_vmrun_state(const VmrunState& s, const VmrunLimits& limits) {
  if ((s.efer & x86::efer::kSvme) == 0) return VmrunFault::EferSvmeClear;
  if ((s.efer & ~limits.efer_allowed) != 0) return VmrunFault::EferReserved;
  if ((s.cr0 & x86::cr0::kNw) != 0 && (s.cr0 & x86::cr0::kCd) == 0) return VmrunFault::Cr0NwWithoutCd;
  if ((s.cr0 >> 32) != 0) return VmrunFault::Cr0HighBits;
  if (long_mode_enabled_with_paging(s) && limits.phys_bits < 64 && (s.cr3 >> limits.phys_bits) != 0)
    return VmrunFault::Cr3HighBits;
  if ((s.cr4 & ~limits.cr4_allowed) != 0) return VmrunFault::Cr4Reserved;
  if ((s.dr6 >> 32) != 0) return VmrunFault::Dr6HighBits;
  if ((s.dr7 >> 32) != 0) return VmrunFault::Dr7HighBits;
  if (long_mode_enabled_with_paging(s)) {
    if ((s.cr4 & x86::cr4::kPae) == 0) return VmrunFault::LongModeWithoutPae;
    if ((s.cr0 & x86::cr0::kPe) == 0) return VmrunFault::LongModeWithoutPe;
    constexpr u16 kLAndD = x86::seg_attr::kLong | x86::seg_attr::kDefaultBig;
    if ((s.cs_attrib & kLAndD) == kLAndD) return VmrunFault::LongModeCsLAndD;
  }
  return VmrunFault::None;
}

}  // namespace tv
