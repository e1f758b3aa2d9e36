#include "tv/acpi_edit.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {
using namespace tv;
using Bytes = std::vector<u8>;

// Physical memory [0, 16 KiB) as one byte buffer; beyond it is unreadable.
class BufferPhys : public PhysMemory {
 public:
  Bytes b = Bytes(0x4000, 0);
  bool read(u64 gpa, void* dst, usize len) const override {
    if (gpa > b.size() || len > b.size() - gpa) return false;
    std::memcpy(dst, b.data() + gpa, len);
    return true;
  }
  u8* at(u64 a) { return b.data() + a; }
  u32 u32_at(u64 a) const {
    u32 v;
    std::memcpy(&v, b.data() + a, 4);
    return v;
  }
  u64 u64_at(u64 a) const {
    u64 v;
    std::memcpy(&v, b.data() + a, 8);
    return v;
  }
};

constexpr u64 kRsdp = 0x0, kRsdt = 0x100, kXsdt = 0x200;
constexpr u64 kFacp = 0x1000, kIvrs = 0x1100, kApic = 0x1200, kHpet = 0x1300;

u8 sum(const u8* p, usize n) {
  u8 s = 0;
  for (usize i = 0; i < n; ++i) s = u8(s + p[i]);
  return s;
}

void header(BufferPhys& m, u64 at, const char* sig, u32 len) {
  std::memcpy(m.at(at), sig, 4);
  std::memcpy(m.at(at + 4), &len, 4);
  m.at(at)[8] = 1;
  std::memcpy(m.at(at + 10), "TVTEST", 6);
  m.at(at)[9] = 0;
  m.at(at)[9] = u8(-sum(m.at(at), len));
}

// RSDT and XSDT each listing `tables` in order.
BufferPhys make(const std::vector<u64>& tables) {
  BufferPhys m;
  header(m, kFacp, "FACP", 36);
  header(m, kIvrs, "IVRS", 48);
  header(m, kApic, "APIC", 44);
  header(m, kHpet, "HPET", 56);
  for (size_t i = 0; i < tables.size(); ++i) {
    u32 a32 = u32(tables[i]);
    u64 a64 = tables[i];
    std::memcpy(m.at(kRsdt + 36 + 4 * i), &a32, 4);
    std::memcpy(m.at(kXsdt + 36 + 8 * i), &a64, 8);
  }
  header(m, kRsdt, "RSDT", u32(36 + 4 * tables.size()));
  header(m, kXsdt, "XSDT", u32(36 + 8 * tables.size()));
  u8* r = m.at(kRsdp);
  std::memcpy(r, "RSD PTR ", 8);
  r[15] = 2;
  u32 rsdt = kRsdt, len = 36;
  u64 xsdt = kXsdt;
  std::memcpy(r + 16, &rsdt, 4);
  std::memcpy(r + 20, &len, 4);
  std::memcpy(r + 24, &xsdt, 8);
  r[8] = u8(-sum(r, 20));
  r[32] = u8(-sum(r, 36));
  return m;
}

std::vector<u64> entries(const BufferPhys& m, u64 sdt, usize width) {
  std::vector<u64> v;
  const u32 len = m.u32_at(sdt + 4);
  for (u64 a = sdt + 36; a < sdt + len; a += width) v.push_back(width == 4 ? m.u32_at(a) : m.u64_at(a));
  return v;
}

Result<usize, AcpiEditError> remove(BufferPhys& m, u64 sdt, const char (&sig)[5], usize cap = 0x100) {
  return remove_sdt_entries(m.at(sdt), cap, m, sig);
}

TEST(AcpiEdit, ReadsTheRsdp) {
  BufferPhys m = make({kFacp});
  auto p = read_rsdp(m.at(kRsdp), 36);
  ASSERT_TRUE(p.ok()) << to_string(p.error());
  EXPECT_EQ(p->rsdt, kRsdt);
  EXPECT_EQ(p->xsdt, kXsdt);
  EXPECT_EQ(read_rsdp(m.at(kRsdp), 35).error(), AcpiEditError::Truncated);
  EXPECT_EQ(read_rsdp(m.at(kRsdp), 19).error(), AcpiEditError::Truncated);
  EXPECT_EQ(read_rsdp(nullptr, 36).error(), AcpiEditError::Truncated);
  m.at(kRsdp)[30] ^= 1;  // in the extended part
  EXPECT_EQ(read_rsdp(m.at(kRsdp), 36).error(), AcpiEditError::BadChecksum);
  // Revision 0 (ACPI 1.0): no XSDT, only the first checksum counts.
  m.at(kRsdp)[15] = 0;
  m.at(kRsdp)[8] = 0;
  m.at(kRsdp)[8] = u8(-sum(m.at(kRsdp), 20));
  p = read_rsdp(m.at(kRsdp), 20);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->xsdt, 0u);
  m.at(kRsdp)[0] = 'X';
  EXPECT_EQ(read_rsdp(m.at(kRsdp), 20).error(), AcpiEditError::BadSignature);
}

TEST(AcpiEdit, RemovesFromRsdtAndXsdt) {
  BufferPhys m = make({kFacp, kIvrs, kApic, kHpet});
  auto p = read_rsdp(m.at(kRsdp), 36);
  ASSERT_TRUE(p.ok());
  for (auto [sdt, width] : {std::pair{p->rsdt, usize(4)}, std::pair{p->xsdt, usize(8)}}) {
    auto r = remove(m, sdt, "IVRS");
    ASSERT_TRUE(r.ok()) << to_string(r.error());
    EXPECT_EQ(*r, 1u);
    EXPECT_EQ(m.u32_at(sdt + 4), 36 + 3 * width);
    EXPECT_EQ(sum(m.at(sdt), 36 + 3 * width), 0);
    EXPECT_EQ(entries(m, sdt, width), (std::vector<u64>{kFacp, kApic, kHpet}));
    for (usize i = 36 + 3 * width; i < 36 + 4 * width; ++i) EXPECT_EQ(m.at(sdt)[i], 0) << i;  // freed tail
    // Again: nothing left to remove, nothing written.
    Bytes before(m.at(sdt), m.at(sdt) + 0x100);
    auto again = remove(m, sdt, "IVRS");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, 0u);
    EXPECT_EQ(Bytes(m.at(sdt), m.at(sdt) + 0x100), before);
  }
  // The table itself is untouched.
  EXPECT_EQ(std::memcmp(m.at(kIvrs), "IVRS", 4), 0);
}

TEST(AcpiEdit, FirstAndLastEntries) {
  BufferPhys m = make({kIvrs, kFacp, kHpet});
  ASSERT_EQ(*remove(m, kRsdt, "IVRS"), 1u);
  EXPECT_EQ(entries(m, kRsdt, 4), (std::vector<u64>{kFacp, kHpet}));
  ASSERT_EQ(*remove(m, kXsdt, "HPET"), 1u);
  EXPECT_EQ(entries(m, kXsdt, 8), (std::vector<u64>{kIvrs, kFacp}));
  BufferPhys only = make({kIvrs});
  ASSERT_EQ(*remove(only, kXsdt, "IVRS"), 1u);
  EXPECT_EQ(only.u32_at(kXsdt + 4), 36u);
  EXPECT_EQ(sum(only.at(kXsdt), 36), 0);
}

TEST(AcpiEdit, ListedTwiceGoesTwice) {
  BufferPhys m = make({kIvrs, kFacp, kIvrs, kApic});
  ASSERT_EQ(*remove(m, kRsdt, "IVRS"), 2u);
  EXPECT_EQ(entries(m, kRsdt, 4), (std::vector<u64>{kFacp, kApic}));
  ASSERT_EQ(*remove(m, kXsdt, "IVRS"), 2u);
  EXPECT_EQ(entries(m, kXsdt, 8), (std::vector<u64>{kFacp, kApic}));
  EXPECT_EQ(sum(m.at(kXsdt), m.u32_at(kXsdt + 4)), 0);
}

TEST(AcpiEdit, MissingAndUnreadableEntries) {
  BufferPhys m = make({kFacp, 0x10'0000, kApic});  // the middle one points outside memory
  Bytes before = m.b;
  auto r = remove(m, kRsdt, "IVRS");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
  EXPECT_EQ(m.b, before);
  ASSERT_EQ(*remove(m, kXsdt, "APIC"), 1u);
  EXPECT_EQ(entries(m, kXsdt, 8), (std::vector<u64>{kFacp, 0x10'0000}));
  // An empty RSDT.
  BufferPhys e = make({});
  EXPECT_EQ(*remove(e, kRsdt, "IVRS"), 0u);
}

TEST(AcpiEdit, MalformedTablesAreRefusedUnchanged) {
  BufferPhys m = make({kFacp, kIvrs, kApic});
  Bytes before = m.b;
  // The length field says 48 (RSDT) / 60 (XSDT); a buffer shorter than that.
  for (usize cap = 0; cap < 48; ++cap) EXPECT_EQ(remove(m, kRsdt, "IVRS", cap).error(), AcpiEditError::Truncated);
  for (usize cap = 0; cap < 60; ++cap) EXPECT_EQ(remove(m, kXsdt, "IVRS", cap).error(), AcpiEditError::Truncated);
  EXPECT_EQ(remove_sdt_entries(nullptr, 100, m, "IVRS").error(), AcpiEditError::Truncated);
  EXPECT_EQ(m.b, before);
  // A length below the header.
  BufferPhys s = make({kIvrs});
  u32 short_len = 20;
  std::memcpy(s.at(kRsdt + 4), &short_len, 4);
  EXPECT_EQ(remove(s, kRsdt, "IVRS").error(), AcpiEditError::Truncated);
  // A length that cuts an entry in half.
  BufferPhys h = make({kIvrs, kFacp});
  header(h, kRsdt, "RSDT", 36 + 6);
  header(h, kXsdt, "XSDT", 36 + 12);
  EXPECT_EQ(remove(h, kRsdt, "IVRS").error(), AcpiEditError::BadLength);
  EXPECT_EQ(remove(h, kXsdt, "IVRS").error(), AcpiEditError::BadLength);
  // Bad checksum, wrong signature.
  BufferPhys c = make({kIvrs});
  c.at(kXsdt)[36] ^= 0x40;
  EXPECT_EQ(remove(c, kXsdt, "IVRS").error(), AcpiEditError::BadChecksum);
  EXPECT_EQ(remove(c, kFacp, "IVRS").error(), AcpiEditError::BadSignature);
  for (int e = 1; e <= int(AcpiEditError::BadLength); ++e)
    EXPECT_STRNE(to_string(AcpiEditError(e)), "unknown ACPI edit error");
}

}  // namespace
