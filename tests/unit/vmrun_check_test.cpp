// The pre-VMRUN guest-state check: one test per illegal state, and the one
// repair the guest cannot see.
#include "tv/vmrun_check.hpp"

#include <gtest/gtest.h>

#include "tv/x86/msr.hpp"

namespace {
using namespace tv;
constexpr u64 kEfer = x86::efer::kSvme | x86::efer::kLme | x86::efer::kLma | x86::efer::kSce | x86::efer::kNxe;
constexpr VmrunState kLinux{0x80050033, 0x1000000, 0x3006F0, kEfer, 0xA9B, 0xFFFF0FF0, 0x400};
constexpr VmrunLimits kQemu{kEfer | x86::efer::kFfxsr, 0x3007FF, 40};

VmrunFault check_with(VmrunState s) {
  return check_vmrun_state(s, kQemu);
}

TEST(VmrunCheck, LinuxStateIsLegal) {
  EXPECT_EQ(check_with(kLinux), VmrunFault::None);
  EXPECT_TRUE(vmrun_state_plainly_legal(kLinux, kQemu));
}

TEST(VmrunCheck, EachIllegalStateIsNamed) {
  struct Case {
    u64 VmrunState::*field;
    u64 set;    // bits OR-ed in
    u64 clear;  // bits cleared
    VmrunFault want;
  };
  const Case cases[] = {
      {&VmrunState::efer, 0, x86::efer::kSvme, VmrunFault::EferSvmeClear},
      {&VmrunState::efer, x86::efer::kLmsle, 0, VmrunFault::EferReserved},
      {&VmrunState::cr0, 1ull << 29, 0, VmrunFault::Cr0NwWithoutCd},
      {&VmrunState::cr0, 3ull << 29, 0, VmrunFault::None},  // NW with CD is legal
      {&VmrunState::cr0, 1ull << 32, 0, VmrunFault::Cr0HighBits},
      {&VmrunState::cr3, 1ull << 40, 0, VmrunFault::Cr3HighBits},
      {&VmrunState::cr4, 1ull << 27, 0, VmrunFault::Cr4Reserved},
      {&VmrunState::dr6, 1ull << 32, 0, VmrunFault::Dr6HighBits},
      {&VmrunState::dr7, 1ull << 33, 0, VmrunFault::Dr7HighBits},
      {&VmrunState::cr4, 0, 0x20, VmrunFault::LongModeWithoutPae},
      {&VmrunState::cr0, 0, 1, VmrunFault::LongModeWithoutPe},
  };
  for (const Case& c : cases) {
    VmrunState s = kLinux;
    s.*c.field = (s.*c.field | c.set) & ~c.clear;
    EXPECT_EQ(check_with(s), c.want) << to_string(c.want);
    // The exit path's quick test must send every broken state to the full check.
    EXPECT_EQ(vmrun_state_plainly_legal(s, kQemu), c.want == VmrunFault::None) << to_string(c.want);
  }
  VmrunState s = kLinux;
  s.cs_attrib |= 0x400;
  EXPECT_EQ(check_with(s), VmrunFault::LongModeCsLAndD);
  EXPECT_FALSE(vmrun_state_plainly_legal(s, kQemu));  // repairable, but not plainly legal
}

// From a state the full quick test passed, whatever the guest does to CR3,
// CR4 and CS without an exit, the partial test agrees with the full one.
TEST(VmrunCheck, TheGuestWritablePartAgreesWhileTheRestIsUnchanged) {
  const VmrunState legal[] = {
      kLinux,
      {0x80050033, 0x1000000, 0x3006F0, kEfer, 0xC9B, 0xFFFF0FF0, 0x400},                        // compat mode
      {0x11, 0xFFFFF000, 0, x86::efer::kSvme, 0xC9B, 0xFFFF0FF0, 0x400},                         // protected, no paging
      {0x80000011, 0x2000, 0x10, x86::efer::kSvme | x86::efer::kNxe, 0x49B, 0xFFFF4FF1, 0x401},  // 32-bit paging
  };
  const u64 cr3s[] = {0, 0x1000, 0xFFFFF000, 1ull << 39, 1ull << 40, 1ull << 51, ~0ull};
  const u64 cr4s[] = {0, 0x20, 0x6F0, 0x3006F0, 1ull << 12, 1ull << 27, 1ull << 32, 0x3006D0};
  const u16 attribs[] = {0xA9B, 0xC9B, 0xE9B, 0x29B, 0x89B, 0x49B, 0x600};
  int disagreements = 0, illegal = 0;
  for (const VmrunState& base : legal) {
    ASSERT_TRUE(vmrun_state_plainly_legal(base, kQemu));
    for (u64 cr3 : cr3s)
      for (u64 cr4 : cr4s)
        for (u16 attrib : attribs) {
          VmrunState s = base;
          s.cr3 = cr3;
          s.cr4 = cr4;
          s.cs_attrib = attrib;
          const bool full = vmrun_state_plainly_legal(s, kQemu);
          illegal += full ? 0 : 1;
          disagreements += vmrun_guest_writable_state_plainly_legal(s, kQemu) != full ? 1 : 0;
        }
  }
  EXPECT_EQ(disagreements, 0);
  EXPECT_GT(illegal, 0);
}

TEST(VmrunCheck, HighCr3BitsMatterOnlyInLongMode) {
  VmrunState s{0x11, 0xFFFFF000, 0, x86::efer::kSvme, 0xC9B, 0xFFFF0FF0, 0x400};
  EXPECT_EQ(check_vmrun_state(s, VmrunLimits{kQemu.efer_allowed, kQemu.cr4_allowed, 32}), VmrunFault::None);
}

TEST(VmrunCheck, Cr4BitsFollowCpuid) {
  EXPECT_EQ(cr4_supported_bits(0, 0, 0), 0x7FFu);
  EXPECT_EQ(cr4_supported_bits(1u << 26, 0, 0), 0x7FFu | (1u << 18));                // OSXSAVE
  EXPECT_EQ(cr4_supported_bits(0, (1u << 7) | (1u << 20), 0), 0x7FFu | (3u << 20));  // SMEP SMAP
  EXPECT_EQ(cr4_supported_bits(0, 0, 1u << 16), 0x7FFu | (1u << 12));                // LA57
  EXPECT_EQ(cr4_supported_bits(~0u, ~0u, ~0u), 0x1F71FFFu);
}

TEST(VmrunCheck, RepairClearsCsDOnlyFor64BitCode) {
  VmrunState s = kLinux;
  s.cs_attrib |= 0x400;
  EXPECT_TRUE(repair_invisible(s));
  EXPECT_EQ(s.cs_attrib, 0xA9B);
  EXPECT_EQ(check_with(s), VmrunFault::None);
  EXPECT_FALSE(repair_invisible(s));
  // 32-bit code (L=0): D is meaningful, leave it.
  VmrunState compat = kLinux;
  compat.cs_attrib = 0xC9B;
  EXPECT_FALSE(repair_invisible(compat));
  EXPECT_EQ(compat.cs_attrib, 0xC9B);
  // Paging off: not 64-bit mode, leave it.
  VmrunState nopg{0x11, 0, 0x20, kEfer & ~x86::efer::kLma, 0xE9B, 0xFFFF0FF0, 0x400};
  EXPECT_FALSE(repair_invisible(nopg));
}

}  // namespace
