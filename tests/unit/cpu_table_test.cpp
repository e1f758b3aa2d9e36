// The VMM's CPU numbering (boot CPU first, then MADT order) and its per-CPU memory.
#include "tv/cpu_table.hpp"

#include <gtest/gtest.h>

namespace {
using namespace tv;
using namespace tv::smp;

TEST(CpuTable, ErrorNames) {
  EXPECT_STREQ(to_string(CpuTableError::Full), "too many CPUs");
  EXPECT_STREQ(to_string(CpuTableError::Duplicate), "duplicate APIC ID");
  EXPECT_STREQ(to_string(CpuTableError::BadApicId), "broadcast APIC ID");
  EXPECT_STREQ(to_string(static_cast<CpuTableError>(0)), "unknown");
}

TEST(CpuTable, StartsEmpty) {
  CpuTable t;
  EXPECT_EQ(t.count(), 0u);
  EXPECT_EQ(t.index_of(0), kMaxCpus);
  EXPECT_EQ(t.apic_id(0), 0xFFFFFFFFu);
}

// The boot CPU is index 0 whatever its APIC ID; the APs follow in the order they were added.
TEST(CpuTable, BootCpuFirstThenMadtOrder) {
  CpuTable t;
  const u32 ids[] = {2, 0, 1, 3, 0x100, 7};  // boot CPU 2, then the MADT's entries
  for (u32 i = 0; i < 6; ++i) {
    auto r = t.add(ids[i]);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, i);
  }
  EXPECT_EQ(t.count(), 6u);
  for (u32 i = 0; i < 6; ++i) {
    EXPECT_EQ(t.apic_id(i), ids[i]);
    EXPECT_EQ(t.index_of(ids[i]), i);
  }
  EXPECT_EQ(t.apic_id(6), 0xFFFFFFFFu);  // past the count
  EXPECT_EQ(t.apic_id(kMaxCpus), 0xFFFFFFFFu);
  EXPECT_EQ(t.apic_id(0xFFFFFFFFu), 0xFFFFFFFFu);
  EXPECT_EQ(t.index_of(4), kMaxCpus);
  EXPECT_EQ(t.index_of(0x1000100), kMaxCpus);  // all 32 bits compare
}

TEST(CpuTable, FullAtKMaxCpus) {
  CpuTable t;
  for (u32 i = 0; i < kMaxCpus; ++i) {
    auto r = t.add(i * 2);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, i);
  }
  auto r = t.add(1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), CpuTableError::Full);
  EXPECT_EQ(t.count(), kMaxCpus);
  EXPECT_EQ(t.index_of(1), kMaxCpus);
  EXPECT_EQ(t.index_of((kMaxCpus - 1) * 2), kMaxCpus - 1);
  auto d = t.add(0);  // a duplicate is still called a duplicate when full
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error(), CpuTableError::Duplicate);
}

TEST(CpuTable, DuplicatesRefused) {
  CpuTable t;
  ASSERT_TRUE(t.add(0).ok());
  ASSERT_TRUE(t.add(5).ok());
  for (u32 id : {0u, 5u}) {
    auto r = t.add(id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), CpuTableError::Duplicate);
  }
  EXPECT_EQ(t.count(), 2u);
  EXPECT_EQ(t.index_of(5), 1u);
  auto r = t.add(6);  // refusals leave no gap
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2u);
}

// 0xFF is refused even where it would be a valid x2APIC ID (see cpu_table.cpp).
TEST(CpuTable, BroadcastIdsRefused) {
  CpuTable t;
  for (u32 id : {0xFFu, 0xFFFFFFFFu}) {
    auto r = t.add(id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), CpuTableError::BadApicId);
  }
  EXPECT_EQ(t.count(), 0u);
  EXPECT_EQ(t.index_of(0xFF), kMaxCpus);
  for (u32 id : {0xFEu, 0x100u, 0x1FFu, 0xFFFFFFFEu}) {  // their neighbours are fine
    SCOPED_TRACE(id);
    EXPECT_TRUE(t.add(id).ok());
  }
  EXPECT_EQ(t.count(), 4u);
}

// The bar: 8 CPUs cost the VMM at most 16 MiB; the stacks and SVM pages stay far below.
TEST(CpuTable, PerCpuMemory) {
  EXPECT_EQ(per_cpu_stack_bytes(), kHostStackBytes + kIstStackBytes + kEntryStackBytes);
  for (usize s : {kHostStackBytes, kIstStackBytes, kEntryStackBytes}) {
    EXPECT_GT(s, 0u);
    EXPECT_EQ(s % 4096, 0u) << s;
  }
  constexpr usize kSvmPagesPerCpu = 3;  // VMCB, host save area, host VMCB
  constexpr usize eight_cpus = per_cpu_stack_bytes() * 8 + 8 * kSvmPagesPerCpu * kPageSize;
  static_assert(eight_cpus < 1 * MiB);
  EXPECT_LT(eight_cpus, 1 * MiB);
  EXPECT_LT(per_cpu_stack_bytes() * kMaxCpus + kMaxCpus * kSvmPagesPerCpu * kPageSize, 16 * MiB);
  static_assert(kMaxCpus >= 8);
}

}  // namespace
