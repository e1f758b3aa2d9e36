// The nested identity map: the whole guest-physical space, built once, with
// the VMM's memory hidden and the interrupt windows write-protected.
#include "tv/nested_identity_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

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
  explicit Built(bool gib_pages, u8 bits = 40) : Built(gib_pages, bits, {kVmm}, {kApic, kIoApic}) {}
  Built(bool gib_pages, u8 bits, std::vector<Range> hidden, std::vector<Range> read_only) {
    NestedMapSpec s{bits, gib_pages, kFlags, {}, hidden.size(), kScratch, {}, read_only.size()};
    EXPECT_LE(hidden.size(), NestedMapSpec::kMaxRanges);
    EXPECT_LE(read_only.size(), NestedMapSpec::kMaxRanges);
    std::copy(hidden.begin(), hidden.end(), s.hidden);
    std::copy(read_only.begin(), read_only.end(), s.read_only);
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

namespace {
// Every 4 KiB page of [from, to): the scratch page if `hidden`, else itself,
// writable unless `read_only`.
void expect_pages(Built& m, u64 from, u64 to, bool hidden, bool read_only) {
  for (u64 gpa = from; gpa < to; gpa += kPageSize) {
    auto t = m.translate(gpa + 0x10);
    ASSERT_EQ(t.first, (hidden ? kScratch : gpa) + 0x10) << std::hex << gpa;
    ASSERT_EQ(t.second, !read_only) << std::hex << gpa;
  }
}

// Every leaf counted once: the leaves cover the mapped space exactly.
void expect_stats_cover(const NestedMapStats& st, u64 space) {
  EXPECT_EQ(st.gib_leaves * GiB + st.mib2_leaves * 2 * MiB + st.kib4_leaves * kPageSize, space);
}
}  // namespace

TEST(NestedIdentityMap, HiddenAndReadOnlyRangesInTheSame2MiBChunk) {
  // In the 2 MiB at 1 GiB: hidden [+4 KiB, +12 KiB), read-only [+20 KiB,
  // +24 KiB), and a page both hidden and read-only at +32 KiB (hidden wins: the
  // VMM's memory must never show through, even read-only).
  const u64 c = GiB;
  Built m(true, 36, {{c + 0x1000, 0x2000}, {c + 0x8000, 0x1000}}, {{c + 0x5000, 0x1000}, {c + 0x8000, 0x1000}});
  expect_pages(m, c, c + 0x1000, false, false);
  expect_pages(m, c + 0x1000, c + 0x3000, true, false);
  expect_pages(m, c + 0x3000, c + 0x5000, false, false);
  expect_pages(m, c + 0x5000, c + 0x6000, false, true);
  expect_pages(m, c + 0x6000, c + 0x8000, false, false);
  expect_pages(m, c + 0x8000, c + 0x9000, true, false);
  expect_pages(m, c + 0x9000, c + 2 * MiB, false, false);
  expect_pages(m, c + 2 * MiB, c + 2 * MiB + 0x1000, false, false);  // the next chunk: a 2 MiB leaf
  EXPECT_NE(m.b.lookup(c + 2 * MiB) & pte::kLargePage, 0u);
  EXPECT_EQ(m.b.lookup(c) & pte::kLargePage, 0u);
  // One split GiB with one split 2 MiB.
  EXPECT_EQ(m.stats.gib_leaves, 63u);
  EXPECT_EQ(m.stats.mib2_leaves, 511u);
  EXPECT_EQ(m.stats.kib4_leaves, 512u);
  expect_stats_cover(m.stats, 64 * GiB);
}

TEST(NestedIdentityMap, RangesSpanningTwoChunksAndTwoGibs) {
  // Hidden: the last page of one 2 MiB and the first of the next, in GiB 1.
  // Read-only: 3 pages before 3 GiB and 2 after it (two chunks in two GiBs).
  const Range hidden{GiB + 4 * MiB - 0x1000, 0x2000};
  const Range ro{3 * GiB - 0x3000, 0x5000};
  Built m(true, 36, {hidden}, {ro});
  expect_pages(m, hidden.base - 0x2000, hidden.base, false, false);
  expect_pages(m, hidden.base, hidden.end(), true, false);
  expect_pages(m, hidden.end(), hidden.end() + 0x2000, false, false);
  expect_pages(m, ro.base - 0x2000, ro.base, false, false);
  expect_pages(m, ro.base, ro.end(), false, true);
  expect_pages(m, ro.end(), ro.end() + 0x2000, false, false);
  // The chunks around them stay 2 MiB leaves.
  for (u64 gpa : std::initializer_list<u64>{GiB + 0ull, GiB + 4 * MiB + 2 * MiB, 3 * GiB - 4 * MiB, 3 * GiB + 2 * MiB})
    EXPECT_NE(m.b.lookup(gpa) & pte::kLargePage, 0u) << std::hex << gpa;
  // Split GiBs: 1, 2 and 3; split chunks: two in GiB 1, one each in GiBs 2 and 3.
  EXPECT_EQ(m.stats.gib_leaves, 64u - 3u);
  EXPECT_EQ(m.stats.mib2_leaves, 3u * 512u - 4u);
  EXPECT_EQ(m.stats.kib4_leaves, 4u * 512u);
  expect_stats_cover(m.stats, 64 * GiB);
}

TEST(NestedIdentityMap, LeafStatisticsWithoutGibPagesAndWithEmptyRanges) {
  // Empty ranges split nothing. kVmm covers two whole 2 MiB chunks (still
  // 4 KiB pages: each shows the scratch page), each interrupt window one.
  Built m(false, 36, {kVmm, {5 * GiB, 0}}, {kApic, kIoApic, {7 * GiB + 0x1000, 0}});
  EXPECT_EQ(m.stats.gib_leaves, 0u);
  EXPECT_EQ(m.stats.kib4_leaves, 4u * 512u);  // kVmm: 2 chunks; APIC: 1; I/O APIC: 1
  EXPECT_EQ(m.stats.mib2_leaves, 64u * 512u - 4u);
  expect_stats_cover(m.stats, 64 * GiB);
  EXPECT_NE(m.b.lookup(5 * GiB) & pte::kLargePage, 0u);
  EXPECT_NE(m.b.lookup(7 * GiB) & pte::kLargePage, 0u);
  Built g(true, 36, {kVmm, {5 * GiB, 0}}, {kApic, kIoApic, {7 * GiB + 0x1000, 0}});
  EXPECT_EQ(g.stats.gib_leaves, 62u);  // GiB 0 (VMM) and GiB 3 (the windows) split
  EXPECT_EQ(g.stats.mib2_leaves, 2u * 512u - 4u);
  EXPECT_EQ(g.stats.kib4_leaves, 4u * 512u);
  expect_stats_cover(g.stats, 64 * GiB);
  EXPECT_TRUE(g.is_gib(5 * GiB));
  EXPECT_TRUE(g.is_gib(7 * GiB));
}

TEST(NestedIdentityMap, AsManyRangesAsTheSpecHoldsInOneChunk) {
  // kMaxRanges hidden and kMaxRanges read-only pages interleaved in one 2 MiB.
  std::vector<Range> hidden, ro;
  const u64 c = 2 * GiB + 6 * MiB;
  for (usize i = 0; i < NestedMapSpec::kMaxRanges; ++i) {
    hidden.push_back({c + 0x2000 * i, 0x1000});
    ro.push_back({c + 0x2000 * i + 0x1000, 0x1000});
  }
  Built m(true, 36, hidden, ro);
  for (usize i = 0; i < NestedMapSpec::kMaxRanges; ++i) {
    expect_pages(m, hidden[i].base, hidden[i].end(), true, false);
    expect_pages(m, ro[i].base, ro[i].end(), false, true);
  }
  expect_pages(m, c + 0x2000 * NestedMapSpec::kMaxRanges, c + 2 * MiB, false, false);
  EXPECT_EQ(m.stats.kib4_leaves, 512u);
  expect_stats_cover(m.stats, 64 * GiB);
}
