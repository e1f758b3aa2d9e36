// Listing the CPUs of the MADT, and hiding those the guest must not see.
#include "tv/madt.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tv/str.hpp"

namespace {
using namespace tv;

u8 sum(const std::vector<u8>& t) {
  u8 s = 0;
  for (u8 b : t) s = u8(s + b);
  return s;
}

// A MADT like QEMU's for -smp 3: three local APICs, an IOAPIC, an x2APIC entry.
std::vector<u8> madt() {
  std::vector<u8> t(44, 0);
  t[0] = 'A', t[1] = 'P', t[2] = 'I', t[3] = 'C';
  auto add = [&](std::vector<u8> e) { t.insert(t.end(), e.begin(), e.end()); };
  add({0, 8, 0, 0, 1, 0, 0, 0});                                 // CPU, APIC ID 0, enabled
  add({0, 8, 1, 1, 1, 0, 0, 0});                                 // APIC ID 1, enabled
  add({0, 8, 2, 2, 2, 0, 0, 0});                                 // APIC ID 2, online capable
  add({1, 12, 0, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0});              // IOAPIC
  add({9, 16, 0, 0, 0x00, 0x01, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0});  // x2APIC ID 256, enabled
  t[4] = u8(t.size());
  t[9] = u8(-sum(t));
  return t;
}

TEST(Madt, OnlyTheKeptCpuStaysEnabledAndTheChecksumHolds) {
  auto t = madt();
  MadtEdit e = keep_only_cpu(t.data(), t.size(), 0);
  EXPECT_EQ(e.cpus_seen, 4u);
  EXPECT_EQ(e.cpus_hidden, 3u);
  EXPECT_TRUE(e.keep_found);
  EXPECT_EQ(t[44 + 4], 1);     // APIC ID 0 still enabled
  EXPECT_EQ(t[52 + 4], 0);     // APIC ID 1 disabled
  EXPECT_EQ(t[60 + 4], 0);     // APIC ID 2 no longer online capable
  EXPECT_EQ(t[80 + 8], 0);     // x2APIC 256 disabled
  EXPECT_EQ(t[68 + 6], 0xC0);  // IOAPIC untouched
  EXPECT_EQ(sum(t), 0);
}

TEST(Madt, KeepingAnotherCpuWorksToo) {
  auto t = madt();
  MadtEdit e = keep_only_cpu(t.data(), t.size(), 1);
  EXPECT_TRUE(e.keep_found);
  EXPECT_EQ(t[44 + 4], 0);
  EXPECT_EQ(t[52 + 4], 1);
}

TEST(Madt, ASingleCpuTableIsLeftAlone) {
  std::vector<u8> t(44, 0);
  std::vector<u8> cpu = {0, 8, 0, 0, 1, 0, 0, 0};
  t.insert(t.end(), cpu.begin(), cpu.end());
  t[4] = u8(t.size());
  t[9] = 0x5A;  // a wrong checksum stays as it was: nothing was edited
  MadtEdit e = keep_only_cpu(t.data(), t.size(), 0);
  EXPECT_EQ(e.cpus_hidden, 0u);
  EXPECT_EQ(t[9], 0x5A);
}

TEST(Madt, MalformedEntriesStopTheScanWithoutWritingPastTheEnd) {
  auto t = madt();
  t[52 + 1] = 0;  // second entry claims length 0
  MadtEdit e = keep_only_cpu(t.data(), t.size(), 0);
  EXPECT_EQ(e.cpus_seen, 1u);
  auto u = madt();
  std::vector<u8> cut(u.begin(), u.begin() + 56);  // ends inside an entry
  MadtEdit f = keep_only_cpu(cut.data(), cut.size(), 0);
  EXPECT_EQ(f.cpus_seen, 1u);
  EXPECT_EQ(keep_only_cpu(nullptr, 100, 0).cpus_seen, 0u);
  EXPECT_EQ(keep_only_cpu(cut.data(), 40, 0).cpus_seen, 0u);
}

// ---- Several CPUs: listing and keep sets ----

// A MADT like a 6-CPU machine's: four local APICs (IDs 0-3, UIDs 10-13), an x2APIC
// entry (ID 0x100, UID 0x20304), a disabled but online-capable local APIC (ID 5, hot-
// pluggable), a disabled one that is not online capable (ID 6, never usable), and the
// non-CPU entries a real table has in between: IOAPIC, interrupt source override, local APIC NMI.
constexpr usize kAt0 = 44, kAt1 = 52, kAt2 = 60, kAtIoapic = 68, kAtOverride = 80, kAt3 = 90, kAtX2 = 98, kAtNmi = 114,
                kAt5 = 120, kAt6 = 128, kEnd = 136;
std::vector<u8> multi_cpu_madt() {
  std::vector<u8> t(44, 0);
  t[0] = 'A', t[1] = 'P', t[2] = 'I', t[3] = 'C';
  auto add = [&](std::vector<u8> e) { t.insert(t.end(), e.begin(), e.end()); };
  add({0, 8, 10, 0, 1, 0, 0, 0});                                // APIC ID 0 (boot CPU), enabled
  add({0, 8, 11, 1, 1, 0, 0, 0});                                // APIC ID 1
  add({0, 8, 12, 2, 1, 0, 0, 0});                                // APIC ID 2
  add({1, 12, 0, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0});              // IOAPIC
  add({2, 10, 0, 0, 2, 0, 0, 0, 0, 0});                          // interrupt source override IRQ0 -> GSI 2
  add({0, 8, 13, 3, 1, 0, 0, 0});                                // APIC ID 3
  add({9, 16, 0, 0, 0x00, 0x01, 0, 0, 1, 0, 0, 0, 4, 3, 2, 0});  // x2APIC ID 256, UID 0x20304, enabled
  add({4, 6, 0xFF, 5, 0, 1});                                    // local APIC NMI, all CPUs, LINT1
  add({0, 8, 15, 5, 2, 0, 0, 0});                                // APIC ID 5, online capable
  add({0, 8, 16, 6, 0, 0, 0, 0});                                // APIC ID 6, disabled for good
  t[4] = u8(t.size());
  t[9] = u8(-sum(t));
  return t;
}

u32 flags_at(const std::vector<u8>& t, usize at) {
  return load_le32(t.data() + at);
}

TEST(MadtMulti, LayoutOfTheTestTable) {
  auto t = multi_cpu_madt();
  ASSERT_EQ(t.size(), kEnd);
  EXPECT_EQ(t[kAtIoapic], 1);
  EXPECT_EQ(t[kAtOverride], 2);
  EXPECT_EQ(t[kAtX2], 9);
  EXPECT_EQ(t[kAtNmi], 4);
  EXPECT_EQ(t[kAt6 + 3], 6);
  EXPECT_EQ(sum(t), 0);
}

TEST(MadtMulti, ListsEveryProcessorEntryInTableOrder) {
  auto t = multi_cpu_madt();
  MadtCpu c[10] = {};
  ASSERT_EQ(list_madt_cpus(t.data(), t.size(), c, 10), 7u);
  const u32 ids[] = {0, 1, 2, 3, 0x100, 5, 6};
  const u32 uids[] = {10, 11, 12, 13, 0x20304, 15, 16};
  for (usize i = 0; i < 7; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(c[i].apic_id, ids[i]);
    EXPECT_EQ(c[i].uid, uids[i]);
    EXPECT_EQ(c[i].x2apic, i == 4);
    EXPECT_EQ(c[i].enabled, i < 5);
    EXPECT_EQ(c[i].online_capable, i == 5);
  }
  EXPECT_EQ(c[7].apic_id, 0u);  // nothing written past the count
  EXPECT_EQ(c[7].uid, 0u);
}

TEST(MadtMulti, ListingIsReadOnly) {
  auto t = multi_cpu_madt();
  const auto before = t;
  MadtCpu c[8];
  EXPECT_EQ(list_madt_cpus(t.data(), t.size(), c, 8), 7u);
  EXPECT_EQ(t, before);
}

TEST(MadtMulti, MaxSmallerThanCountWritesOnlyMax) {
  auto t = multi_cpu_madt();
  MadtCpu c[4];
  for (auto& x : c) x = MadtCpu{0xAAAA, 0xBBBB, false, false, false};
  EXPECT_EQ(list_madt_cpus(t.data(), t.size(), c, 2), 7u);
  EXPECT_EQ(c[0].apic_id, 0u);
  EXPECT_EQ(c[1].apic_id, 1u);
  EXPECT_EQ(c[2].apic_id, 0xAAAAu);  // untouched
  EXPECT_EQ(c[2].uid, 0xBBBBu);
  EXPECT_EQ(list_madt_cpus(t.data(), t.size(), nullptr, 0), 7u);  // just count
  c[0].apic_id = 0xAAAA;
  EXPECT_EQ(list_madt_cpus(t.data(), t.size(), c, 0), 7u);
  EXPECT_EQ(c[0].apic_id, 0xAAAAu);
}

TEST(MadtMulti, KeepSetHidesTheRestAndFixesTheChecksum) {
  auto t = multi_cpu_madt();
  const u32 keep[] = {0, 2, 0x100};
  MadtEdit e = keep_only_cpus(t.data(), t.size(), keep, 3);
  EXPECT_EQ(e.cpus_seen, 7u);
  EXPECT_EQ(e.cpus_hidden, 3u);  // 1, 3 and the online-capable 5; 6 was already disabled
  EXPECT_TRUE(e.keep_found);
  EXPECT_EQ(flags_at(t, kAt0 + 4), 1u);
  EXPECT_EQ(flags_at(t, kAt1 + 4), 0u);
  EXPECT_EQ(flags_at(t, kAt2 + 4), 1u);
  EXPECT_EQ(flags_at(t, kAt3 + 4), 0u);
  EXPECT_EQ(flags_at(t, kAtX2 + 8), 1u);
  EXPECT_EQ(flags_at(t, kAt5 + 4), 0u);
  EXPECT_EQ(flags_at(t, kAt6 + 4), 0u);
  EXPECT_EQ(sum(t), 0);
  MadtCpu c[8];
  ASSERT_EQ(list_madt_cpus(t.data(), t.size(), c, 8), 7u);
  usize enabled = 0;
  for (usize i = 0; i < 7; ++i) enabled += c[i].enabled || c[i].online_capable;
  EXPECT_EQ(enabled, 3u);
}

TEST(MadtMulti, OnlyTheFlagBytesChange) {
  auto t = multi_cpu_madt();
  const auto before = t;
  const u32 keep[] = {3};
  keep_only_cpus(t.data(), t.size(), keep, 1);
  for (usize i = 0; i < t.size(); ++i) {
    const bool flag = i == kAt0 + 4 || i == kAt1 + 4 || i == kAt2 + 4 || i == kAtX2 + 8 || i == kAt5 + 4;
    if (i == 9 || flag) continue;  // the checksum and the flags of the hidden CPUs
    EXPECT_EQ(t[i], before[i]) << "byte " << i;
  }
  EXPECT_EQ(flags_at(t, kAt3 + 4), 1u);
  EXPECT_EQ(t[kAtIoapic + 6], 0xC0);
  EXPECT_EQ(t[kAtOverride + 4], 2);
  EXPECT_EQ(sum(t), 0);
}

TEST(MadtMulti, UpperFlagBitsSurviveHiding) {
  auto t = multi_cpu_madt();
  t[kAt1 + 4] = 0x07, t[kAt1 + 7] = 0x80;  // enabled, online capable, a reserved bit 2 and bit 31
  t[9] = 0, t[9] = u8(-sum(t));
  const u32 keep[] = {0};
  keep_only_cpus(t.data(), t.size(), keep, 1);
  EXPECT_EQ(flags_at(t, kAt1 + 4), 0x80000004u);
  EXPECT_EQ(sum(t), 0);
}

TEST(MadtMulti, KeepingAnOnlineCapableCpuLeavesItAsItIs) {
  auto t = multi_cpu_madt();
  const u32 keep[] = {0, 5};
  MadtEdit e = keep_only_cpus(t.data(), t.size(), keep, 2);
  EXPECT_TRUE(e.keep_found);
  EXPECT_EQ(e.cpus_hidden, 4u);
  EXPECT_EQ(flags_at(t, kAt5 + 4), 2u);  // not enabled by keeping it
}

TEST(MadtMulti, KeepingEveryCpuChangesNothing) {
  auto t = multi_cpu_madt();
  t[9] = u8(t[9] + 1);  // a wrong checksum is left as it was when nothing is edited
  const auto before = t;
  const u32 keep[] = {6, 5, 0x100, 3, 2, 1, 0};
  MadtEdit e = keep_only_cpus(t.data(), t.size(), keep, 7);
  EXPECT_EQ(e.cpus_seen, 7u);
  EXPECT_EQ(e.cpus_hidden, 0u);
  EXPECT_TRUE(e.keep_found);
  EXPECT_EQ(t, before);
}

TEST(MadtMulti, EditingTwiceHidesNothingMore) {
  auto t = multi_cpu_madt();
  const u32 keep[] = {0, 1};
  EXPECT_EQ(keep_only_cpus(t.data(), t.size(), keep, 2).cpus_hidden, 4u);
  const auto once = t;
  MadtEdit e = keep_only_cpus(t.data(), t.size(), keep, 2);
  EXPECT_EQ(e.cpus_hidden, 0u);
  EXPECT_EQ(e.cpus_seen, 7u);
  EXPECT_EQ(t, once);
}

TEST(MadtMulti, AMissingKeptIdIsReportedButTheOthersAreStillKept) {
  auto t = multi_cpu_madt();
  const u32 keep[] = {0, 4, 1};  // there is no APIC ID 4
  MadtEdit e = keep_only_cpus(t.data(), t.size(), keep, 3);
  EXPECT_FALSE(e.keep_found);
  EXPECT_EQ(e.cpus_hidden, 4u);
  EXPECT_EQ(flags_at(t, kAt0 + 4), 1u);
  EXPECT_EQ(flags_at(t, kAt1 + 4), 1u);
  EXPECT_EQ(sum(t), 0);
}

// An x2APIC ID only matches the full 32 bits: 0x100 is not APIC ID 0.
TEST(MadtMulti, X2apicIdsCompareAllThirtyTwoBits) {
  auto t = multi_cpu_madt();
  const u32 keep[] = {0};
  MadtEdit e = keep_only_cpus(t.data(), t.size(), keep, 1);
  EXPECT_EQ(flags_at(t, kAtX2 + 8), 0u);
  EXPECT_EQ(e.cpus_hidden, 5u);
  t = multi_cpu_madt();
  const u32 keep_x2[] = {0x100};
  keep_only_cpus(t.data(), t.size(), keep_x2, 1);
  EXPECT_EQ(flags_at(t, kAt0 + 4), 0u);
  EXPECT_EQ(flags_at(t, kAtX2 + 8), 1u);
}

TEST(MadtMulti, DuplicateKeptIdsAreHarmless) {
  auto t = multi_cpu_madt();
  const u32 keep[] = {2, 2, 2};
  MadtEdit e = keep_only_cpus(t.data(), t.size(), keep, 3);
  EXPECT_TRUE(e.keep_found);
  EXPECT_EQ(e.cpus_hidden, 5u);
  EXPECT_EQ(flags_at(t, kAt2 + 4), 1u);
}

// "Every ID in keep has an entry" holds for an empty set; every usable CPU is hidden.
TEST(MadtMulti, AnEmptyKeepSetHidesEveryCpu) {
  auto t = multi_cpu_madt();
  MadtEdit e = keep_only_cpus(t.data(), t.size(), nullptr, 3);  // a null set is empty
  EXPECT_EQ(e.cpus_hidden, 6u);
  EXPECT_TRUE(e.keep_found);
  EXPECT_EQ(sum(t), 0);
  auto u = multi_cpu_madt();
  const u32 unused[] = {0};
  EXPECT_EQ(keep_only_cpus(u.data(), u.size(), unused, 0).cpus_hidden, 6u);
  EXPECT_EQ(flags_at(u, kAt0 + 4), 0u);
}

TEST(MadtMulti, KeepOnlyCpuIsTheOneElementSet) {
  for (u32 id : {0u, 3u, 0x100u, 5u, 6u, 4u}) {
    SCOPED_TRACE(id);
    auto a = multi_cpu_madt(), b = multi_cpu_madt();
    MadtEdit x = keep_only_cpu(a.data(), a.size(), id);
    MadtEdit y = keep_only_cpus(b.data(), b.size(), &id, 1);
    EXPECT_EQ(a, b);
    EXPECT_EQ(x.cpus_seen, y.cpus_seen);
    EXPECT_EQ(x.cpus_hidden, y.cpus_hidden);
    EXPECT_EQ(x.keep_found, y.keep_found);
    EXPECT_EQ(x.keep_found, id != 4);
  }
}

// ---- Malformed and truncated tables ----

TEST(MadtMalformed, NullOrShortTablesHaveNoCpus) {
  auto t = multi_cpu_madt();
  MadtCpu c[8];
  const u32 keep[] = {0};
  EXPECT_EQ(list_madt_cpus(nullptr, 100, c, 8), 0u);
  MadtEdit e = keep_only_cpus(nullptr, 100, keep, 1);
  EXPECT_EQ(e.cpus_seen, 0u);
  EXPECT_FALSE(e.keep_found);
  for (usize len : {usize{0}, usize{36}, usize{43}}) {
    SCOPED_TRACE(len);
    const auto before = t;
    EXPECT_EQ(list_madt_cpus(t.data(), len, c, 8), 0u);
    MadtEdit f = keep_only_cpus(t.data(), len, keep, 1);
    EXPECT_EQ(f.cpus_seen, 0u);
    EXPECT_EQ(f.cpus_hidden, 0u);
    EXPECT_FALSE(f.keep_found);
    EXPECT_EQ(t, before);
  }
  EXPECT_EQ(list_madt_cpus(t.data(), 44, c, 8), 0u);  // a header with no entries
  EXPECT_EQ(list_madt_cpus(t.data(), 45, c, 8), 0u);  // one byte: no room for type and length
}

TEST(MadtMalformed, EntryLengthZeroOrOneStopsTheScan) {
  for (u8 bad : {u8{0}, u8{1}}) {
    SCOPED_TRACE(int(bad));
    auto t = multi_cpu_madt();
    t[kAt2 + 1] = bad;
    MadtCpu c[8];
    EXPECT_EQ(list_madt_cpus(t.data(), t.size(), c, 8), 2u);
    const u32 keep[] = {0, 3};
    MadtEdit e = keep_only_cpus(t.data(), t.size(), keep, 2);
    EXPECT_EQ(e.cpus_seen, 2u);
    EXPECT_EQ(e.cpus_hidden, 1u);
    EXPECT_FALSE(e.keep_found);  // 3 is behind the bad entry
    EXPECT_EQ(flags_at(t, kAt3 + 4), 1u);
    EXPECT_EQ(sum(t), 0);  // the checksum covers the whole table, the bad entry too
  }
}

TEST(MadtMalformed, EntryPastTheEndStopsTheScan) {
  auto t = multi_cpu_madt();
  t[kAt6 + 1] = 9;  // the last entry claims one byte more than the table has
  MadtCpu c[8];
  EXPECT_EQ(list_madt_cpus(t.data(), t.size(), c, 8), 6u);
  t[kAt6 + 1] = 0xFF;
  EXPECT_EQ(list_madt_cpus(t.data(), t.size(), c, 8), 6u);
  auto u = multi_cpu_madt();
  u[kAtX2 + 1] = 0xF0;  // a long entry in the middle hides everything after it
  EXPECT_EQ(list_madt_cpus(u.data(), u.size(), c, 8), 4u);
}

// Every cut of the table is scanned without reading or writing at or past the cut
// (the bytes past it are changed, and must stay as they were).
TEST(MadtMalformed, TruncatedTablesNeverTouchBytesPastLen) {
  const auto full = multi_cpu_madt();
  for (usize len = 0; len <= full.size(); ++len) {
    SCOPED_TRACE(len);
    auto t = full;
    for (usize i = len; i < t.size(); ++i) t[i] = 0xEE;
    const auto tail = std::vector<u8>(t.begin() + long(len), t.end());
    const u32 keep[] = {0};
    MadtEdit e = keep_only_cpus(t.data(), len, keep, 1);
    EXPECT_EQ(std::vector<u8>(t.begin() + long(len), t.end()), tail);
    MadtCpu c[8];
    const usize n = list_madt_cpus(full.data(), len, c, 8);
    EXPECT_EQ(e.cpus_seen, n);
    usize expect_n = 0;
    for (usize at : {kAt0, kAt1, kAt2, kAt3, kAtX2, kAt5, kAt6}) {
      const usize entry_len = full[at + 1];
      if (at + entry_len <= len) ++expect_n;
    }
    EXPECT_EQ(n, expect_n);
    if (e.cpus_hidden != 0) {
      u8 s = 0;
      for (usize i = 0; i < len; ++i) s = u8(s + t[i]);
      EXPECT_EQ(s, 0);  // the checksum covers only [0, len)
    }
  }
}

// Processor entries shorter than their type needs are skipped, not misread.
TEST(MadtMalformed, ShortProcessorEntriesAreSkipped) {
  std::vector<u8> t(44, 0);
  auto add = [&](std::vector<u8> e) { t.insert(t.end(), e.begin(), e.end()); };
  add({0, 6, 1, 1, 1, 0});                                             // local APIC with no room for its flags
  add({9, 12, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0});                          // x2APIC without its UID
  add({0, 8, 2, 2, 1, 0, 0, 0});                                       // a good one after them
  add({9, 20, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0});  // longer than needed: fine
  MadtCpu c[4];
  ASSERT_EQ(list_madt_cpus(t.data(), t.size(), c, 4), 2u);
  EXPECT_EQ(c[0].apic_id, 2u);
  EXPECT_EQ(c[1].apic_id, 9u);
  EXPECT_EQ(c[1].uid, 5u);
  EXPECT_TRUE(c[1].x2apic);
}

}  // namespace
