// Page-table walker tests: real page tables built in a sparse fake guest-physical
// memory, for every paging mode. Entry addresses are computed by hand (not with the
// walker's own index arithmetic) so an indexing mistake cannot cancel itself out.
#include "tv/page_walk.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <initializer_list>
#include <map>
#include <utility>
#include <vector>

namespace {

using tv::PagingMode;
using tv::PagingState;
using tv::Translation;
using tv::u32;
using tv::u64;
using tv::u8;
using tv::usize;
using tv::WalkError;

constexpr u64 P = 1ull << 0;
constexpr u64 RW = 1ull << 1;
constexpr u64 US = 1ull << 2;
constexpr u64 PS = 1ull << 7;
constexpr u64 NX = 1ull << 63;

constexpr u64 kCr0Pe = 1ull << 0;
constexpr u64 kCr0Pg = 1ull << 31;
constexpr u64 kCr4Pse = 1ull << 4;
constexpr u64 kCr4Pae = 1ull << 5;
constexpr u64 kCr4La57 = 1ull << 12;
constexpr u64 kEferLme = 1ull << 8;
constexpr u64 kEferLma = 1ull << 10;
constexpr u64 kEferNxe = 1ull << 11;

// Sparse guest-physical memory: only explicitly created 4 KiB pages are readable.
class FakePhysMemory final : public tv::PhysMemory {
 public:
  bool read(u64 gpa, void* dst, usize len) const override {
    reads.emplace_back(gpa, len);
    auto* out = static_cast<u8*>(dst);
    for (usize i = 0; i < len; ++i) {
      const u64 a = gpa + i;
      auto it = pages_.find(a & ~0xFFFull);
      if (it == pages_.end()) return false;
      out[i] = it->second[a & 0xFFF];
    }
    return true;
  }

  // The fetch cache's unchecked load (only for addresses read_u64 accepted).
  u64 load_u64(u64 gpa) const {
    u64 v = 0;
    EXPECT_TRUE(read(gpa, &v, sizeof v)) << "load_u64 of an address never read: " << gpa;
    return v;
  }

  void map_page(u64 gpa) { pages_.try_emplace(gpa & ~0xFFFull); }
  void unmap_page(u64 gpa) { pages_.erase(gpa & ~0xFFFull); }

  void write64(u64 gpa, u64 v) { write_bytes(gpa, &v, sizeof v); }
  void write32(u64 gpa, u32 v) { write_bytes(gpa, &v, sizeof v); }
  void write_code(u64 gpa, std::initializer_list<u8> bytes) {
    u64 a = gpa;
    for (u8 b : bytes) write_bytes(a++, &b, 1);
  }

  mutable std::vector<std::pair<u64, usize>> reads;

 private:
  void write_bytes(u64 gpa, const void* src, usize len) {
    const auto* in = static_cast<const u8*>(src);
    for (usize i = 0; i < len; ++i) {
      const u64 a = gpa + i;
      map_page(a);
      pages_[a & ~0xFFFull][a & 0xFFF] = in[i];
    }
  }

  std::map<u64, std::array<u8, 4096>> pages_;
};

using Reads = std::vector<std::pair<u64, usize>>;

PagingState flat() {
  return {kCr0Pe, 0, 0, 0};
}
PagingState legacy32(u64 cr3, bool pse) {
  return {kCr0Pe | kCr0Pg, cr3, pse ? kCr4Pse : 0, 0};
}
PagingState pae(u64 cr3, bool nxe) {
  return {kCr0Pe | kCr0Pg, cr3, kCr4Pae | kCr4Pse, nxe ? kEferNxe : 0};
}
PagingState long4(u64 cr3, bool nxe) {
  return {kCr0Pe | kCr0Pg, cr3, kCr4Pae, kEferLme | kEferLma | (nxe ? kEferNxe : 0)};
}
PagingState long5(u64 cr3, bool nxe) {
  PagingState s = long4(cr3, nxe);
  s.cr4 |= kCr4La57;
  return s;
}

void expect_translation(const tv::Result<Translation, WalkError>& r, u64 gpa, u64 size, bool w, bool u, bool x) {
  ASSERT_TRUE(r.ok()) << tv::to_string(r.error());
  EXPECT_EQ(r->gpa, gpa);
  EXPECT_EQ(r->page_size, size);
  EXPECT_EQ(r->writable, w);
  EXPECT_EQ(r->user, u);
  EXPECT_EQ(r->executable, x);
}

void expect_error(const tv::Result<Translation, WalkError>& r, WalkError e) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), e) << "got " << tv::to_string(r.error()) << ", want " << tv::to_string(e);
}

// ---------------------------------------------------------------- mode selection

TEST(PageWalkMode, SelectsModeFromControlRegisters) {
  EXPECT_EQ(tv::paging_mode(flat()), PagingMode::Flat);
  EXPECT_EQ(tv::paging_mode(legacy32(0, false)), PagingMode::Legacy32);
  EXPECT_EQ(tv::paging_mode(legacy32(0, true)), PagingMode::Legacy32);
  EXPECT_EQ(tv::paging_mode(pae(0, false)), PagingMode::Pae);
  EXPECT_EQ(tv::paging_mode(long4(0, false)), PagingMode::Long4);
  EXPECT_EQ(tv::paging_mode(long5(0, false)), PagingMode::Long5);
  // PAE/LA57 without CR0.PG do nothing.
  EXPECT_EQ(tv::paging_mode(PagingState{kCr0Pe, 0, kCr4Pae | kCr4La57, kEferLme}), PagingMode::Flat);
  // LA57 only matters in long mode.
  EXPECT_EQ(tv::paging_mode(PagingState{kCr0Pe | kCr0Pg, 0, kCr4Pae | kCr4La57, 0}), PagingMode::Pae);
}

TEST(PageWalkMode, ErrorStrings) {
  for (auto e : {WalkError::NonCanonical, WalkError::NotPresent, WalkError::ReservedBit, WalkError::PhysReadFailed}) {
    ASSERT_NE(tv::to_string(e), nullptr);
    EXPECT_GT(std::strlen(tv::to_string(e)), 0u);
  }
}

// ---------------------------------------------------------------- flat

TEST(PageWalkFlat, IdentityTruncatedTo32BitsWithoutReads) {
  FakePhysMemory mem;
  auto r = tv::walk(mem, flat(), 0x1234'5678'9ABC'DEF0);
  expect_translation(r, 0x9ABC'DEF0, 4096, true, true, true);
  EXPECT_TRUE(mem.reads.empty());
}

// ---------------------------------------------------------------- legacy 32-bit

// gva 0x80403123: PD index 0x201, PT index 0x003, offset 0x123.
TEST(PageWalkLegacy32, FourKiBPage) {
  FakePhysMemory mem;
  mem.write32(0x1000 + 0x201 * 4, 0x2000 | P | RW | US);
  mem.write32(0x2000 + 0x003 * 4, 0x0ABC'D000 | P | RW | US);
  // CR3 PWT/PCD bits must be masked; gva upper 32 bits are not part of the address.
  auto r = tv::walk(mem, legacy32(0x1018, false), 0x1'8040'3123);
  expect_translation(r, 0x0ABC'D123, 4096, true, true, true);
  EXPECT_EQ(mem.reads, (Reads{{0x1804, 4}, {0x200C, 4}}));
}

// gva 0x80123456: PD index 0x200, offset within 4 MiB 0x123456.
TEST(PageWalkLegacy32, FourMiBPageWithPse) {
  FakePhysMemory mem;
  mem.write32(0x1800, 0x0C00'0000 | PS | P | RW);
  auto r = tv::walk(mem, legacy32(0x1000, true), 0x8012'3456);
  expect_translation(r, 0x0C12'3456, 4 * tv::MiB, true, false, true);
  EXPECT_EQ(mem.reads, (Reads{{0x1800, 4}}));
}

TEST(PageWalkLegacy32, Pse36HighAddressBits) {
  FakePhysMemory mem;
  // PDE bits 20:13 are physical-address bits 39:32.
  mem.write32(0x1800, 0x0C00'0000 | (0x12u << 13) | PS | P);
  expect_translation(tv::walk(mem, legacy32(0x1000, true), 0x8012'3456), 0x12'0C12'3456, 4 * tv::MiB, false, false,
                     true);
  mem.write32(0x1800, 0xFFC0'0000 | (0xFFu << 13) | PS | P | US);
  expect_translation(tv::walk(mem, legacy32(0x1000, true), 0x803F'FFFF), 0xFF'FFFF'FFFF, 4 * tv::MiB, false, true,
                     true);
}

TEST(PageWalkLegacy32, Pse4MiBBit21IsReserved) {
  FakePhysMemory mem;
  mem.write32(0x1800, 0x0C00'0000 | (1u << 21) | PS | P);
  expect_error(tv::walk(mem, legacy32(0x1000, true), 0x8012'3456), WalkError::ReservedBit);
}

TEST(PageWalkLegacy32, PsIgnoredWithoutCr4Pse) {
  FakePhysMemory mem;
  mem.write32(0x1800, 0x2000 | PS | P | RW | US);
  // PT index of 0x80123456 is 0x123.
  mem.write32(0x2000 + 0x123 * 4, 0x5000 | P | US);
  auto r = tv::walk(mem, legacy32(0x1000, false), 0x8012'3456);
  expect_translation(r, 0x5456, 4096, false, true, true);
  EXPECT_EQ(mem.reads, (Reads{{0x1800, 4}, {0x248C, 4}}));
}

TEST(PageWalkLegacy32, NotPresentAtEachLevel) {
  FakePhysMemory mem;
  mem.map_page(0x1000);
  expect_error(tv::walk(mem, legacy32(0x1000, false), 0x8040'3123), WalkError::NotPresent);
  mem.write32(0x1804, 0x2000 | P | RW);
  mem.map_page(0x2000);
  expect_error(tv::walk(mem, legacy32(0x1000, false), 0x8040'3123), WalkError::NotPresent);
  // A not-present entry is not checked for reserved bits.
  mem.write32(0x1800, 0xFFFF'FFFE);
  expect_error(tv::walk(mem, legacy32(0x1000, true), 0x8012'3456), WalkError::NotPresent);
}

TEST(PageWalkLegacy32, UnreadableTables) {
  FakePhysMemory mem;
  expect_error(tv::walk(mem, legacy32(0x1000, false), 0x8040'3123), WalkError::PhysReadFailed);
  mem.write32(0x1804, 0x7000 | P | RW);  // PT page 0x7000 does not exist
  expect_error(tv::walk(mem, legacy32(0x1000, false), 0x8040'3123), WalkError::PhysReadFailed);
}

TEST(PageWalkLegacy32, PermissionsAccumulate) {
  FakePhysMemory mem;
  mem.write32(0x1804, 0x2000 | P | US);  // read-only at PD level
  mem.write32(0x200C, 0x3000 | P | RW | US);
  expect_translation(tv::walk(mem, legacy32(0x1000, false), 0x8040'3123), 0x3123, 4096, false, true, true);
  mem.write32(0x1804, 0x2000 | P | RW | US);
  mem.write32(0x200C, 0x3000 | P | RW);  // supervisor at PT level
  expect_translation(tv::walk(mem, legacy32(0x1000, false), 0x8040'3123), 0x3123, 4096, true, false, true);
}

// ---------------------------------------------------------------- PAE

// gva 0xC0201ABC: PDPT index 3, PD index 1, PT index 1, offset 0xABC.
// CR3 = 0x3020: PDPT is only 32-byte aligned (CR3 bits 31:5).
class PageWalkPae : public ::testing::Test {
 protected:
  static constexpr u64 kVa = 0xC020'1ABC;
  void SetUp() override {
    mem.write64(0x3038, 0x4000 | P);
    mem.write64(0x4008, 0x5000 | P | RW | US);
    mem.write64(0x5008, 0x1'2345'6000 | P | RW | US);
  }
  FakePhysMemory mem;
};

TEST_F(PageWalkPae, FourKiBPage) {
  auto r = tv::walk(mem, pae(0x3020, false), kVa);
  expect_translation(r, 0x1'2345'6ABC, 4096, true, true, true);
  EXPECT_EQ(mem.reads, (Reads{{0x3038, 8}, {0x4008, 8}, {0x5008, 8}}));
}

TEST_F(PageWalkPae, TwoMiBPage) {
  mem.write64(0x4008, 0x4'0060'0000 | PS | P | RW);
  auto r = tv::walk(mem, pae(0x3020, false), kVa);
  expect_translation(r, 0x4'0060'1ABC, 2 * tv::MiB, true, false, true);
  EXPECT_EQ(mem.reads, (Reads{{0x3038, 8}, {0x4008, 8}}));
}

TEST_F(PageWalkPae, UpperGvaBitsIgnored) {
  expect_translation(tv::walk(mem, pae(0x3020, false), 0xFFFF'FFFF'0000'0000 | kVa), 0x1'2345'6ABC, 4096, true, true,
                     true);
}

TEST_F(PageWalkPae, NotPresentAtEachLevel) {
  mem.write64(0x5008, 0x1'2345'6000);
  expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::NotPresent);
  mem.write64(0x4008, 0x5000 | RW | US);
  expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::NotPresent);
  mem.write64(0x3038, 0x4000 | (1ull << 1));  // reserved bit but not present
  expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::NotPresent);
}

TEST_F(PageWalkPae, PdpteReservedBits) {
  for (unsigned bit : {1u, 2u, 5u, 6u, 7u, 8u, 52u, 62u, 63u}) {
    mem.write64(0x3038, 0x4000 | P | (1ull << bit));
    expect_error(tv::walk(mem, pae(0x3020, true), kVa), WalkError::ReservedBit);
  }
}

TEST_F(PageWalkPae, HighBitsReservedInPdeAndPte) {
  mem.write64(0x5008, 0x1'2345'6000 | P | (1ull << 52));
  expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::ReservedBit);
  mem.write64(0x5008, 0x1'2345'6000 | P);
  mem.write64(0x4008, 0x5000 | P | (1ull << 62));
  expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::ReservedBit);
}

TEST_F(PageWalkPae, TwoMiBReservedLowBits) {
  for (unsigned bit : {13u, 16u, 20u}) {
    mem.write64(0x4008, 0x4'0060'0000 | PS | P | (1ull << bit));
    expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::ReservedBit);
  }
  // Bit 12 is PAT in a large-page PDE, not an address or reserved bit.
  mem.write64(0x4008, 0x4'0060'0000 | (1ull << 12) | PS | P);
  expect_translation(tv::walk(mem, pae(0x3020, false), kVa), 0x4'0060'1ABC, 2 * tv::MiB, false, false, true);
}

TEST_F(PageWalkPae, NxBit) {
  mem.write64(0x5008, 0x1'2345'6000 | P | RW | US | NX);
  expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::ReservedBit);
  expect_translation(tv::walk(mem, pae(0x3020, true), kVa), 0x1'2345'6ABC, 4096, true, true, false);
  mem.write64(0x5008, 0x1'2345'6000 | P | RW | US);
  mem.write64(0x4008, 0x5000 | P | RW | US | NX);
  expect_translation(tv::walk(mem, pae(0x3020, true), kVa), 0x1'2345'6ABC, 4096, true, true, false);
}

TEST_F(PageWalkPae, UnreadableTables) {
  expect_error(tv::walk(mem, pae(0x9020, false), kVa), WalkError::PhysReadFailed);
  mem.write64(0x3038, 0x8000 | P);
  expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::PhysReadFailed);
  mem.write64(0x3038, 0x4000 | P);
  mem.write64(0x4008, 0x8000 | P);
  expect_error(tv::walk(mem, pae(0x3020, false), kVa), WalkError::PhysReadFailed);
}

// ---------------------------------------------------------------- long mode, 4-level

// gva 0xFFFF800012345678: PML4 0x100, PDPT 0x000, PD 0x091, PT 0x145, offset 0x678.
class PageWalkLong4 : public ::testing::Test {
 protected:
  static constexpr u64 kVa = 0xFFFF'8000'1234'5678;
  static constexpr u64 kPml4e = 0x10000 + 0x100 * 8;
  static constexpr u64 kPdpte = 0x11000 + 0x000 * 8;
  static constexpr u64 kPde = 0x12000 + 0x091 * 8;
  static constexpr u64 kPte = 0x13000 + 0x145 * 8;
  void SetUp() override {
    mem.write64(kPml4e, 0x11000 | P | RW | US);
    mem.write64(kPdpte, 0x12000 | P | RW | US);
    mem.write64(kPde, 0x13000 | P | RW | US);
    mem.write64(kPte, 0xF'ABCD'E000 | P | RW | US);
  }
  FakePhysMemory mem;
};

TEST_F(PageWalkLong4, FourKiBPage) {
  // CR3 PWT/PCD bits must be masked.
  auto r = tv::walk(mem, long4(0x10018, false), kVa);
  expect_translation(r, 0xF'ABCD'E678, 4096, true, true, true);
  EXPECT_EQ(mem.reads, (Reads{{0x10800, 8}, {0x11000, 8}, {0x12488, 8}, {0x13A28, 8}}));
}

TEST_F(PageWalkLong4, TwoMiBPage) {
  mem.write64(kPde, 0x2'0000'0000 | PS | P | RW | US);
  auto r = tv::walk(mem, long4(0x10000, false), kVa);
  expect_translation(r, 0x2'0014'5678, 2 * tv::MiB, true, true, true);
  EXPECT_EQ(mem.reads.size(), 3u);
}

TEST_F(PageWalkLong4, OneGiBPage) {
  mem.write64(kPdpte, 0x40'C000'0000 | PS | P | RW | US);
  auto r = tv::walk(mem, long4(0x10000, false), kVa);
  expect_translation(r, 0x40'D234'5678, tv::GiB, true, true, true);
  EXPECT_EQ(mem.reads.size(), 2u);
}

TEST_F(PageWalkLong4, LowHalfAddress) {
  // gva 0x00007F8040201ABC: PML4 0x0FF, PDPT 0x001, PD 0x001, PT 0x001.
  mem.write64(0x10000 + 0xFF * 8, 0x21000 | P | RW | US);
  mem.write64(0x21000 + 8, 0x22000 | P | RW | US);
  mem.write64(0x22000 + 8, 0x23000 | P | RW | US);
  mem.write64(0x23000 + 8, 0x77000 | P | US);
  expect_translation(tv::walk(mem, long4(0x10000, false), 0x7F80'4020'1ABC), 0x77ABC, 4096, false, true, true);
}

TEST_F(PageWalkLong4, NotPresentAtEachLevel) {
  for (u64 entry : {kPte, kPde, kPdpte, kPml4e}) {
    mem.write64(entry, 0x5000 | RW | US | (1ull << 51) | NX);  // P clear
    expect_error(tv::walk(mem, long4(0x10000, false), kVa), WalkError::NotPresent);
  }
}

TEST_F(PageWalkLong4, NonCanonicalNeverWalks) {
  for (u64 va : {0x0000'8000'0000'0000ull, 0xFFFF'7FFF'FFFF'FFFFull, 0x8000'0000'0000'0000ull, 0x0001'0000'0000'0000ull,
                 0x7FFF'FFFF'FFFF'FFFFull}) {
    expect_error(tv::walk(mem, long4(0x10000, false), va), WalkError::NonCanonical);
  }
  EXPECT_TRUE(mem.reads.empty());
}

TEST_F(PageWalkLong4, LargePageReservedBits) {
  for (unsigned bit : {13u, 17u, 20u}) {
    mem.write64(kPde, 0x2'0000'0000 | PS | P | (1ull << bit));
    expect_error(tv::walk(mem, long4(0x10000, false), kVa), WalkError::ReservedBit);
  }
  for (unsigned bit : {13u, 21u, 29u}) {
    mem.write64(kPdpte, 0x40'C000'0000 | PS | P | (1ull << bit));
    expect_error(tv::walk(mem, long4(0x10000, false), kVa), WalkError::ReservedBit);
  }
  // Bit 12 (PAT) is allowed in a 1 GiB entry.
  mem.write64(kPdpte, 0x40'C000'0000 | (1ull << 12) | PS | P);
  expect_translation(tv::walk(mem, long4(0x10000, false), kVa), 0x40'D234'5678, tv::GiB, false, false, true);
}

TEST_F(PageWalkLong4, Pml4PsIsReserved) {
  mem.write64(kPml4e, 0x11000 | PS | P | RW | US);
  expect_error(tv::walk(mem, long4(0x10000, false), kVa), WalkError::ReservedBit);
}

TEST_F(PageWalkLong4, NxWithoutNxeIsReservedAtEveryLevel) {
  for (u64 entry : {kPml4e, kPdpte, kPde, kPte}) {
    SetUp();
    u64 v = 0;
    ASSERT_TRUE(mem.read(entry, &v, sizeof v));
    mem.write64(entry, v | NX);
    expect_error(tv::walk(mem, long4(0x10000, false), kVa), WalkError::ReservedBit);
    expect_translation(tv::walk(mem, long4(0x10000, true), kVa), 0xF'ABCD'E678, 4096, true, true, false);
  }
}

TEST_F(PageWalkLong4, SoftwareBitsAboveAddressAreNotReserved) {
  // Long-mode bits 62:52 are available to software (or protection keys); they are
  // neither reserved nor part of the physical address.
  mem.write64(kPte, 0xF'ABCD'E000 | (0x7FFull << 52) | P | RW | US);
  mem.write64(kPde, 0x13000 | (1ull << 58) | P | RW | US);
  expect_translation(tv::walk(mem, long4(0x10000, false), kVa), 0xF'ABCD'E678, 4096, true, true, true);
}

TEST_F(PageWalkLong4, PermissionsAccumulate) {
  expect_translation(tv::walk(mem, long4(0x10000, true), kVa), 0xF'ABCD'E678, 4096, true, true, true);
  mem.write64(kPdpte, 0x12000 | P | RW);  // supervisor-only above a user PTE
  expect_translation(tv::walk(mem, long4(0x10000, true), kVa), 0xF'ABCD'E678, 4096, true, false, true);
  mem.write64(kPdpte, 0x12000 | P | RW | US);
  mem.write64(kPml4e, 0x11000 | P | US);  // read-only at the top
  expect_translation(tv::walk(mem, long4(0x10000, true), kVa), 0xF'ABCD'E678, 4096, false, true, true);
  mem.write64(kPml4e, 0x11000 | P | RW | US | NX);  // NX at the top forbids execution
  expect_translation(tv::walk(mem, long4(0x10000, true), kVa), 0xF'ABCD'E678, 4096, true, true, false);
  // NX on a 2 MiB leaf, read-only leaf.
  mem.write64(kPml4e, 0x11000 | P | RW | US);
  mem.write64(kPde, 0x2'0000'0000 | PS | P | US | NX);
  expect_translation(tv::walk(mem, long4(0x10000, true), kVa), 0x2'0014'5678, 2 * tv::MiB, false, true, false);
}

TEST_F(PageWalkLong4, UnreadableTables) {
  expect_error(tv::walk(mem, long4(0x90000, false), kVa), WalkError::PhysReadFailed);
  mem.write64(kPml4e, 0x7FFF'F000 | P | RW | US);
  expect_error(tv::walk(mem, long4(0x10000, false), kVa), WalkError::PhysReadFailed);
  SetUp();
  mem.write64(kPde, 0x000F'FFFF'FFFF'F000 | P | RW | US);
  expect_error(tv::walk(mem, long4(0x10000, false), kVa), WalkError::PhysReadFailed);
  // The walker asked for exactly the PT entry inside the (missing) top page.
  EXPECT_EQ(mem.reads.back(), (std::pair<u64, usize>{0x000F'FFFF'FFFF'F000 + 0x145 * 8, 8}));
}

TEST_F(PageWalkLong4, SelfReferencingTableTerminates) {
  // Every level indexes slot 0x100 of the PML4, which points back to itself.
  FakePhysMemory loop;
  loop.write64(0x10000 + 0x100 * 8, 0x10000 | P | RW | US);
  auto r = tv::walk(loop, long4(0x10000, false), 0xFFFF'8040'2010'0123);
  expect_translation(r, 0x10123, 4096, true, true, true);
  EXPECT_EQ(loop.reads.size(), 4u);
}

// ---------------------------------------------------------------- long mode, 5-level

// gva 0xFF93456789ABCDEF: PML5 0x193, PML4 0x08A, PDPT 0x19E, PD 0x04D, PT 0x0BC.
class PageWalkLong5 : public ::testing::Test {
 protected:
  static constexpr u64 kVa = 0xFF93'4567'89AB'CDEF;
  static constexpr u64 kPml5e = 0x20000 + 0x193 * 8;
  static constexpr u64 kPml4e = 0x21000 + 0x08A * 8;
  static constexpr u64 kPdpte = 0x22000 + 0x19E * 8;
  static constexpr u64 kPde = 0x23000 + 0x04D * 8;
  static constexpr u64 kPte = 0x24000 + 0x0BC * 8;
  void SetUp() override {
    mem.write64(kPml5e, 0x21000 | P | RW | US);
    mem.write64(kPml4e, 0x22000 | P | RW | US);
    mem.write64(kPdpte, 0x23000 | P | RW | US);
    mem.write64(kPde, 0x24000 | P | RW | US);
    mem.write64(kPte, 0x000F'FFFF'FFFF'F000 | P | RW | US);
  }
  FakePhysMemory mem;
};

TEST_F(PageWalkLong5, FourKiBPage) {
  auto r = tv::walk(mem, long5(0x20000, false), kVa);
  expect_translation(r, 0x000F'FFFF'FFFF'FDEF, 4096, true, true, true);
  EXPECT_EQ(mem.reads, (Reads{{0x20C98, 8}, {0x21450, 8}, {0x22CF0, 8}, {0x23268, 8}, {0x245E0, 8}}));
}

TEST_F(PageWalkLong5, LargePages) {
  mem.write64(kPde, 0x8000'0000 | PS | P | RW | US);
  expect_translation(tv::walk(mem, long5(0x20000, false), kVa), 0x8000'0000 | 0xBCDEF, 2 * tv::MiB, true, true, true);
  mem.write64(kPdpte, 0x1'0000'0000 | PS | P | RW | US);
  expect_translation(tv::walk(mem, long5(0x20000, false), kVa), 0x1'09AB'CDEF, tv::GiB, true, true, true);
}

TEST_F(PageWalkLong5, SameAddressIsNonCanonicalWithFourLevels) {
  expect_error(tv::walk(mem, long4(0x20000, false), kVa), WalkError::NonCanonical);
  EXPECT_TRUE(mem.reads.empty());
}

TEST_F(PageWalkLong5, NotPresentAtEachLevel) {
  for (u64 entry : {kPte, kPde, kPdpte, kPml4e, kPml5e}) {
    mem.write64(entry, 0);
    expect_error(tv::walk(mem, long5(0x20000, false), kVa), WalkError::NotPresent);
  }
}

TEST_F(PageWalkLong5, NonCanonical) {
  for (u64 va :
       {0x0100'0000'0000'0000ull, 0xFEFF'FFFF'FFFF'FFFFull, 0x8000'0000'0000'0000ull, 0x00FF'FFFF'FFFF'FFFFull + 1}) {
    expect_error(tv::walk(mem, long5(0x20000, false), va), WalkError::NonCanonical);
  }
  EXPECT_TRUE(mem.reads.empty());
  // 0x0000800000000000 is non-canonical with 4 levels but walks with 5.
  expect_error(tv::walk(mem, long5(0x20000, false), 0x0000'8000'0000'0000), WalkError::NotPresent);
  EXPECT_FALSE(mem.reads.empty());
}

TEST_F(PageWalkLong5, Pml5PsIsReserved) {
  mem.write64(kPml5e, 0x21000 | PS | P | RW | US);
  expect_error(tv::walk(mem, long5(0x20000, false), kVa), WalkError::ReservedBit);
}

TEST_F(PageWalkLong5, PermissionsAccumulateFromPml5) {
  mem.write64(kPml5e, 0x21000 | P | NX);
  expect_translation(tv::walk(mem, long5(0x20000, true), kVa), 0x000F'FFFF'FFFF'FDEF, 4096, false, false, false);
}

TEST_F(PageWalkLong5, UnreadableTables) {
  mem.write64(kPml5e, 0x6'0000'0000 | P | RW | US);
  expect_error(tv::walk(mem, long5(0x20000, false), kVa), WalkError::PhysReadFailed);
}

// ---------------------------------------------------------------- is_canonical

TEST(PageWalkCanonical, FourLevel) {
  EXPECT_TRUE(tv::is_canonical(0, false));
  EXPECT_TRUE(tv::is_canonical(0x0000'7FFF'FFFF'FFFF, false));
  EXPECT_TRUE(tv::is_canonical(0xFFFF'8000'0000'0000, false));
  EXPECT_TRUE(tv::is_canonical(~0ull, false));
  EXPECT_FALSE(tv::is_canonical(0x0000'8000'0000'0000, false));
  EXPECT_FALSE(tv::is_canonical(0xFFFF'7FFF'FFFF'FFFF, false));
  EXPECT_FALSE(tv::is_canonical(0x8000'0000'0000'0000, false));
}

TEST(PageWalkCanonical, FiveLevel) {
  EXPECT_TRUE(tv::is_canonical(0x0000'8000'0000'0000, true));
  EXPECT_TRUE(tv::is_canonical(0x00FF'FFFF'FFFF'FFFF, true));
  EXPECT_TRUE(tv::is_canonical(0xFF00'0000'0000'0000, true));
  EXPECT_TRUE(tv::is_canonical(~0ull, true));
  EXPECT_FALSE(tv::is_canonical(0x0100'0000'0000'0000, true));
  EXPECT_FALSE(tv::is_canonical(0xFEFF'FFFF'FFFF'FFFF, true));
}

}  // namespace

TEST(AccessPermitted, UserNeedsUserPagesAndWritesNeedWritable) {
  tv::PagingState wp{1ull << 16 | 1ull << 31 | 1, 0, 0, 0};
  tv::PagingState nowp{1ull << 31 | 1, 0, 0, 0};
  tv::Translation kernel_ro{0x1000, 4096, false, false, true};
  tv::Translation user_ro{0x1000, 4096, false, true, true};
  tv::Translation user_rw{0x1000, 4096, true, true, true};
  EXPECT_FALSE(tv::access_permitted(kernel_ro, {false, true}, wp));
  EXPECT_TRUE(tv::access_permitted(kernel_ro, {false, false}, wp));
  EXPECT_FALSE(tv::access_permitted(kernel_ro, {true, false}, wp));
  EXPECT_TRUE(tv::access_permitted(kernel_ro, {true, false}, nowp));  // CR0.WP=0: supervisor may write
  EXPECT_TRUE(tv::access_permitted(user_ro, {false, true}, wp));
  EXPECT_FALSE(tv::access_permitted(user_ro, {true, true}, nowp));  // user writes always need W
  EXPECT_TRUE(tv::access_permitted(user_rw, {true, true}, wp));
}

// ---------------------------------------------------------------- fetch translation

#include "tv/fetch_walk.hpp"

namespace {
// PML4[0] -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000, PT[5] -> 0x9000: va 0x5000 is at 0x9000.
void map_0x5000_to_0x9000(FakePhysMemory& mem, u64 cr3) {
  mem.write64(cr3, 0x2000 | 0x7);
  mem.write64(0x2000, 0x3000 | 0x7);
  mem.write64(0x3000, 0x4000 | 0x7);
  mem.write64(0x4000 + 5 * 8, 0x9000 | 0x7);
}

// Every valid translation the full walker finds, the fetch path finds too.
TEST(FetchWalk, AgreesWithTheFullWalkerOnValidTranslations) {
  FakePhysMemory mem;
  const u64 cr3 = 0x1000;
  // PML4[0] -> PDPT 0x2000; PDPT[0] -> PD 0x3000 (PD[1]: 2 MiB page at 0x40200000; PD[0] -> PT 0x4000);
  // PDPT[1]: 1 GiB page at 0x80000000; PT[5] -> 0x9000.
  map_0x5000_to_0x9000(mem, cr3);
  mem.write64(0x2008, 0x80000000 | 0x87);
  mem.write64(0x3008, 0x40200000 | 0x87);
  for (bool la57 : {false, true}) {
    PagingState st = la57 ? long5(0x5000, false) : long4(cr3, false);
    if (la57) mem.write64(0x5000, cr3 | 0x7);  // PML5[0] -> the PML4
    for (u64 va : {0x5123ull, 0x200abcull, 0x40000000ull + 0x123456}) {
      auto full = tv::walk(mem, st, va);
      auto fast = tv::translate_fetched(mem, st, va);
      ASSERT_TRUE(full.ok()) << va;
      ASSERT_TRUE(fast.ok()) << va;
      EXPECT_EQ(*fast, full->gpa) << std::hex << va;
    }
  }
}

TEST(FetchWalk, FailsOnMissingEntriesAndUnreadableTables) {
  FakePhysMemory mem;
  mem.write64(0x1000, 0x2000 | 0x7);  // PML4[0] -> PDPT at 0x2000, which is all zero
  mem.map_page(0x2000);
  EXPECT_EQ(tv::translate_fetched(mem, long4(0x1000, false), 0x1234).error(), WalkError::NotPresent);
  mem.write64(0x2000, 0x7000000 | 0x7);  // -> a PD in memory that does not exist
  EXPECT_EQ(tv::translate_fetched(mem, long4(0x1000, false), 0x1234).error(), WalkError::PhysReadFailed);
}

TEST(FetchWalk, OtherModesUseTheFullWalker) {
  FakePhysMemory mem;
  EXPECT_EQ(*tv::translate_fetched(mem, flat(), 0x1234'5678), 0x1234'5678u);
  mem.write32(0x1000, 0x2000 | 0x7);
  mem.write32(0x2000 + 4 * 3, 0x8000 | 0x7);
  EXPECT_EQ(*tv::translate_fetched(mem, legacy32(0x1000, false), 0x3abc), 0x8abcu);
}
// The cache re-reads every entry of the remembered walk: any change to any
// level, or another CR3 or page, gives the new answer, never the old one.
TEST(FetchWalk, TheCacheNeverReturnsAStaleTranslation) {
  FakePhysMemory mem;
  const u64 cr3 = 0x1000;
  map_0x5000_to_0x9000(mem, cr3);
  const PagingState st = long4(cr3, false);
  tv::FetchTranslation c;
  EXPECT_EQ(*tv::translate_fetched_cached(mem, st, 0x5123, c), 0x9123u);
  mem.reads.clear();
  EXPECT_EQ(*tv::translate_fetched_cached(mem, st, 0x5ff0, c), 0x9ff0u);  // hit: 4 loads, no walk checks
  EXPECT_EQ(mem.reads.size(), 4u);
  mem.write64(0x4000 + 5 * 8, 0xA000 | 0x7);  // the guest remaps the page (no exit, no INVLPG seen)
  EXPECT_EQ(*tv::translate_fetched_cached(mem, st, 0x5123, c), 0xA123u);
  mem.write64(0x2000, 0x6000 | 0x7);  // an upper level now points at another, empty table
  mem.map_page(0x6000);
  EXPECT_EQ(tv::translate_fetched_cached(mem, st, 0x5123, c).error(), WalkError::NotPresent);
  mem.write64(0x2000, 0x3000 | 0x7);
  EXPECT_EQ(*tv::translate_fetched_cached(mem, st, 0x5123, c), 0xA123u);
  // Another address space with the same layout elsewhere.
  mem.write64(0x11000, 0x2000 | 0x7);
  EXPECT_EQ(*tv::translate_fetched_cached(mem, long4(0x11000, false), 0x5123, c), 0xA123u);
  mem.write64(0x11000, 0);
  EXPECT_EQ(tv::translate_fetched_cached(mem, long4(0x11000, false), 0x5123, c).error(), WalkError::NotPresent);
  // Another page of the same address space is a miss, then walked.
  EXPECT_EQ(tv::translate_fetched_cached(mem, st, 0x6123, c).error(), WalkError::NotPresent);
}

}  // namespace

#include "tv/insn_cache.hpp"

namespace {

using tv::CpuMode;
using tv::DecodedInsn;
using tv::InsnCache;
using tv::InsnKind;

// Decodes what the fake memory holds at gpa, as the VMM's full path would.
DecodedInsn decode_from(const FakePhysMemory& mem, u64 gpa, CpuMode mode) {
  u8 bytes[16] = {};
  usize n = 0;
  while (n < sizeof bytes && mem.read(gpa + n, bytes + n, 1)) ++n;
  return tv::decode_insn(bytes, n, mode);
}

// A remembered instruction is returned only while every page-table entry and
// every byte of the instruction reads back unchanged.
TEST(InsnCache, AHitNeedsTheSameEntriesAndTheSameBytes) {
  FakePhysMemory mem;
  const u64 cr3 = 0x1000;
  map_0x5000_to_0x9000(mem, cr3);
  const PagingState st = long4(cr3, false);
  mem.write_code(0x9123, {0x0F, 0xA2, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC});  // CPUID, then anything
  InsnCache c;
  EXPECT_EQ(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);  // nothing remembered yet
  tv::remember_insn(mem, c, st, CpuMode::Long64, 0x5123, decode_from(mem, 0x9123, CpuMode::Long64));
  mem.reads.clear();
  const DecodedInsn* hit = tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->kind, InsnKind::Cpuid);
  EXPECT_EQ(hit->length, 2u);
  EXPECT_EQ(mem.reads.size(), 5u);  // four table entries and one load of the code
  // Bytes after the instruction do not matter; its own bytes do.
  mem.write_code(0x9125, {0x90});
  EXPECT_NE(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);
  mem.write_code(0x9124, {0x0F, 0x0B});  // the guest rewrites it (UD2 over CPUID)
  EXPECT_EQ(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);
  mem.write_code(0x9123, {0x0F, 0xA2});
  EXPECT_NE(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);
  mem.write_code(0x9123, {0x0F, 0x01, 0xD9});  // VMMCALL now
  EXPECT_EQ(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);
  mem.write_code(0x9123, {0x0F, 0xA2, 0xCC});
  // The guest remaps the page (no exit, no INVLPG seen): same bytes elsewhere still miss.
  mem.write_code(0xA123, {0x0F, 0xA2});
  mem.write64(0x4000 + 5 * 8, 0xA000 | 0x7);
  EXPECT_EQ(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);
  mem.write64(0x4000 + 5 * 8, 0x9000 | 0x7);
  EXPECT_NE(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);
  mem.write64(0x2000, 0x3000 | 0x7 | 0x20);  // an upper level changes (here only its Accessed bit)
  EXPECT_EQ(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);
  mem.write64(0x2000, 0x3000 | 0x7);
  // Another address, mode, CR3 or paging mode is a miss.
  EXPECT_EQ(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5124), nullptr);
  EXPECT_EQ(tv::cached_insn(mem, c, st, CpuMode::Prot32, 0x5123), nullptr);
  EXPECT_EQ(tv::cached_insn(mem, c, long4(0x11000, false), CpuMode::Long64, 0x5123), nullptr);
  mem.write64(0x5000, cr3 | 0x7);
  EXPECT_EQ(tv::cached_insn(mem, c, long5(0x5000, false), CpuMode::Long64, 0x5123), nullptr);
  EXPECT_NE(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5123), nullptr);
}

TEST(InsnCache, PrefixedFormsAreRememberedWithAllTheirBytes) {
  FakePhysMemory mem;
  map_0x5000_to_0x9000(mem, 0x1000);
  const PagingState st = long4(0x1000, false);
  mem.write_code(0x9200, {0x66, 0x2E, 0x0F, 0xA2});  // operand-size and CS prefixes on CPUID
  InsnCache c;
  tv::remember_insn(mem, c, st, CpuMode::Long64, 0x5200, decode_from(mem, 0x9200, CpuMode::Long64));
  const DecodedInsn* hit = tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5200);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->kind, InsnKind::Cpuid);
  EXPECT_EQ(hit->length, 4u);
  mem.write_code(0x9201, {0x3E});  // another prefix: same length, other bytes
  EXPECT_EQ(tv::cached_insn(mem, c, st, CpuMode::Long64, 0x5200), nullptr);
}

// Instructions that cross a page, are longer than one load, or were not
// recognised are never remembered; neither is anything under legacy or PAE
// paging (no entries to re-read).
TEST(InsnCache, WhatCannotBeRevalidatedCheaplyIsNotRemembered) {
  FakePhysMemory mem;
  map_0x5000_to_0x9000(mem, 0x1000);
  mem.write64(0x4000 + 6 * 8, 0xB000 | 0x7);  // va 0x6000 -> 0xB000
  const PagingState st = long4(0x1000, false);
  InsnCache c;
  mem.write_code(0x9FFF, {0x0F});
  mem.write_code(0xB000, {0xA2});
  const DecodedInsn crossing = decode_from(mem, 0x9FFF, CpuMode::Long64);
  tv::remember_insn(mem, c, st, CpuMode::Long64, 0x5FFF, crossing);
  EXPECT_FALSE(c.valid());
  mem.write_code(0x9FF9, {0x0F, 0xA2});  // fits the page, but an 8-byte load would not
  tv::remember_insn(mem, c, st, CpuMode::Long64, 0x5FF9, decode_from(mem, 0x9FF9, CpuMode::Long64));
  EXPECT_FALSE(c.valid());
  mem.write_code(0x9300, {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0F, 0xA2});  // 9 bytes
  const DecodedInsn long_one = decode_from(mem, 0x9300, CpuMode::Long64);
  EXPECT_EQ(long_one.length, 9u);
  tv::remember_insn(mem, c, st, CpuMode::Long64, 0x5300, long_one);
  EXPECT_FALSE(c.valid());
  mem.write_code(0x9400, {0x0F, 0xFF});
  tv::remember_insn(mem, c, st, CpuMode::Long64, 0x5400, decode_from(mem, 0x9400, CpuMode::Long64));
  EXPECT_FALSE(c.valid());
  mem.write_code(0x9500, {0x0F, 0xA2});
  tv::remember_insn(mem, c, st, CpuMode::Long64, 0x5500, decode_from(mem, 0x9500, CpuMode::Long64));
  EXPECT_TRUE(c.valid());
  mem.write_code(0x3500, {0x0F, 0xA2});
  tv::remember_insn(mem, c, pae(0x1000, false), CpuMode::Prot32, 0x3500, decode_from(mem, 0x3500, CpuMode::Prot32));
  EXPECT_FALSE(c.valid());
  tv::remember_insn(mem, c, legacy32(0x1000, false), CpuMode::Prot32, 0x3500,
                    decode_from(mem, 0x3500, CpuMode::Prot32));
  EXPECT_FALSE(c.valid());
}

// With paging off the linear address is the physical one: only the bytes are re-read.
TEST(InsnCache, WithoutPagingOnlyTheBytesAreRevalidated) {
  FakePhysMemory mem;
  mem.write_code(0x7C00, {0x0F, 0x01, 0xD9});
  InsnCache c;
  tv::remember_insn(mem, c, flat(), CpuMode::Prot32, 0x7C00, decode_from(mem, 0x7C00, CpuMode::Prot32));
  mem.reads.clear();
  const DecodedInsn* hit = tv::cached_insn(mem, c, flat(), CpuMode::Prot32, 0x7C00);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->kind, InsnKind::Vmmcall);
  EXPECT_EQ(mem.reads.size(), 1u);
  EXPECT_EQ(tv::cached_insn(mem, c, flat(), CpuMode::Prot16, 0x7C00), nullptr);
  EXPECT_EQ(tv::cached_insn(mem, c, long4(0x1000, false), CpuMode::Prot32, 0x7C00), nullptr);
  mem.write_code(0x7C02, {0xC1});  // VMCALL now
  EXPECT_EQ(tv::cached_insn(mem, c, flat(), CpuMode::Prot32, 0x7C00), nullptr);
}

}  // namespace
