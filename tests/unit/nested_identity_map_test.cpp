// The nested identity map: the whole guest-physical space, built once, with
// the VMM's memory hidden and the interrupt windows write-protected.
#include "tv/nested_identity_map.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>

namespace {
using namespace tv;

class FakeTables : public TableMemory {
 public:
  Result<u64, PtError> alloc_table() override {
    u64 phys = next_;
    next_ += 4096;
    pages_[phys] = std::make_unique<u64[]>(512);
    for (int i = 0; i < 512; ++i) pages_[phys][i] = 0;
    return phys;
  }
  u64* table_at(u64 phys) override { return pages_.at(phys).get(); }
  size_t count() const { return pages_.size(); }

 private:
  u64 next_ = 0x7000000000;
  std::map<u64, std::unique_ptr<u64[]>> pages_;
};

constexpr u64 kFlags = pte::kPresent | pte::kWritable | pte::kUser;
constexpr Range kVmm{0x3f800000, 0x400000};
constexpr Range kApic{0xFEE00000, 0x100000};
constexpr Range kIoApic{0xFEC00000, 0x1000};
constexpr u64 kScratch = 0x3f848000;

struct Built {
  FakeTables mem;
  u64 root = *mem.alloc_table();
  PageTableBuilder b{mem, root, kFlags};
  NestedMapStats stats{};
  explicit Built(bool gib_pages, u8 bits = 40) {
    NestedMapSpec s{bits, gib_pages, kFlags, {kVmm}, 1, kScratch, {kApic, kIoApic}, 2};
    auto r = build_nested_identity_map(b, mem, s);
    EXPECT_TRUE(r.ok());
    if (r) stats = *r;
  }
  // Translates gpa through the tables: {host-physical, writable}; {~0, false} if unmapped.
  std::pair<u64, bool> translate(u64 gpa) {
    u64 e = b.lookup(gpa);
    if (e == 0) return {~0ull, false};
    u64 size = 4096;
    if (e & pte::kLargePage) size = is_gib(gpa) ? GiB : 2 * MiB;
    return {(e & pte::kAddrMask & ~(size - 1)) + (gpa & (size - 1)), (e & pte::kWritable) != 0};
  }
  bool is_gib(u64 gpa) {
    // a 1 GiB leaf sits in the PDPT: walk two levels by hand
    u64* pml4 = mem.table_at(root);
    u64 pdpte = mem.table_at(pml4[(gpa >> 39) & 511] & pte::kAddrMask)[(gpa >> 30) & 511];
    return (pdpte & pte::kLargePage) != 0;
  }
};
}  // namespace

TEST(NestedIdentityMap, CoversTheWholeSpaceWithGibPages) {
  Built m(true);
  for (u64 gpa : {0x0ull, 0x1000ull, 0x40000000ull, 0x123456789ull, 0xFD00000000ull, (1ull << 40) - 8})
    EXPECT_EQ(m.translate(gpa).first, gpa) << std::hex << gpa;
  EXPECT_EQ(m.translate(1ull << 40).first, ~0ull);  // beyond the CPU's physical address space
  // 1 TiB = 1024 GiB: all but the two special GiBs as 1 GiB leaves, in a handful of tables.
  EXPECT_EQ(m.stats.gib_leaves, 1022u);
  EXPECT_LT(m.mem.count(), 16u);
}

TEST(NestedIdentityMap, CoversTheWholeSpaceWith2MiBPagesWhenThereAreNoGibPages) {
  Built m(false);
  for (u64 gpa : {0x0ull, 0x40000000ull, 0x123456789ull, 0xFD00000000ull, (1ull << 40) - 8})
    EXPECT_EQ(m.translate(gpa).first, gpa) << std::hex << gpa;
  EXPECT_EQ(m.stats.gib_leaves, 0u);
  EXPECT_GE(m.mem.count(), 1024u);  // one page directory per GiB: the bound plan_pool() reserves for
}

TEST(NestedIdentityMap, HidesEveryPageOfTheVmmBehindTheScratchPage) {
  Built m(true);
  for (u64 gpa = kVmm.base; gpa < kVmm.end(); gpa += 0x1000) {
    auto t = m.translate(gpa + 0x123);
    ASSERT_EQ(t.first, kScratch + 0x123) << std::hex << gpa;
  }
  EXPECT_EQ(m.translate(kVmm.base - 1).first, kVmm.base - 1);
  EXPECT_EQ(m.translate(kVmm.end()).first, kVmm.end());
}

TEST(NestedIdentityMap, WriteProtectsTheInterruptWindowsOnly) {
  Built m(true);
  for (u64 gpa : {0xFEE00000ull, 0xFEE00300ull, 0xFEE01000ull, 0xFEEFF000ull, 0xFEC00000ull, 0xFEC00010ull}) {
    auto t = m.translate(gpa);
    EXPECT_EQ(t.first, gpa) << std::hex << gpa;
    EXPECT_FALSE(t.second) << std::hex << gpa;
  }
  for (u64 gpa : {0xFEF00000ull, 0xFEDFF000ull, 0xFEC01000ull, 0xFEBFF000ull, 0xC0000000ull}) {
    auto t = m.translate(gpa);
    EXPECT_EQ(t.first, gpa) << std::hex << gpa;
    EXPECT_TRUE(t.second) << std::hex << gpa;
  }
}

TEST(NestedIdentityMap, CapsAtWhatFourLevelTablesReach) {
  Built m(true, 52);
  EXPECT_EQ(m.stats.gib_leaves, (1ull << 18) - 2);  // 2^48 / 1 GiB, minus the two split GiBs
  EXPECT_EQ(m.translate((1ull << 48) - 8).first, (1ull << 48) - 8);
}

TEST(PageTableBuilder, Maps1GiBLeavesAndRefusesSmallerOnesInside) {
  FakeTables mem;
  u64 root = *mem.alloc_table();
  PageTableBuilder b(mem, root, kFlags);
  ASSERT_TRUE(b.map(GiB, GiB, PageSize::k1G, kFlags).ok());
  EXPECT_EQ(b.lookup(GiB + 0x12345) & pte::kAddrMask, GiB);
  EXPECT_EQ(b.map(GiB + 2 * MiB, GiB + 2 * MiB, PageSize::k2M, kFlags).error(), PtError::AlreadyMapped);
  EXPECT_EQ(b.map(GiB + 0x1000, 0, PageSize::k4K, kFlags).error(), PtError::AlreadyMapped);
  EXPECT_EQ(b.map(0x200000, 0, PageSize::k1G, kFlags).error(), PtError::Misaligned);
  EXPECT_EQ(b.map_gib_as_2m(GiB, kFlags).error(), PtError::AlreadyMapped);
  ASSERT_TRUE(b.map_gib_as_2m(2 * GiB, kFlags).ok());
  EXPECT_EQ(b.lookup(2 * GiB + 7 * MiB) & pte::kAddrMask, 2 * GiB + 6 * MiB);
}
