#include "tv/amdvi_tables.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace {
using namespace tv;
using namespace tv::amdvi;

// Zeroed 4 KiB tables in a host vector, at fake physical addresses from kBase;
// refuses allocations past `limit`.
class FakeTables : public TableMemory {
 public:
  static constexpr u64 kBase = 0x1'0000'0000ull;
  explicit FakeTables(usize limit = 1 << 20) : limit_(limit) {}
  Result<u64, PtError> alloc_table() override {
    ++attempts_;
    if (tables_.size() >= limit_) return Err{PtError::OutOfMemory};
    tables_.push_back(std::make_unique<u64[]>(512));
    return kBase + (tables_.size() - 1) * kPageSize;
  }
  u64* table_at(u64 phys) override {
    EXPECT_EQ(phys % kPageSize, 0u);
    const u64 i = (phys - kBase) / kPageSize;
    EXPECT_LT(i, tables_.size());
    return tables_[i].get();
  }
  usize allocated() const { return tables_.size(); }
  usize attempts() const { return attempts_; }

 private:
  usize limit_;
  usize attempts_ = 0;
  std::vector<std::unique_ptr<u64[]>> tables_;
};

// --- Device table -----------------------------------------------------------

TEST(AmdViDte, LayoutAndBits) {
  static_assert(offsetof(DeviceTableEntry, data) == 0);
  static_assert(kDeviceTableEntriesPerPage == 128);
  static_assert(kDeviceTableMaxEntries * sizeof(DeviceTableEntry) == 2 * MiB);
  auto e = make_dte({DteMode::Translate, 0x12345000, 4, 7});
  ASSERT_TRUE(e.ok());
  // V, TV, Mode 100b, root, IR, IW.
  EXPECT_EQ(e->data[0], 0x6000'0000'1234'5803ull);
  EXPECT_EQ(e->data[1], 7u);
  EXPECT_EQ(e->data[2], 0u);
  EXPECT_EQ(e->data[3], 0u);
  auto p = make_dte({DteMode::PassThrough, 0, 0, 1});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->data[0], kDteValid | kDteTranslationValid | kDteReadAllowed | kDteWriteAllowed);
  EXPECT_EQ(p->data[0] & kDteModeMask, 0u);
  EXPECT_EQ(p->data[1], 1u);
}

TEST(AmdViDte, BadSetups) {
  EXPECT_EQ(make_dte({DteMode::Translate, 0, 4, 0}).error(), AmdViError::BadSetup);
  EXPECT_EQ(make_dte({DteMode::Translate, 0x1000, 0, 0}).error(), AmdViError::BadSetup);
  EXPECT_EQ(make_dte({DteMode::Translate, 0x1000, 7, 0}).error(), AmdViError::BadSetup);
  EXPECT_EQ(make_dte({DteMode::Translate, 0x1800, 4, 0}).error(), AmdViError::Misaligned);
  EXPECT_EQ(make_dte({DteMode::Translate, 1ull << 52, 4, 0}).error(), AmdViError::Misaligned);
  EXPECT_EQ(make_dte({DteMode(0), 0x1000, 4, 0}).error(), AmdViError::BadSetup);
}

TEST(AmdViDte, FillsEveryEntry) {
  std::vector<DeviceTableEntry> t(kDeviceTableMaxEntries, DeviceTableEntry{{1, 2, 3, 4}});
  const DteSetup s{DteMode::Translate, 0xABC000, kLevels, 1};
  ASSERT_TRUE(fill_device_table(t.data(), t.size(), s).ok());
  auto want = make_dte(s);
  for (const DeviceTableEntry& e : t) {
    ASSERT_EQ(e.data[0], want->data[0]);
    ASSERT_EQ(e.data[1], want->data[1]);
    ASSERT_EQ(e.data[2], 0u);
    ASSERT_EQ(e.data[3], 0u);
  }
  // A smaller table: only the first 256 entries are written.
  std::vector<DeviceTableEntry> small(257, DeviceTableEntry{{9, 9, 9, 9}});
  ASSERT_TRUE(fill_device_table(small.data(), 256, s).ok());
  EXPECT_EQ(small[255].data[0], want->data[0]);
  EXPECT_EQ(small[256].data[0], 9u);
}

TEST(AmdViDte, EntryCounts) {
  DeviceTableEntry one[128];
  const DteSetup s{DteMode::PassThrough, 0, 0, 0};
  EXPECT_EQ(fill_device_table(one, 0, s).error(), AmdViError::BadEntryCount);
  EXPECT_EQ(fill_device_table(one, 100, s).error(), AmdViError::BadEntryCount);
  EXPECT_EQ(fill_device_table(nullptr, 128, s).error(), AmdViError::BadEntryCount);
  EXPECT_EQ(fill_device_table(one, kDeviceTableMaxEntries + 128, s).error(), AmdViError::BadEntryCount);
  EXPECT_TRUE(fill_device_table(one, 128, s).ok());
  EXPECT_EQ(fill_device_table(one, 128, {DteMode::Translate, 0, 4, 0}).error(), AmdViError::BadSetup);
  static_assert(device_table_entries(0) == 128);
  static_assert(device_table_entries(1) == 128);
  static_assert(device_table_entries(0x100) == 256);  // bus 0 only (QEMU q35: 00:00.0-00:1f.7)
  static_assert(device_table_entries(0x101) == 384);
  static_assert(device_table_entries(65536) == 65536);
}

TEST(AmdViDte, BaseRegister) {
  EXPECT_EQ(*device_table_base_register(0x200000, 65536), 0x2001FFu);
  EXPECT_EQ(*device_table_base_register(0x7000, 128), 0x7000u);
  EXPECT_EQ(*device_table_base_register(0x7000, 256), 0x7001u);
  EXPECT_EQ(device_table_base_register(0x7800, 128).error(), AmdViError::Misaligned);
  EXPECT_EQ(device_table_base_register(0x7000, 130).error(), AmdViError::BadEntryCount);
}

// --- I/O page table ---------------------------------------------------------

struct Built {
  FakeTables mem;
  Result<IoIdentityMap, AmdViError> map = Err{AmdViError::OutOfMemory};
  explicit Built(usize limit = 1 << 20) : mem(limit) {}
  IoTranslation at(u64 a) { return io_translate(mem, map->root, kLevels, a); }
};

std::unique_ptr<Built> build(u64 top, std::vector<Range> excluded, PageSize largest = PageSize::k1G,
                             usize limit = 1 << 20) {
  auto b = std::make_unique<Built>(limit);
  b->map = build_io_identity_map(b->mem, {top, excluded.data(), excluded.size(), largest});
  return b;
}

void expect_mapped(Built& b, u64 a, u64 page) {
  IoTranslation t = b.at(a);
  ASSERT_TRUE(t.mapped) << std::hex << a;
  EXPECT_EQ(t.address, a) << std::hex << a;
  EXPECT_EQ(t.page_size, page) << std::hex << a;
  EXPECT_TRUE(t.read);
  EXPECT_TRUE(t.write);
}
void expect_unmapped(Built& b, u64 a) {
  EXPECT_FALSE(b.at(a).mapped) << std::hex << a;
}

// The VMM's region as the VMM places it: 6 MiB at the top of RAM below 4 GiB,
// here deliberately not 2 MiB-aligned at either end.
constexpr Range kVmm{0x3F9F'F000ull, 0x60'0000ull};  // [1 GiB - 6 MiB - 4 KiB, 1 GiB - 4 KiB)

TEST(AmdViIoMap, OneGibGuestWithTheVmmExcluded) {
  auto b = build(1 * GiB, {kVmm});
  ASSERT_TRUE(b->map.ok()) << to_string(b->map.error());
  Built& m = *b;
  const u64 vb = kVmm.base, ve = kVmm.end();
  expect_mapped(m, 0, 2 * MiB);
  expect_mapped(m, 0x1234'5678, 2 * MiB);
  expect_mapped(m, vb - 1, 4 * KiB);  // the 4 KiB page just below
  expect_unmapped(m, vb);
  expect_unmapped(m, vb + 0x1000);
  expect_unmapped(m, vb + 3 * MiB);
  expect_unmapped(m, ve - 1);
  expect_mapped(m, ve, 4 * KiB);  // the last page of the GiB
  expect_mapped(m, 1 * GiB - 1, 4 * KiB);
  expect_unmapped(m, 1 * GiB);  // beyond top
  expect_unmapped(m, 512 * GiB);
  expect_unmapped(m, kAddressLimit - 1);
  expect_unmapped(m, kAddressLimit);  // not translatable with 4 levels
  // Whole 2 MiB pages where they fit: [0, 0x3FA0'0000) minus the partial
  // 2 MiB at 0x3F80'0000 is 508 of them; 4 KiB pages at both edges: 511 below
  // (0x3F80'0000 .. vb) and 1 above (ve .. 1 GiB).
  EXPECT_EQ(m.map->pages_1g, 0u);
  EXPECT_EQ(m.map->pages_2m, 508u);
  EXPECT_EQ(m.map->pages_4k, 511u + 1u);
  // PML4, PDPT, one PD, two PTs.
  EXPECT_EQ(m.map->tables, 5u);
  EXPECT_EQ(m.mem.allocated(), 5u);
  // The DTE that points at it.
  auto dte = make_dte({DteMode::Translate, m.map->root, kLevels, 1});
  ASSERT_TRUE(dte.ok());
  EXPECT_EQ(dte->data[0] & kDteRootMask, m.map->root);
}

TEST(AmdViIoMap, EntryBits) {
  auto b = build(2 * GiB, {kVmm});
  ASSERT_TRUE(b->map.ok());
  const u64* pml4 = b->mem.table_at(b->map->root);
  EXPECT_EQ(pml4[0] & (kPtePresent | kPteReadAllowed | kPteWriteAllowed | kPteNextLevelMask),
            kPtePresent | kPteReadAllowed | kPteWriteAllowed | (3ull << kPteNextLevelShift));
  for (int i = 1; i < 512; ++i) EXPECT_EQ(pml4[i], kPteExcluded) << i;  // beyond top: faults, reported
  const u64* pdpt = b->mem.table_at(pml4[0] & kPteAddrMask);
  EXPECT_EQ((pdpt[0] & kPteNextLevelMask) >> kPteNextLevelShift, 2u);                // the GiB with the VMM
  EXPECT_EQ(pdpt[1], (1 * GiB) | kPtePresent | kPteReadAllowed | kPteWriteAllowed);  // a 1 GiB leaf
  EXPECT_EQ(pdpt[2], kPteExcluded);                                                  // beyond top
  EXPECT_EQ(b->map->pages_1g, 1u);
}

TEST(AmdViIoMap, TableCountsForGuestSizes) {
  struct Case {
    u64 top;
    usize tables_plain;  // nothing excluded
    usize tables_vmm;    // kVmm excluded
    usize pages_1g_plain;
  };
  for (const Case& c : {Case{1 * GiB, 2, 5, 1}, Case{4 * GiB, 2, 5, 4}, Case{64 * GiB, 2, 5, 64},
                        Case{512 * GiB, 2, 5, 512}, Case{513 * GiB, 3, 6, 513}}) {
    auto p = build(c.top, {});
    ASSERT_TRUE(p->map.ok());
    EXPECT_EQ(p->map->tables, c.tables_plain) << c.top / GiB;
    EXPECT_EQ(p->map->pages_1g, c.pages_1g_plain) << c.top / GiB;
    EXPECT_EQ(p->map->pages_2m + p->map->pages_4k, 0u);
    expect_mapped(*p, c.top - 1, 1 * GiB);
    expect_unmapped(*p, c.top);
    auto v = build(c.top, {kVmm});
    ASSERT_TRUE(v->map.ok());
    EXPECT_EQ(v->map->tables, c.tables_vmm) << c.top / GiB;
    EXPECT_EQ(v->map->pages_1g, c.pages_1g_plain - 1) << c.top / GiB;
    expect_unmapped(*v, kVmm.base);
    expect_mapped(*v, c.top - 1, c.top == 1 * GiB ? 4 * KiB : 1 * GiB);  // 1 GiB: the page above the VMM
  }
  // With only 2 MiB leaves allowed, a 4 GiB guest needs a PD per GiB.
  auto m = build(4 * GiB, {kVmm}, PageSize::k2M);
  ASSERT_TRUE(m->map.ok());
  EXPECT_EQ(m->map->tables, 2u + 4u + 2u);
  EXPECT_EQ(m->map->pages_2m, 508u + 3 * 512u);
  expect_mapped(*m, 3 * GiB, 2 * MiB);
  // 4 KiB only: every page a PTE; 1 GiB = 512 PTs.
  auto k = build(1 * GiB, {}, PageSize::k4K);
  ASSERT_TRUE(k->map.ok());
  EXPECT_EQ(k->map->tables, 3u + 512u);
  EXPECT_EQ(k->map->pages_4k, 262144u);
  expect_mapped(*k, 0x1234'5000, 4 * KiB);
}

TEST(AmdViIoMap, TopNotOnALargePageBoundary) {
  auto b = build(1 * GiB + 2 * MiB + 8 * KiB, {});
  ASSERT_TRUE(b->map.ok());
  EXPECT_EQ(b->map->pages_1g, 1u);
  EXPECT_EQ(b->map->pages_2m, 1u);
  EXPECT_EQ(b->map->pages_4k, 2u);
  expect_mapped(*b, 1 * GiB + 2 * MiB + 4 * KiB, 4 * KiB);
  expect_unmapped(*b, 1 * GiB + 2 * MiB + 8 * KiB);
  auto z = build(0, {});
  ASSERT_TRUE(z->map.ok());
  EXPECT_EQ(z->map->tables, 1u);
  expect_unmapped(*z, 0);
}

TEST(AmdViIoMap, SeveralExcludedRanges) {
  // Overlapping, touching, nested, unsorted, empty, past top, at 0.
  std::vector<Range> ex = {{0x5000, 0x2000}, {0x4000, 0x2000},   {0x7000, 0x1000},   {0x10'0000, 0},
                           {0, 0x1000},      {3 * GiB, 4 * GiB}, {1 * GiB, 1 * GiB}, {1 * GiB + 0x1000, 0x1000}};
  auto b = build(4 * GiB, ex);
  ASSERT_TRUE(b->map.ok()) << to_string(b->map.error());
  Built& m = *b;
  expect_unmapped(m, 0);
  expect_mapped(m, 0x1000, 4 * KiB);
  expect_mapped(m, 0x3FFF, 4 * KiB);
  for (u64 a = 0x4000; a < 0x8000; a += 0x800) expect_unmapped(m, a);
  expect_mapped(m, 0x8000, 4 * KiB);
  expect_mapped(m, 0x1F'F000, 4 * KiB);
  expect_mapped(m, 0x20'0000, 2 * MiB);
  expect_unmapped(m, 1 * GiB);
  expect_unmapped(m, 2 * GiB - 1);
  expect_mapped(m, 2 * GiB, 1 * GiB);
  expect_unmapped(m, 3 * GiB);
  EXPECT_EQ(m.map->pages_1g, 1u);
  // Everything excluded: only the root.
  auto all = build(4 * GiB, {{0, 4 * GiB}});
  ASSERT_TRUE(all->map.ok());
  EXPECT_EQ(all->map->tables, 1u);
  EXPECT_EQ(all->map->pages_1g + all->map->pages_2m + all->map->pages_4k, 0u);
}

// The table an entry (Next Level = level - 1, present) points at.
const u64* child_table(Built& b, u64 entry) {
  EXPECT_NE(entry & kPtePresent, 0u) << std::hex << entry;
  EXPECT_NE(entry & kPteNextLevelMask, 0u) << std::hex << entry;
  return b.mem.table_at(entry & kPteAddrMask);
}

TEST(AmdViIoMap, ExcludedEntriesAreNotPresentWithNextLevel1) {
  // §2.2.3: PR (bit 0) = 0 makes the entry not present; Next Level is 11:9.
  static_assert(kPteExcluded == 0x200);
  static_assert((kPteExcluded & kPtePresent) == 0);
  static_assert((kPteExcluded & kPteNextLevelMask) >> kPteNextLevelShift == 1);
  // In GiB 1: the 2 MiB-aligned [1 GiB + 4 MiB, 1 GiB + 8 MiB) (two PD
  // entries); in the first 2 MiB: the 4 KiB-aligned [0x5000, 0x8000) (three
  // PTEs); GiB 2 entirely (a PDPT entry); top 3 GiB + 6 MiB, with an excluded
  // range from 3 GiB + 4 MiB reaching past top.
  const u64 top = 3 * GiB + 6 * MiB;
  auto b = build(top, {{GiB + 4 * MiB, 4 * MiB}, {0x5000, 0x3000}, {2 * GiB, GiB}, {3 * GiB + 4 * MiB, GiB}});
  ASSERT_TRUE(b->map.ok()) << to_string(b->map.error());
  Built& m = *b;
  const u64* pml4 = m.mem.table_at(m.map->root);
  const u64* pdpt = child_table(m, pml4[0]);
  for (int i = 1; i < 512; ++i) ASSERT_EQ(pml4[i], kPteExcluded) << i;  // beyond top: faults, reported
  // GiB 2: one not-present entry, no table behind it.
  EXPECT_EQ(pdpt[2], kPteExcluded);
  for (int i = 4; i < 512; ++i) ASSERT_EQ(pdpt[i], kPteExcluded) << i;  // beyond top
  // GiB 1: PD entries 2 and 3.
  const u64* pd1 = child_table(m, pdpt[1]);
  EXPECT_EQ(pd1[1] & kPtePresent, kPtePresent);
  EXPECT_EQ(pd1[2], kPteExcluded);
  EXPECT_EQ(pd1[3], kPteExcluded);
  EXPECT_EQ(pd1[4], (GiB + 8 * MiB) | kPtePresent | kPteReadAllowed | kPteWriteAllowed);
  // The first 2 MiB: PTEs 5, 6, 7.
  const u64* pt0 = child_table(m, child_table(m, pdpt[0])[0]);
  EXPECT_EQ(pt0[4], 0x4000 | kPtePresent | kPteReadAllowed | kPteWriteAllowed);
  for (int i = 5; i < 8; ++i) EXPECT_EQ(pt0[i], kPteExcluded) << i;
  EXPECT_EQ(pt0[8], 0x8000 | kPtePresent | kPteReadAllowed | kPteWriteAllowed);
  // GiB 3: 2 MiB leaves to 3 GiB + 4 MiB, then the excluded range up to top
  // (which also covers what lies past top), then not-present entries.
  const u64* pd3 = child_table(m, pdpt[3]);
  EXPECT_EQ(pd3[1], (3 * GiB + 2 * MiB) | kPtePresent | kPteReadAllowed | kPteWriteAllowed);
  EXPECT_EQ(pd3[2], kPteExcluded);
  for (int i = 3; i < 512; ++i) ASSERT_EQ(pd3[i], kPteExcluded) << i;  // beyond top
  // The walk sees none of it as mapped.
  for (u64 a : std::initializer_list<u64>{0x5000ull, 0x6FFFull, 0x7FFFull, GiB + 4 * MiB, GiB + 8 * MiB - 1, 2 * GiB,
                                          3 * GiB - 1, 3 * GiB + 4 * MiB, top - 1, top})
    expect_unmapped(m, a);
  expect_mapped(m, 0x4FFF, 4 * KiB);
  expect_mapped(m, 0x8000, 4 * KiB);
  expect_mapped(m, GiB + 4 * MiB - 1, 2 * MiB);
  expect_mapped(m, GiB + 8 * MiB, 2 * MiB);
  expect_mapped(m, 3 * GiB + 4 * MiB - 1, 2 * MiB);
  // Leaves and tables: excluded entries are neither.
  EXPECT_EQ(m.map->pages_1g, 0u);
  EXPECT_EQ(m.map->pages_4k, 512u - 3u);
  EXPECT_EQ(m.map->pages_2m, (512u - 1u) + (512u - 2u) + 2u);
  EXPECT_EQ(m.map->tables, 1u + 1u + 3u + 1u);  // PML4, PDPT, PDs for GiBs 0, 1, 3, one PT
}

TEST(AmdViIoMap, ExcludedEntriesWithPartlyExcludedNeighbours) {
  // A 4 KiB-aligned range across a 2 MiB boundary: the PTEs it covers hold
  // kPteExcluded in both page tables; nothing else does.
  auto b = build(GiB, {{2 * MiB - 0x2000, 0x4000}});
  ASSERT_TRUE(b->map.ok());
  Built& m = *b;
  const u64* pd = child_table(m, child_table(m, m.mem.table_at(m.map->root)[0])[0]);
  const u64* pt0 = child_table(m, pd[0]);
  const u64* pt1 = child_table(m, pd[1]);
  int excluded = 0;
  for (int i = 0; i < 512; ++i) {
    excluded += (pt0[i] == kPteExcluded) + (pt1[i] == kPteExcluded);
    EXPECT_EQ(pt0[i] == kPteExcluded, i >= 510) << i;
    EXPECT_EQ(pt1[i] == kPteExcluded, i < 2) << i;
  }
  EXPECT_EQ(excluded, 4);
  EXPECT_EQ(m.map->pages_4k, 2u * 512u - 4u);
  expect_unmapped(m, 2 * MiB - 0x2000);
  expect_unmapped(m, 2 * MiB + 0x1FFF);
  expect_mapped(m, 2 * MiB - 0x2001, 4 * KiB);
  expect_mapped(m, 2 * MiB + 0x2000, 4 * KiB);
}

TEST(AmdViIoMap, BadRequests) {
  FakeTables mem;
  Range r{0x1000, 0x1000};
  EXPECT_EQ(build_io_identity_map(mem, {0x1800, nullptr, 0}).error(), AmdViError::Misaligned);
  EXPECT_EQ(build_io_identity_map(mem, {kAddressLimit + 0x1000, nullptr, 0}).error(), AmdViError::BadRange);
  EXPECT_EQ(build_io_identity_map(mem, {GiB, nullptr, 1}).error(), AmdViError::TooManyExcluded);
  EXPECT_EQ(build_io_identity_map(mem, {GiB, &r, kMaxExcludedRanges + 1}).error(), AmdViError::TooManyExcluded);
  Range odd{0x1800, 0x1000};
  EXPECT_EQ(build_io_identity_map(mem, {GiB, &odd, 1}).error(), AmdViError::Misaligned);
  Range odd_size{0x1000, 0x800};
  EXPECT_EQ(build_io_identity_map(mem, {GiB, &odd_size, 1}).error(), AmdViError::Misaligned);
  Range wrap{~0ull - 0xFFF, 0x2000};
  EXPECT_EQ(build_io_identity_map(mem, {GiB, &wrap, 1}).error(), AmdViError::BadRange);
  EXPECT_EQ(build_io_identity_map(mem, {GiB, nullptr, 0, PageSize(8192)}).error(), AmdViError::BadSetup);
  EXPECT_EQ(mem.attempts(), 0u);  // refused before allocating anything
  // The largest address: top = 2^48.
  auto b = build(kAddressLimit, {kVmm});
  ASSERT_TRUE(b->map.ok());
  expect_mapped(*b, kAddressLimit - 1, 1 * GiB);
  EXPECT_EQ(b->map->pages_1g, 512u * 512u - 1);
}

TEST(AmdViIoMap, AllocationFailureIsAnErrorAndStopsAllocating) {
  // 5 tables are needed; with n < 5 available the build fails after exactly
  // n allocations and one refused attempt: nothing more is asked for, and the
  // n tables stay with the TableMemory (which has no free).
  for (usize n = 0; n < 5; ++n) {
    auto b = build(1 * GiB, {kVmm}, PageSize::k1G, n);
    ASSERT_FALSE(b->map.ok()) << n;
    EXPECT_EQ(b->map.error(), AmdViError::OutOfMemory);
    EXPECT_EQ(b->mem.allocated(), n);
    EXPECT_EQ(b->mem.attempts(), n + 1);
  }
  auto ok = build(1 * GiB, {kVmm}, PageSize::k1G, 5);
  ASSERT_TRUE(ok->map.ok());
  EXPECT_EQ(ok->mem.attempts(), 5u);
}

TEST(AmdViIoMap, WalkerRefusesWhatTheBuilderNeverWrites) {
  FakeTables mem;
  const u64 root = *mem.alloc_table();
  const u64 pt = *mem.alloc_table();
  u64* r = mem.table_at(root);
  // Next Level 2 in a level-4 entry skips a level: not followed.
  r[0] = pt | (2ull << kPteNextLevelShift) | kPtePresent | kPteReadAllowed | kPteWriteAllowed;
  EXPECT_FALSE(io_translate(mem, root, 4, 0).mapped);
  // Next Level 7 (a sized page): not followed.
  r[0] = pt | (7ull << kPteNextLevelShift) | kPtePresent;
  EXPECT_FALSE(io_translate(mem, root, 4, 0).mapped);
  // Read-only at one level is read-only for the walk.
  r[0] = pt | (3ull << kPteNextLevelShift) | kPtePresent | kPteReadAllowed;
  mem.table_at(pt)[0] = 0x4000'0000 | kPtePresent | kPteReadAllowed | kPteWriteAllowed;
  IoTranslation t = io_translate(mem, root, 4, 0x1234);
  ASSERT_TRUE(t.mapped);
  EXPECT_EQ(t.address, 0x4000'1234u);
  EXPECT_EQ(t.page_size, 1 * GiB);
  EXPECT_TRUE(t.read);
  EXPECT_FALSE(t.write);
  EXPECT_FALSE(io_translate(mem, root, 0, 0).mapped);
}

TEST(AmdViTables, ErrorsHaveNames) {
  for (int e = 1; e <= int(AmdViError::BadSetup); ++e)
    EXPECT_STRNE(to_string(AmdViError(e)), "unknown AMD-Vi error") << e;
}

}  // namespace
