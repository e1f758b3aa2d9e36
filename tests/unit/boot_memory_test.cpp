#include "tv/boot_memory.hpp"

#include <gtest/gtest.h>

using namespace tv;

namespace {
// QEMU's map for 1 GiB of RAM.
const MemRegion kQemu[] = {
    {0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2}, {0x100000, 0x3fee0000, 1}, {0xfffc0000, 0x40000, 2}};
constexpr Range kVmm{0x200000, 0x400000};
}  // namespace

TEST(BootMemory, AcceptsTheVmmRegionInsideRam) {
  Range mods[] = {{0x600000, 0x800000}, {0xe00000, 0x100000}};
  usize bad = 99;
  EXPECT_TRUE(check_vmm_reservation(kQemu, 5, kVmm, mods, 2, bad).ok());
}

TEST(BootMemory, RefusesRegionsThatAreNotRam) {
  const MemRegion small[] = {{0, 0x9fc00, 1}, {0x100000, 0x300000, 1}};  // RAM ends at 4 MiB
  usize bad = 0;
  EXPECT_EQ(check_vmm_reservation(small, 2, kVmm, nullptr, 0, bad).error(), ReservationError::NotRam);
  const MemRegion reserved[] = {{0x100000, 0x3fee0000, 2}};
  EXPECT_EQ(check_vmm_reservation(reserved, 1, kVmm, nullptr, 0, bad).error(), ReservationError::NotRam);
}

TEST(BootMemory, RefusesAModuleInsideTheRegion) {
  Range mods[] = {{0x600000, 0x1000}, {0x5ff000, 0x2000}};
  usize bad = 99;
  EXPECT_EQ(check_vmm_reservation(kQemu, 5, kVmm, mods, 2, bad).error(), ReservationError::ModuleInside);
  EXPECT_EQ(bad, 1u);
}

TEST(BootMemory, RefusesAMisalignedRegion) {
  usize bad = 0;
  EXPECT_EQ(check_vmm_reservation(kQemu, 5, {0x201000, 0x400000}, nullptr, 0, bad).error(),
            ReservationError::Misaligned);
  EXPECT_EQ(check_vmm_reservation(kQemu, 5, {0x200000, 0x3ff000}, nullptr, 0, bad).error(),
            ReservationError::Misaligned);
}

TEST(BootMemory, RamTopIsTheEndOfTheHighestUsableRegionCapped) {
  EXPECT_EQ(usable_ram_top(kQemu, 5, 64 * GiB), 0x3ffe0000u);
  const MemRegion big[] = {{0x100000000, 0x2000000000, 1}};  // 128 GiB above 4 GiB
  EXPECT_EQ(usable_ram_top(big, 1, 64 * GiB), 64 * GiB);
  EXPECT_EQ(usable_ram_top(nullptr, 0, 64 * GiB), 0u);
}
