// The guest's debug-register file: aliasing, fixed bits, GD, and that the
// hardware never gets the guest's breakpoints.
#include "tv/debug_regs.hpp"

#include <gtest/gtest.h>

namespace {
using namespace tv;
constexpr u64 kDr6 = 0xFFFF0FF0;

TEST(GuestDebugRegs, AddressRegistersReadBackWhatWasWritten) {
  GuestDebugRegs f;
  EXPECT_EQ(f.write(0, 0xFFFFFFFF81000000, false, true, kDr6), DrOutcome::Ok);
  EXPECT_EQ(f.write(3, 0x1234, false, true, kDr6), DrOutcome::Ok);
  EXPECT_EQ(f.read(0, false, kDr6).value, 0xFFFFFFFF81000000u);
  EXPECT_EQ(f.read(3, false, kDr6).value, 0x1234u);
  // Outside long mode only the low 32 bits exist.
  EXPECT_EQ(f.write(1, 0xAAAABBBBCCCCDDDD, false, false, kDr6), DrOutcome::Ok);
  EXPECT_EQ(f.read(1, false, kDr6).value, 0xCCCCDDDDu);
}

TEST(GuestDebugRegs, Dr4AndDr5AliasUnlessCr4De) {
  GuestDebugRegs f;
  EXPECT_EQ(f.write(5, 0x3, false, true, kDr6), DrOutcome::Ok);  // DR7
  EXPECT_EQ(f.dr7(), 0x403u);
  EXPECT_EQ(f.read(4, false, kDr6 | 1).value, kDr6 | 1);  // DR6
  EXPECT_EQ(f.read(4, true, kDr6).outcome, DrOutcome::Undefined);
  EXPECT_EQ(f.write(5, 0, true, true, kDr6), DrOutcome::Undefined);
  EXPECT_EQ(f.dr7(), 0x403u);
  EXPECT_EQ(f.read(8, false, kDr6).outcome, DrOutcome::Undefined);
  EXPECT_EQ(f.write(15, 0, false, true, kDr6), DrOutcome::Undefined);
}

TEST(GuestDebugRegs, FixedAndReservedBitsAreForced) {
  GuestDebugRegs f;
  EXPECT_EQ(f.write(7, 0xFFFFDFFF, false, true, kDr6), DrOutcome::Ok);  // all but GD
  EXPECT_EQ(f.dr7(), 0xFFFF07FFu);                                      // bits 11, 12, 14, 15 clear
  EXPECT_EQ(f.write(6, 0, false, true, kDr6), DrOutcome::Ok);
  EXPECT_EQ(f.dr6(), kDr6);
  EXPECT_EQ(f.read(6, false, 0x4000).value, kDr6 | 0x4000);  // BS kept
}

TEST(GuestDebugRegs, HighBitsOfDr6AndDr7RaiseGp) {
  GuestDebugRegs f;
  EXPECT_EQ(f.write(7, 1ull << 32, false, true, kDr6), DrOutcome::GpHighBits);
  EXPECT_EQ(f.write(6, 1ull << 40, false, true, kDr6), DrOutcome::GpHighBits);
  EXPECT_EQ(f.dr7(), 0x400u);
}

TEST(GuestDebugRegs, GeneralDetectFaultsOnceAndClearsGd) {
  GuestDebugRegs f;
  ASSERT_EQ(f.write(7, 0x2000 | 0x1, false, true, kDr6), DrOutcome::Ok);
  EXPECT_EQ(f.write(0, 0x1000, false, true, kDr6), DrOutcome::GeneralDetect);
  EXPECT_EQ(f.dr(0), 0u);  // the faulting write did not happen
  EXPECT_EQ(f.dr6() & 0x2000, 0x2000u);
  EXPECT_EQ(f.dr7(), 0x401u);
  EXPECT_EQ(f.write(0, 0x1000, false, true, kDr6), DrOutcome::Ok);  // the handler may now use them
  ASSERT_EQ(f.write(7, 0x2000, false, true, kDr6), DrOutcome::Ok);
  EXPECT_EQ(f.read(7, false, kDr6).outcome, DrOutcome::GeneralDetect);
}

TEST(GuestDebugRegs, GuestBreakpointsAreArmedUnlessTheyTouchTheVmm) {
  const Range vmm[1] = {{0x3E000000, 0x2000000}};
  GuestDebugRegs f;
  f.set_protected(vmm, 1);
  ASSERT_EQ(f.write(0, 0x401000, false, true, kDr6), DrOutcome::Ok);
  ASSERT_EQ(f.write(1, 0x3E001000, false, true, kDr6), DrOutcome::Ok);  // inside the VMM
  ASSERT_EQ(f.write(7, 0x000D000F, false, true, kDr6), DrOutcome::Ok);  // slots 0, 1: write, 4 bytes
  EXPECT_TRUE(f.breakpoints_enabled());
  EXPECT_EQ(f.read(7, false, kDr6).value, 0x000D040Fu);  // reads back what the guest wrote
  EXPECT_EQ(f.hardware_dr(0), 0x401000u);
  EXPECT_EQ(f.hardware_dr7(), 0x400u | 0x3u | 0xDu << 16);  // slot 1 not armed
  EXPECT_EQ(f.refused_guest_slots(), 0x2u);
}

TEST(GuestDebugRegs, IoBreakpointsWithoutDeAreNotArmed) {
  GuestDebugRegs f;
  ASSERT_EQ(f.write(7, 0x20003, false, true, kDr6), DrOutcome::Ok);  // slot 0: R/W = 10
  EXPECT_EQ(f.hardware_dr7(), 0x400u);
  ASSERT_EQ(f.write(7, 0x20003, true, true, kDr6), DrOutcome::Ok);
  EXPECT_EQ(f.hardware_dr7(), 0x20403u);
}

}  // namespace
