// CR0 writes the VMM emulates: each architectural #GP rule and the LMA update.
#include "tv/cr_write.hpp"

#include <gtest/gtest.h>

#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace {
using namespace tv;
constexpr u64 kLinuxCr0 = 0x80050033;  // PG WP NE ET MP PE
constexpr u64 kLongEfer = x86::efer::kLme | x86::efer::kLma | x86::efer::kSce | x86::efer::kNxe;
const CrContext kLong64{kLinuxCr0, x86::cr4::kPae, kLongEfer, true};

TEST(CrWrite, OrdinaryWriteIsApplied) {
  CrWrite w = mov_to_cr0(kLinuxCr0 | x86::cr0::kTs, kLong64);
  EXPECT_EQ(w.fault, CrFault::None);
  EXPECT_EQ(w.cr0, kLinuxCr0 | x86::cr0::kTs);
  EXPECT_EQ(w.efer, kLongEfer);
  EXPECT_FALSE(w.flush_tlb);
}

TEST(CrWrite, HardwareRefusalsBecomeFaults) {
  EXPECT_EQ(mov_to_cr0(kLinuxCr0 | x86::cr0::kNw, kLong64).fault, CrFault::NwWithoutCd);
  EXPECT_EQ(mov_to_cr0(kLinuxCr0 | x86::cr0::kNw | x86::cr0::kCd, kLong64).fault, CrFault::None);
  EXPECT_EQ(mov_to_cr0(kLinuxCr0 | (1ull << 32), kLong64).fault, CrFault::HighBits);
  EXPECT_EQ(mov_to_cr0(kLinuxCr0 | (1ull << 63), kLong64).fault, CrFault::HighBits);
  EXPECT_EQ(mov_to_cr0(kLinuxCr0 & ~x86::cr0::kPe, kLong64).fault, CrFault::PagingWithoutPe);
  EXPECT_EQ(mov_to_cr0(kLinuxCr0 & ~x86::cr0::kPg, kLong64).fault, CrFault::PagingOffIn64Bit);
}

TEST(CrWrite, AFaultLeavesEverythingAsItWas) {
  CrWrite w = mov_to_cr0(kLinuxCr0 | x86::cr0::kNw, kLong64);
  EXPECT_EQ(w.cr0, kLong64.cr0);
  EXPECT_EQ(w.efer, kLong64.efer);
}

TEST(CrWrite, ActivatingLongModeSetsLmaAndChecksPaeAndCsL) {
  const CrContext legacy{0x11, x86::cr4::kPae, x86::efer::kLme, false};
  CrWrite w = mov_to_cr0(0x80000011, legacy);
  EXPECT_EQ(w.fault, CrFault::None);
  EXPECT_EQ(w.efer, x86::efer::kLme | x86::efer::kLma);
  EXPECT_TRUE(w.flush_tlb);
  EXPECT_EQ(mov_to_cr0(0x80000011, CrContext{0x11, 0, x86::efer::kLme, false}).fault, CrFault::LongModeNeedsPae);
  EXPECT_EQ(mov_to_cr0(0x80000011, CrContext{0x11, x86::cr4::kPae, x86::efer::kLme, true}).fault,
            CrFault::LongModeFromCsL);
  // Paging on without LME: legacy paging, no LMA.
  EXPECT_EQ(mov_to_cr0(0x80000011, CrContext{0x11, 0, 0, false}).efer, 0u);
}

TEST(CrWrite, LeavingLongModeFromCompatibilityModeClearsLma) {
  CrWrite w = mov_to_cr0(0x11, CrContext{0x80000011, x86::cr4::kPae, x86::efer::kLme | x86::efer::kLma, false});
  EXPECT_EQ(w.fault, CrFault::None);
  EXPECT_EQ(w.efer, x86::efer::kLme);
}

TEST(CrWrite, EtReadsAsOne) {
  EXPECT_EQ(mov_to_cr0(0x1, CrContext{0x11, 0, 0, false}).cr0, 0x11u);
}

TEST(CrWrite, LmswCannotClearPeAndTouchesOnlyTheLowFourBits) {
  const CrContext prot{0x11 | x86::cr0::kWp, 0, 0, false};
  EXPECT_EQ(lmsw(0xFFF0, prot).cr0, prot.cr0);                       // PE stays, high MSW bits ignored
  EXPECT_EQ(lmsw(0x000E, prot).cr0, prot.cr0 | 0xE);                 // MP EM TS set
  EXPECT_EQ(lmsw(0x0001, CrContext{0x10, 0, 0, false}).cr0, 0x11u);  // PE can be set
}

TEST(CrWrite, CltsClearsTs) {
  CrWrite w = clts(CrContext{kLinuxCr0 | x86::cr0::kTs, x86::cr4::kPae, kLongEfer, true});
  EXPECT_EQ(w.fault, CrFault::None);
  EXPECT_EQ(w.cr0, kLinuxCr0);
}

}  // namespace
