#include "tv/acpi.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

namespace {
using namespace tv;

class FakePhys : public PhysMemory {
 public:
  bool read(u64 gpa, void* dst, usize len) const override {
    for (usize i = 0; i < len; ++i) {
      auto it = bytes_.find(gpa + i);
      if (it == bytes_.end()) {
        if (gpa + i < 0x100000) {  // the BIOS area reads as zeros
          static_cast<u8*>(dst)[i] = 0;
          continue;
        }
        return false;
      }
      static_cast<u8*>(dst)[i] = it->second;
    }
    return true;
  }
  void put(u64 at, const std::vector<u8>& b) {
    for (size_t i = 0; i < b.size(); ++i) bytes_[at + i] = b[i];
  }

 private:
  std::map<u64, u8> bytes_;
};

void fix_checksum(std::vector<u8>& t, size_t off, size_t len) {
  u8 sum = 0;
  for (size_t i = 0; i < len; ++i) sum = u8(sum + t[i]);
  t[off] = u8(t[off] - sum);
}

std::vector<u8> table(const char* sig, size_t len) {
  std::vector<u8> t(len, 0);
  std::memcpy(t.data(), sig, 4);
  t[4] = u8(len);
  t[5] = u8(len >> 8);
  return t;
}

// RSDP at 0xF5A10 -> RSDT at 0x3FFE0000 -> FACP at 0x3FFE1000 with PM1a_CNT = pm1a.
FakePhys qemu_like(u16 pm1a, bool corrupt_fadt = false, bool with_fadt = true, bool q35 = false) {
  FakePhys m;
  std::vector<u8> rsdp(20, 0);
  std::memcpy(rsdp.data(), "RSD PTR ", 8);
  u32 rsdt = 0x3FFE0000;
  std::memcpy(&rsdp[16], &rsdt, 4);
  fix_checksum(rsdp, 8, 20);
  m.put(0xF5A10, rsdp);
  auto r = table("RSDT", 40);
  u32 facp = with_fadt ? 0x3FFE1000 : 0x3FFE2000;
  std::memcpy(&r[36], &facp, 4);
  fix_checksum(r, 9, r.size());
  m.put(rsdt, r);
  auto f = table(with_fadt ? "FACP" : "APIC", q35 ? 244 : 116);
  u32 port = pm1a;
  std::memcpy(&f[64], &port, 4);
  u32 dsdt = 0x3FFE3000;
  std::memcpy(&f[40], &dsdt, 4);
  if (q35) {  // QEMU q35: RESET_REG_SUP, RESET_REG = I/O 0xCF9, value 0x0F, X_DSDT set
    f[113] = 0x04;
    f[116] = 1;
    f[117] = 8;
    f[120] = 0xF9;
    f[121] = 0x0C;
    f[128] = 0x0F;
    u64 xdsdt = 0x3FFE4000;
    std::memcpy(&f[140], &xdsdt, 8);
  }
  fix_checksum(f, 9, f.size());
  if (corrupt_fadt) f[100] ^= 1;
  m.put(facp, f);
  return m;
}
}  // namespace

TEST(Acpi, FindsThePm1aControlPortThroughRsdpRsdtFadt) {
  auto m = qemu_like(0x604);
  auto info = find_acpi_power_info(m);
  ASSERT_TRUE(info.ok()) << to_string(info.error());
  EXPECT_EQ(info->pm1a_control_port, 0x604);
  EXPECT_EQ(info->fadt_address, 0x3FFE1000u);
}

TEST(Acpi, Rev1FadtHasNoResetRegisterAndGivesTheDsdt) {
  auto info = find_acpi_power_info(qemu_like(0x604));
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->reset_io);
  EXPECT_EQ(info->pm1b_control_port, 0);
  EXPECT_EQ(info->dsdt_address, 0x3FFE3000u);
}

TEST(Acpi, Q35FadtGivesTheResetRegisterAndXDsdt) {
  auto info = find_acpi_power_info(qemu_like(0x604, false, true, /*q35=*/true));
  ASSERT_TRUE(info.ok()) << to_string(info.error());
  EXPECT_TRUE(info->reset_io);
  EXPECT_EQ(info->reset_port, 0xCF9);
  EXPECT_EQ(info->reset_value, 0x0F);
  EXPECT_EQ(info->dsdt_address, 0x3FFE4000u);
}

TEST(Acpi, NoRsdpIsAnError) {
  FakePhys empty;
  EXPECT_EQ(find_acpi_power_info(empty).error(), AcpiError::NoRsdp);
}

TEST(Acpi, CorruptFadtChecksumIsAnError) {
  auto m = qemu_like(0x604, /*corrupt_fadt=*/true);
  EXPECT_EQ(find_acpi_power_info(m).error(), AcpiError::BadChecksum);
}

TEST(Acpi, MissingFadtAndZeroPortAreErrors) {
  auto nofadt = qemu_like(0x604, false, /*with_fadt=*/false);
  EXPECT_EQ(find_acpi_power_info(nofadt).error(), AcpiError::NoFadt);
  auto zero = qemu_like(0);
  EXPECT_EQ(find_acpi_power_info(zero).error(), AcpiError::NoPm1aControl);
}
