// Where the VMM moves itself, how much it reserves, and how it patches itself.
#include "tv/vmm_placement.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tv/cpu_table.hpp"
#include "tv/relocation.hpp"

using namespace tv;

namespace {
// QEMU's map for 1 GiB of RAM.
const MemRegion kQemu1G[] = {
    {0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2}, {0x100000, 0x3fee0000, 1}, {0xfffc0000, 0x40000, 2}};
// QEMU's map for 6 GiB: RAM below the 32-bit hole ends at 3 GiB, the rest is above 4 GiB.
const MemRegion kQemu6G[] = {
    {0, 0x9fc00, 1}, {0x100000, 0xbfee0000, 1}, {0xfffc0000, 0x40000, 2}, {0x100000000, 0xc0000000, 1}};
}  // namespace

TEST(VmmPlacement, GoesToTheTopOfRamBelow4GiB) {
  auto b = choose_vmm_base(kQemu1G, 5, 4 * MiB, nullptr, 0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 0x3fa00000ull);  // RAM ends at 0x3ffe0000: the highest 2 MiB-aligned 4 MiB below it
  EXPECT_EQ(*b % (2 * MiB), 0u);
  EXPECT_LE(*b + 4 * MiB, 0x3ffe0000ull);
}

TEST(VmmPlacement, NeverAbove4GiBEvenWhenRamIsThere) {
  auto b = choose_vmm_base(kQemu6G, 4, 4 * MiB, nullptr, 0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 0xbfa00000ull);
  EXPECT_LT(*b + 4 * MiB, 4 * GiB);
}

TEST(VmmPlacement, StepsBelowModulesAndTheLoadedImage) {
  // A module in the top 4 MiB, and another just below it.
  Range avoid[] = {{0x3fc00000, 0x100000}, {0x3f900000, 0x10000}, {0x200000, 0x80000}};
  auto b = choose_vmm_base(kQemu1G, 5, 4 * MiB, avoid, 3);
  ASSERT_TRUE(b.ok());
  EXPECT_LE(*b + 4 * MiB, 0x3f900000ull);
  for (const Range& r : avoid) EXPECT_FALSE((Range{*b, 4 * MiB}).overlaps(r));
}

TEST(VmmPlacement, ReportsNoRoom) {
  const MemRegion tiny[] = {{0, 0x9fc00, 1}, {0x100000, 0x200000, 1}};  // 3 MiB of RAM
  EXPECT_EQ(choose_vmm_base(tiny, 2, 4 * MiB, nullptr, 0).error(), PlacementError::NoRoom);
  const MemRegion reserved[] = {{0x100000, 0x3fee0000, 2}};
  EXPECT_EQ(choose_vmm_base(reserved, 1, 4 * MiB, nullptr, 0).error(), PlacementError::NoRoom);
  Range all[] = {{0, 4 * GiB}};
  EXPECT_EQ(choose_vmm_base(kQemu1G, 5, 4 * MiB, all, 1).error(), PlacementError::NoRoom);
}

TEST(VmmPlacement, PoolPlanWithGibPagesIsSmall) {
  auto p = plan_pool({40, true, 1 * GiB, 400 * KiB});
  ASSERT_TRUE(p.ok());
  EXPECT_LT(p->npt_table_bytes, 128 * KiB);
  EXPECT_EQ(p->direct_map_bytes, 0u);
  EXPECT_EQ(p->reservation_bytes % (2 * MiB), 0u);
  // 4 MiB for one CPU; room for up to smp::kMaxCpus CPUs' stacks and SVM pages
  // takes one more 2 MiB page, DMA protection's tables (issue 13) one more.
  EXPECT_EQ(p->cpu_bytes, u64(smp::kMaxCpus) * (smp::kHostStackBytes + 3 * kPageSize));
  EXPECT_EQ(p->iommu_bytes, kIommuPoolBytes);
  EXPECT_GE(p->iommu_bytes, 2 * MiB);  // the device table alone: 65536 x 32 bytes
  EXPECT_LE(p->reservation_bytes, 8 * MiB);
}

TEST(VmmPlacement, PoolPlanLeavesRoomForProtectionDomains) {
  for (bool gib : {true, false}) {
    auto p = plan_pool({40, gib, 6 * GiB, 400 * KiB});
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->domain_bytes, kDomainPoolBytes);
    EXPECT_EQ(p->pool_bytes, p->npt_table_bytes + p->direct_map_bytes + p->fixed_bytes + p->cpu_bytes +
                                 p->domain_bytes + p->log_bytes + p->iommu_bytes);
    // What start-up takes is bounded by the rest of the plan, so the domains' share stays free.
    EXPECT_GE(p->reservation_bytes - 400 * KiB -
                  (p->npt_table_bytes + p->direct_map_bytes + p->fixed_bytes + p->cpu_bytes + p->iommu_bytes),
              2 * MiB);
  }
}

TEST(VmmPlacement, PoolPlanAddsALargeLogRingOnTopOfTheDomainsShare) {
  auto base = plan_pool({40, true, 1 * GiB, 400 * KiB});
  auto big = plan_pool({40, true, 1 * GiB, 400 * KiB, 1 * MiB});
  ASSERT_TRUE(base.ok() && big.ok());
  EXPECT_EQ(base->log_bytes, 0u);
  EXPECT_EQ(big->log_bytes, 1 * MiB);
  EXPECT_EQ(big->pool_bytes, base->pool_bytes + 1 * MiB);
  EXPECT_EQ(big->domain_bytes, kDomainPoolBytes);
  EXPECT_LE(big->reservation_bytes, 10 * MiB);
}

TEST(VmmPlacement, PoolPlanWithout1GibPagesCoversTheWholeSpaceAndStaysBounded) {
  auto p = plan_pool({40, false, 1 * GiB, 400 * KiB});
  ASSERT_TRUE(p.ok());
  EXPECT_GE(p->npt_table_bytes, 1024 * kPageSize);  // one page directory per GiB of the 1 TiB space
  EXPECT_LE(p->reservation_bytes, kMaxVmmReservation);
  // 44 bits without 1 GiB pages would need 64 MiB of tables: refused, not silently capped.
  EXPECT_EQ(plan_pool({44, false, 1 * GiB, 400 * KiB}).error(), PlacementError::TooLarge);
  // With 1 GiB pages even 48 bits (and a claimed 52, capped to what 4-level nested paging reaches) fit.
  EXPECT_TRUE(plan_pool({48, true, 1 * GiB, 400 * KiB}).ok());
  EXPECT_EQ(plan_pool({52, true, 1 * GiB, 400 * KiB})->npt_table_bytes,
            plan_pool({48, true, 1 * GiB, 400 * KiB})->npt_table_bytes);
}

TEST(VmmPlacement, PoolPlanCountsTheDirectMapAbove4GiB) {
  auto p = plan_pool({40, true, 6 * GiB, 400 * KiB});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->direct_map_bytes, 2 * kPageSize);
}

TEST(Relocation, PatchesEveryRelativeWordForTheNewBase) {
  constexpr u64 kLink = 0x200000, kNew = 0x3fa00000;
  std::vector<u8> img(64, 0);
  u64 a = kLink + 0x10, b = kLink + 0x38;
  std::memcpy(&img[0], &a, 8);
  std::memcpy(&img[24], &b, 8);
  Elf64Rela r[] = {{kLink + 0, kRelocX86Relative, i64(kLink + 0x10)},
                   {kLink + 24, kRelocX86Relative, i64(kLink + 0x38)}};
  ASSERT_TRUE(apply_relative_relocations(img.data(), img.size(), kLink, kNew, r, 2).ok());
  u64 v0, v1;
  std::memcpy(&v0, &img[0], 8);
  std::memcpy(&v1, &img[24], 8);
  EXPECT_EQ(v0, kNew + 0x10);
  EXPECT_EQ(v1, kNew + 0x38);
}

TEST(Relocation, RefusesForeignTypesAndOutOfImageEntriesWithoutTouchingTheCopy) {
  constexpr u64 kLink = 0x200000;
  std::vector<u8> img(64, 0xAB);
  Elf64Rela bad_type[] = {{kLink, kRelocX86Relative, 0}, {kLink + 8, 1 /* R_X86_64_64 */, 0}};
  EXPECT_EQ(apply_relative_relocations(img.data(), 64, kLink, 0x400000, bad_type, 2).error(),
            RelocError::UnsupportedType);
  Elf64Rela outside[] = {{kLink, kRelocX86Relative, 0}, {kLink + 60, kRelocX86Relative, 0}};  // 8 bytes at 60 > 64
  EXPECT_EQ(apply_relative_relocations(img.data(), 64, kLink, 0x400000, outside, 2).error(), RelocError::OutsideImage);
  Elf64Rela below[] = {{kLink - 8, kRelocX86Relative, 0}};
  EXPECT_EQ(apply_relative_relocations(img.data(), 64, kLink, 0x400000, below, 1).error(), RelocError::OutsideImage);
  for (u8 byte : img) EXPECT_EQ(byte, 0xAB);
}
