#include "tv/e820.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tv {
namespace {

struct Ent {
  u64 addr;
  u64 size;
  u32 type;
  bool operator==(const Ent&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ent& e) {
  return os << std::hex << "{0x" << e.addr << ", 0x" << e.size << ", " << std::dec << e.type << "}";
}

std::vector<Ent> entries(const E820Map& m) {
  std::vector<Ent> v;
  for (const E820Entry& e : m) v.push_back(Ent{e.addr, e.size, e.type});
  return v;
}

constexpr u64 k4G = u64{1} << 32;

// Layout QEMU's SeaBIOS reports for a 1 GiB guest.
const MemRegion kQemuMap[] = {
    {0x0, 0x9fc00, E820Type::Usable},
    {0x9fc00, 0x400, E820Type::Reserved},
    {0xf0000, 0x10000, E820Type::Reserved},
    {0x100000, 0x40000000 - 0x100000, E820Type::Usable},
    {0xfffc0000, k4G - 0xfffc0000, E820Type::Reserved},
};

TEST(E820, LayoutMatchesBootParams) {
  EXPECT_EQ(sizeof(E820Entry), 20u);
  EXPECT_EQ(E820Map::kCapacity, 128u);
}

TEST(E820, QemuMapWithHiddenVmm) {
  const Range hidden[] = {{0x200000, 0x400000}};
  auto r = build_guest_e820(kQemuMap, 5, hidden, 1);
  ASSERT_TRUE(r.ok());
  const std::vector<Ent> want = {
      {0x0, 0x9fc00, 1},        {0x9fc00, 0x400, 2},     {0xf0000, 0x10000, 2},
      {0x100000, 0x100000, 1},  {0x200000, 0x400000, 2}, {0x600000, 0x40000000 - 0x600000, 1},
      {0xfffc0000, 0x40000, 2},
  };
  EXPECT_EQ(entries(*r), want);
  EXPECT_FALSE(r->overflowed());
  EXPECT_EQ(r->total(E820Type::Usable), 0x9fc00u + 0x100000 + 0x40000000 - 0x600000);
  EXPECT_EQ(r->total(E820Type::Reserved), 0x400u + 0x10000 + 0x400000 + 0x40000);
}

TEST(E820, QemuMapWithoutHiddenIsUnchanged) {
  auto r = build_guest_e820(kQemuMap, 5, nullptr, 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  for (usize i = 0; i < 5; ++i) {
    EXPECT_EQ(u64{(*r)[i].addr}, kQemuMap[i].base);  // u64{}: no refs to packed fields
    EXPECT_EQ(u64{(*r)[i].size}, kQemuMap[i].size);
    EXPECT_EQ(u32{(*r)[i].type}, kQemuMap[i].type);
  }
}

TEST(E820, CarveAtStartOfEntry) {
  E820Map m;
  ASSERT_TRUE(m.add(0x100000, 0x100000, E820Type::Usable).ok());
  ASSERT_TRUE(m.carve({0x100000, 0x1000}, E820Type::Reserved).ok());
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x100000, 0x1000, 2}, {0x101000, 0xff000, 1}}));
}

TEST(E820, CarveAtEndOfEntry) {
  E820Map m;
  ASSERT_TRUE(m.add(0x100000, 0x100000, E820Type::Usable).ok());
  ASSERT_TRUE(m.carve({0x1ff000, 0x1000}, E820Type::Reserved).ok());
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x100000, 0xff000, 1}, {0x1ff000, 0x1000, 2}}));
}

TEST(E820, CarveInMiddleSplitsIntoThree) {
  E820Map m;
  ASSERT_TRUE(m.add(0x0, 0x1000, E820Type::Reserved).ok());
  ASSERT_TRUE(m.add(0x100000, 0x100000, E820Type::Usable).ok());
  ASSERT_TRUE(m.add(0x300000, 0x1000, E820Type::AcpiNvs).ok());
  ASSERT_TRUE(m.carve({0x180000, 0x10000}, E820Type::Reserved).ok());
  // Order is preserved: the pieces replace the split entry in place.
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x0, 0x1000, 2},
                                          {0x100000, 0x80000, 1},
                                          {0x180000, 0x10000, 2},
                                          {0x190000, 0x70000, 1},
                                          {0x300000, 0x1000, 4}}));
}

TEST(E820, CarveWholeEntryKeepsCount) {
  E820Map m;
  ASSERT_TRUE(m.add(0x1000, 0x1000, E820Type::Usable).ok());
  ASSERT_TRUE(m.carve({0x0, 0x10000}, E820Type::Unusable).ok());
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x1000, 0x1000, 5}}));
}

TEST(E820, CarveSpanningTwoEntriesAndHole) {
  E820Map m;
  ASSERT_TRUE(m.add(0x0, 0x10000, E820Type::Usable).ok());
  ASSERT_TRUE(m.add(0x20000, 0x10000, E820Type::Usable).ok());
  ASSERT_TRUE(m.carve({0x8000, 0x20000}, E820Type::Reserved).ok());
  // The hole [0x10000, 0x20000) stays a hole.
  EXPECT_EQ(entries(m),
            (std::vector<Ent>{{0x0, 0x8000, 1}, {0x8000, 0x8000, 2}, {0x20000, 0x8000, 2}, {0x28000, 0x8000, 1}}));
  m.normalize();
  EXPECT_EQ(entries(m),
            (std::vector<Ent>{{0x0, 0x8000, 1}, {0x8000, 0x8000, 2}, {0x20000, 0x8000, 2}, {0x28000, 0x8000, 1}}));
}

TEST(E820, CarveOutsideAllEntriesIsNoop) {
  E820Map m;
  ASSERT_TRUE(m.add(0x0, 0x1000, E820Type::Usable).ok());
  ASSERT_TRUE(m.carve({0x5000, 0x1000}, E820Type::Reserved).ok());
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x0, 0x1000, 1}}));
  // Adjacent but not overlapping.
  ASSERT_TRUE(m.carve({0x1000, 0x1000}, E820Type::Reserved).ok());
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x0, 0x1000, 1}}));
}

TEST(E820, CarveErrors) {
  E820Map m;
  ASSERT_TRUE(m.add(0x0, 0x1000, E820Type::Usable).ok());
  EXPECT_EQ(m.carve({0x0, 0}, 2).error(), E820Error::EmptyRange);
  EXPECT_EQ(m.carve({~u64{0} - 0xfff, 0x2000}, 2).error(), E820Error::Overflow);
  EXPECT_EQ(m.size(), 1u);
}

TEST(E820, CarveCapacityIsAtomic) {
  E820Map m;
  for (u64 i = 0; i < E820Map::kCapacity - 1; ++i) {
    ASSERT_TRUE(m.add(i * 0x10000, 0x10000, (i % 2) ? E820Type::Usable : E820Type::Reserved).ok());
  }
  // 127 entries; a middle split needs two more slots.
  const auto before = entries(m);
  auto s = m.carve({0x10000 + 0x1000, 0x1000}, E820Type::Reserved);
  EXPECT_EQ(s.error(), E820Error::TooManyEntries);
  EXPECT_EQ(entries(m), before);
  // Splitting at an edge needs only one slot and fits exactly.
  ASSERT_TRUE(m.carve({0x10000, 0x1000}, E820Type::Reserved).ok());
  EXPECT_EQ(m.size(), E820Map::kCapacity);
}

TEST(E820, AddErrors) {
  E820Map m;
  EXPECT_EQ(m.add(0x1000, 0, 1).error(), E820Error::EmptyRange);
  EXPECT_EQ(m.add(~u64{0}, 2, 1).error(), E820Error::Overflow);
  // An entry ending exactly at 2^64 cannot be represented as base + size either.
  EXPECT_EQ(m.add(~u64{0} - 0xfff, 0x1000, 1).error(), E820Error::Overflow);
  ASSERT_TRUE(m.add(~u64{0} - 0xfff, 0xfff, 1).ok());
  for (usize i = 1; i < E820Map::kCapacity; ++i) ASSERT_TRUE(m.add(i * 0x1000, 0x1000, 1).ok());
  EXPECT_EQ(m.add(0x100000000, 0x1000, 1).error(), E820Error::TooManyEntries);
}

TEST(E820, NormalizeSortsAndMerges) {
  E820Map m;
  ASSERT_TRUE(m.add(0x200000, 0x100000, E820Type::Usable).ok());
  ASSERT_TRUE(m.add(0x0, 0x100000, E820Type::Usable).ok());
  ASSERT_TRUE(m.add(0x100000, 0x100000, E820Type::Usable).ok());
  ASSERT_TRUE(m.add(0x400000, 0x1000, E820Type::Reserved).ok());
  ASSERT_TRUE(m.add(0x300000, 0x100000, E820Type::Reserved).ok());
  m.normalize();
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x0, 0x300000, 1}, {0x300000, 0x101000, 2}}));
}

TEST(E820, NormalizeOverlapsRestrictiveTypeWins) {
  E820Map m;
  // Firmware-style mess: usable overlapping reserved, ACPI overlapping reserved, duplicates.
  ASSERT_TRUE(m.add(0x0, 0x100000, E820Type::Usable).ok());
  ASSERT_TRUE(m.add(0x80000, 0x10000, E820Type::Reserved).ok());
  ASSERT_TRUE(m.add(0x88000, 0x10000, E820Type::AcpiReclaim).ok());
  ASSERT_TRUE(m.add(0x0, 0x1000, E820Type::Usable).ok());
  ASSERT_TRUE(m.add(0xf0000, 0x20000, E820Type::AcpiNvs).ok());
  m.normalize();
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x0, 0x80000, 1},
                                          {0x80000, 0x8000, 2},
                                          {0x88000, 0x10000, 3},
                                          {0x98000, 0x58000, 1},
                                          {0xf0000, 0x20000, 4}}));
}

TEST(E820, NormalizeUnknownTypeBeatsUsableAndHigherWins) {
  E820Map m;
  ASSERT_TRUE(m.add(0x0, 0x3000, 7).ok());  // persistent memory
  ASSERT_TRUE(m.add(0x1000, 0x1000, E820Type::Usable).ok());
  ASSERT_TRUE(m.add(0x2000, 0x2000, E820Type::Unusable).ok());
  m.normalize();
  EXPECT_EQ(entries(m), (std::vector<Ent>{{0x0, 0x3000, 7}, {0x3000, 0x1000, 5}}));
}

TEST(E820, NormalizeEmptyAndIdempotent) {
  E820Map m;
  m.normalize();
  EXPECT_EQ(m.size(), 0u);
  auto r = build_guest_e820(kQemuMap, 5, nullptr, 0);
  ASSERT_TRUE(r.ok());
  E820Map again = *r;
  again.normalize();
  EXPECT_EQ(entries(again), entries(*r));
}

TEST(E820, OverlappingSourceMapWithHiddenRange) {
  const MemRegion host[] = {
      {0x100000, 0x1000000, E820Type::Usable},
      {0x800000, 0x100000, E820Type::Reserved},  // reserved hole inside usable
      {0x1000000, 0x1000000, E820Type::Usable},  // overlaps the first one
      {0x0, 0, E820Type::Usable},                // zero-size: ignored
  };
  const Range hidden[] = {{0x780000, 0x100000}, {0x1f00000, 0x200000}};
  auto r = build_guest_e820(host, 4, hidden, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(entries(*r),
            (std::vector<Ent>{
                {0x100000, 0x680000, 1}, {0x780000, 0x180000, 2}, {0x900000, 0x1600000, 1}, {0x1f00000, 0x100000, 2}}));
}

TEST(E820, BuildErrors) {
  const MemRegion wrap[] = {{~u64{0} - 0xfff, 0x2000, 1}};
  EXPECT_EQ(build_guest_e820(wrap, 1, nullptr, 0).error(), E820Error::Overflow);

  const Range empty[] = {{0x1000, 0}};
  EXPECT_EQ(build_guest_e820(kQemuMap, 5, empty, 1).error(), E820Error::EmptyRange);
  const Range wrap_hidden[] = {{~u64{0}, 2}};
  EXPECT_EQ(build_guest_e820(kQemuMap, 5, wrap_hidden, 1).error(), E820Error::Overflow);
}

TEST(E820, BuildCompactsHostMapsLongerThanCapacity) {
  // 200 adjacent usable 4 KiB pieces collapse into one entry.
  std::vector<MemRegion> host;
  for (u64 i = 0; i < 200; ++i) host.push_back({0x100000 + i * 0x1000, 0x1000, E820Type::Usable});
  auto r = build_guest_e820(host.data(), host.size(), nullptr, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(entries(*r), (std::vector<Ent>{{0x100000, 200 * 0x1000, 1}}));
}

TEST(E820, BuildTooManyEntries) {
  // 200 alternating entries cannot be represented in 128 slots.
  std::vector<MemRegion> host;
  for (u64 i = 0; i < 200; ++i) {
    host.push_back({i * 0x1000, 0x1000, (i % 2) ? u32{E820Type::Reserved} : u32{E820Type::Usable}});
  }
  EXPECT_EQ(build_guest_e820(host.data(), host.size(), nullptr, 0).error(), E820Error::TooManyEntries);

  // 127 entries; hiding pieces in the middle of usable entries needs more slots than exist.
  host.resize(127);
  std::vector<Range> hidden;
  for (u64 i = 0; i < 127; i += 2) hidden.push_back({i * 0x1000 + 0x400, 0x400});
  EXPECT_EQ(build_guest_e820(host.data(), host.size(), hidden.data(), hidden.size()).error(),
            E820Error::TooManyEntries);
}

TEST(E820, NormalizeOverflowCollapsesTailAsReserved) {
  // One big usable entry with 100 small reserved islands needs 201 output entries.
  E820Map m;
  ASSERT_TRUE(m.add(0x0, 0x1000000, E820Type::Usable).ok());
  for (u64 i = 0; i < 100; ++i) ASSERT_TRUE(m.add(0x10000 + i * 0x10000, 0x1000, 2).ok());
  m.normalize();
  EXPECT_TRUE(m.overflowed());
  ASSERT_EQ(m.size(), E820Map::kCapacity);
  // Entries before the last are exact; the last covers everything to the end, non-usable.
  EXPECT_EQ(u64{m[0].addr}, 0u);
  EXPECT_EQ(u64{m[0].size}, 0x10000u);
  EXPECT_EQ(u32{m[0].type}, 1u);
  const E820Entry& last = m[E820Map::kCapacity - 1];
  EXPECT_EQ(last.end(), 0x1000000u);
  EXPECT_EQ(u32{last.type}, u32{E820Type::Reserved});
  // Nothing overlaps and it is sorted.
  for (usize i = 1; i < m.size(); ++i) EXPECT_LE(m[i - 1].end(), u64{m[i].addr});
  m.clear();
  EXPECT_FALSE(m.overflowed());
}

TEST(E820, ErrorStrings) {
  EXPECT_STRNE(to_string(E820Error::TooManyEntries), to_string(E820Error::EmptyRange));
  EXPECT_STRNE(to_string(E820Error::Overflow), to_string(E820Error::EmptyRange));
}

}  // namespace
}  // namespace tv
