// Which RSDP the VMM uses (tv/rsdp.hpp): validation, the EFI configuration
// table over fake memory, and the order of the sources.
#include "tv/rsdp.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "fake_phys.hpp"

namespace tv {
namespace {

using testing_phys::FakePhys;

void fix_sum(std::vector<u8>& b, size_t at, size_t n) {
  u8 s = 0;
  for (size_t i = 0; i < n; ++i) s = u8(s + b[i]);
  b[at] = u8(b[at] - s);
}

std::vector<u8> rsdp(u8 revision, u32 rsdt = 0x7FE0000) {
  std::vector<u8> r(revision >= 2 ? 36 : 20, 0);
  std::memcpy(r.data(), "RSD PTR ", 8);
  std::memcpy(r.data() + 9, "TVTEST", 6);
  r[15] = revision;
  std::memcpy(r.data() + 16, &rsdt, 4);
  fix_sum(r, 8, 20);
  if (revision >= 2) {
    r[20] = 36;
    fix_sum(r, 32, 36);
  }
  return r;
}

void le(std::vector<u8>& b, u64 v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(u8(v >> (8 * i)));
}

// An EFI system table at `st` whose configuration table at `table` lists `entries`.
void put_system_table(FakePhys& m, u64 st, u64 table, const std::vector<std::pair<const u8*, u64>>& entries,
                      bool is64 = true) {
  std::vector<u8> t(is64 ? kEfiSt64Size : kEfiSt32Size, 0);
  const u64 sig = kEfiSystemTableSignature;
  std::memcpy(t.data(), &sig, 8);
  const u64 n = entries.size();
  std::memcpy(t.data() + (is64 ? 104 : 64), &n, is64 ? 8 : 4);
  std::memcpy(t.data() + (is64 ? 112 : 68), &table, is64 ? 8 : 4);
  m.put(st, t);
  std::vector<u8> ct;
  for (auto [guid, ptr] : entries) {
    ct.insert(ct.end(), guid, guid + 16);
    le(ct, ptr, is64 ? 8 : 4);
  }
  m.put(table, ct);
}

const u8 kOtherGuid[16] = {0x31, 0xd0, 0x12, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

TEST(Rsdp, ValidRsdpsOfBothRevisionsPassAndBrokenOnesAreNamed) {
  auto v1 = rsdp(0), v2 = rsdp(2);
  EXPECT_EQ(*check_rsdp(v1.data(), v1.size()), 20u);
  EXPECT_EQ(*check_rsdp(v2.data(), v2.size()), 36u);
  auto bad = v1;
  bad[0] = 'X';
  EXPECT_EQ(check_rsdp(bad.data(), bad.size()).error(), RsdpError::BadSignature);
  bad = v1;
  bad[17] ^= 1;
  EXPECT_EQ(check_rsdp(bad.data(), bad.size()).error(), RsdpError::BadChecksum);
  bad = v2;
  bad[33] ^= 1;  // the extended checksum only
  EXPECT_EQ(check_rsdp(bad.data(), bad.size()).error(), RsdpError::BadChecksum);
  bad = v2;
  bad[20] = 200;
  EXPECT_EQ(check_rsdp(bad.data(), bad.size()).error(), RsdpError::BadLength);
  EXPECT_EQ(check_rsdp(v2.data(), 30).error(), RsdpError::Unreadable);
}

TEST(Rsdp, TheEfiConfigurationTablePrefersAcpi20) {
  FakePhys m;
  m.put(0x7F00'0000, rsdp(0));
  m.put(0x7F00'1000, rsdp(2));
  put_system_table(m, 0x7E00'0018, 0x7E00'1000,
                   {{kOtherGuid, 0x1234}, {kEfiAcpi10Guid, 0x7F00'0000}, {kEfiAcpi20Guid, 0x7F00'1000}});
  EXPECT_EQ(*rsdp_from_efi_system_table(m, 0x7E00'0018, true), 0x7F00'1000u);
  // A 32-bit firmware's table (tag 11) with the ACPI 1.0 entry only.
  put_system_table(m, 0x7D00'0000, 0x7D00'1000, {{kEfiAcpi10Guid, 0x7F00'0000}}, false);
  EXPECT_EQ(*rsdp_from_efi_system_table(m, 0x7D00'0000, false), 0x7F00'0000u);
}

TEST(Rsdp, ABrokenAcpi20EntryFallsBackToAcpi10) {
  FakePhys m;
  m.put(0x7F00'0000, rsdp(0));
  put_system_table(m, 0x7E00'0000, 0x7E00'1000,
                   {{kEfiAcpi20Guid, 0x9'0000'0000ull}, {kEfiAcpi10Guid, 0x7F00'0000}});  // 2.0 unreadable
  EXPECT_EQ(*rsdp_from_efi_system_table(m, 0x7E00'0000, true), 0x7F00'0000u);
}

TEST(Rsdp, MalformedSystemTablesAreRefused) {
  FakePhys m;
  EXPECT_EQ(rsdp_from_efi_system_table(m, 0x7E00'0000, true).error(), RsdpError::Unreadable);
  std::vector<u8> junk(kEfiSt64Size, 0x41);
  m.put(0x7E00'0000, junk);
  EXPECT_EQ(rsdp_from_efi_system_table(m, 0x7E00'0000, true).error(), RsdpError::NotEfiSystemTable);
  put_system_table(m, 0x7E00'0000, 0x7E00'1000, {{kOtherGuid, 0x1234}});
  EXPECT_EQ(rsdp_from_efi_system_table(m, 0x7E00'0000, true).error(), RsdpError::NoAcpiTable);
  // NumberOfTableEntries far beyond reason: refused before reading any entry.
  std::vector<u8> count;
  le(count, 1ull << 40, 8);
  m.put(0x7E00'0000 + 104, count);
  EXPECT_EQ(rsdp_from_efi_system_table(m, 0x7E00'0000, true).error(), RsdpError::TooManyTables);
  // A configuration table pointer outside readable memory.
  put_system_table(m, 0x7C00'0000, 0x7C00'1000, {{kEfiAcpi20Guid, 0x7F00'0000}});
  std::vector<u8> ptr;
  le(ptr, 0xA'0000'0000ull, 8);
  m.put(0x7C00'0000 + 112, ptr);
  EXPECT_EQ(rsdp_from_efi_system_table(m, 0x7C00'0000, true).error(), RsdpError::Unreadable);
  // The ACPI entry points at something that is not an RSDP.
  put_system_table(m, 0x7B00'0000, 0x7B00'1000, {{kEfiAcpi20Guid, 0x7B00'2000}});
  m.put(0x7B00'2000, std::vector<u8>(36, 0x20));
  EXPECT_EQ(rsdp_from_efi_system_table(m, 0x7B00'0000, true).error(), RsdpError::BadSignature);
}

TEST(Rsdp, TheSourcesAreTriedInOrder) {
  FakePhys m;
  m.put(0xF5000, rsdp(0));      // the BIOS area
  m.put(0x7F00'0000, rsdp(2));  // the firmware's, named by the EFI table
  m.put(0x7FF0'0000, rsdp(2));  // the VMM's copy of the tag
  m.put(0x7F10'0000, rsdp(0));  // what acpi.rsdp= names
  put_system_table(m, 0x7E00'0000, 0x7E00'1000, {{kEfiAcpi20Guid, 0x7F00'0000}});
  RsdpOffer all;
  all.cmdline_given = true;
  all.cmdline_address = 0x7F10'0000;
  all.efi_system_table = 0x7E00'0000;
  all.tag_copy_address = 0x7FF0'0000;
  all.tag_source = RsdpSource::Multiboot2NewTag;
  RsdpChoice c = choose_rsdp(m, all);
  EXPECT_EQ(c.source, RsdpSource::CommandLine);
  EXPECT_EQ(c.address, 0x7F10'0000u);

  RsdpOffer o = all;
  o.cmdline_address = 0x7F10'0004;  // garbage: refused, with the reason, and the next source wins
  c = choose_rsdp(m, o);
  EXPECT_TRUE(c.cmdline_refused);
  EXPECT_EQ(c.cmdline_error, RsdpError::Unreadable);  // 20 bytes from there run past what is readable
  o.cmdline_address = 0x7F10'0000 - 0x10;
  m.put(o.cmdline_address, std::vector<u8>(16, 0));
  c = choose_rsdp(m, o);
  EXPECT_EQ(c.cmdline_error, RsdpError::BadSignature);
  EXPECT_EQ(c.source, RsdpSource::EfiSystemTable);
  EXPECT_EQ(c.address, 0x7F00'0000u);

  o.cmdline_given = false;
  o.efi_system_table = 0x7E00'0100;  // not a system table
  c = choose_rsdp(m, o);
  EXPECT_FALSE(c.cmdline_refused);
  EXPECT_TRUE(c.efi_refused);
  EXPECT_EQ(c.source, RsdpSource::Multiboot2NewTag);
  EXPECT_EQ(c.address, 0x7FF0'0000u);

  o.efi_system_table = 0;
  o.tag_copy_address = 0;
  c = choose_rsdp(m, o);
  EXPECT_EQ(c.source, RsdpSource::BiosSearch);
  EXPECT_EQ(c.address, 0xF5000u);

  o.bios_search = false;
  c = choose_rsdp(m, o);
  EXPECT_EQ(c.source, RsdpSource::None);
  EXPECT_EQ(c.address, 0u);
}

}  // namespace
}  // namespace tv

// --- source 5: the firmware's ACPI memory (multiboot v1 under UEFI) ---------

namespace tv {
namespace {

// An ACPI range of `size` zero bytes at `base`, with an "RSDT" header at 0x7FE0000
// (the rsdp() helper's default root) and an "XSDT" one at kXsdt.
constexpr u64 kAcpiBase = 0x3FB6D000, kAcpiSize = 0x12000, kXsdt = 0x7FF0000;
FakePhys acpi_memory() {
  FakePhys m;
  m.put(kAcpiBase, std::vector<u8>(kAcpiSize, 0));
  m.put(0x7FE0000, {'R', 'S', 'D', 'T'});
  m.put(kXsdt, {'X', 'S', 'D', 'T'});
  return m;
}
std::vector<u8> rsdp_v2_with_xsdt() {
  std::vector<u8> r = rsdp(2);
  std::memcpy(r.data() + 24, &kXsdt, 8);
  r[8] = 0;
  fix_sum(r, 8, 20);
  r[32] = 0;
  fix_sum(r, 32, 36);
  return r;
}

TEST(RsdpAcpiMemorySearch, FindsA4ByteAlignedRsdpAndPrefersRevision2) {
  FakePhys m = acpi_memory();
  const Range acpi{kAcpiBase, kAcpiSize};
  m.put(kAcpiBase + 0x11000, rsdp(0));              // OVMF: an ACPI 1.0 RSDP ...
  m.put(kAcpiBase + 0x11014, rsdp_v2_with_xsdt());  // ... and the 2.0 one, 4-byte aligned
  EXPECT_EQ(search_rsdp_in(m, &acpi, 1), kAcpiBase + 0x11014);
  FakePhys only_v1 = acpi_memory();
  only_v1.put(kAcpiBase + 0x11000, rsdp(0));
  EXPECT_EQ(search_rsdp_in(only_v1, &acpi, 1), kAcpiBase + 0x11000);
}

TEST(RsdpAcpiMemorySearch, AnRsdpAcrossAChunkBoundaryIsFound) {
  FakePhys m = acpi_memory();
  const Range acpi{kAcpiBase, kAcpiSize};
  m.put(kAcpiBase + 1024 - 12, rsdp_v2_with_xsdt());  // starts 12 bytes before the second KiB
  EXPECT_EQ(search_rsdp_in(m, &acpi, 1), kAcpiBase + 1024 - 12);
}

TEST(RsdpAcpiMemorySearch, CandidatesThatAreNotRsdpsAreSkipped) {
  FakePhys m = acpi_memory();
  const Range acpi{kAcpiBase, kAcpiSize};
  std::vector<u8> bad_sum = rsdp(0);
  bad_sum[9] ^= 1;
  m.put(kAcpiBase + 0x100, bad_sum);
  m.put(kAcpiBase + 0x200, rsdp(0, 0x7FD0000));  // checksum fine, but no RSDT there
  m.put(kAcpiBase + 0x302, rsdp(0));             // not 4-byte aligned
  EXPECT_EQ(search_rsdp_in(m, &acpi, 1), 0u);
  EXPECT_EQ(search_rsdp_in(m, nullptr, 0), 0u);
  m.put(kAcpiBase + 0x400, rsdp(0));
  EXPECT_EQ(search_rsdp_in(m, &acpi, 1), kAcpiBase + 0x400);
}

TEST(RsdpAcpiMemorySearch, IsTheLastSourceAfterTheBiosSearch) {
  FakePhys m = acpi_memory();
  const Range acpi{kAcpiBase, kAcpiSize};
  m.put(kAcpiBase + 0x11014, rsdp_v2_with_xsdt());
  RsdpOffer offer;
  offer.acpi_memory = &acpi;
  offer.acpi_memory_count = 1;
  RsdpChoice c = choose_rsdp(m, offer);  // the BIOS areas (zeros here) hold none
  EXPECT_EQ(c.address, kAcpiBase + 0x11014);
  EXPECT_EQ(c.source, RsdpSource::AcpiMemorySearch);
  m.put(0xE0000, rsdp(0));  // with one in the BIOS area, that one wins
  c = choose_rsdp(m, offer);
  EXPECT_EQ(c.address, 0xE0000u);
  EXPECT_EQ(c.source, RsdpSource::BiosSearch);
}

}  // namespace
}  // namespace tv
