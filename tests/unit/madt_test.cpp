// Hiding the CPUs the guest must not see from its MADT.
#include "tv/madt.hpp"

#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
