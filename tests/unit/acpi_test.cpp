#include "tv/acpi.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "fake_phys.hpp"

namespace {
using namespace tv;

using testing_phys::FakePhys;

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

namespace {
constexpr u64 kRsdp = 0xF5A10;  // where qemu_like() puts it

// Two ACPI results: both ok (true: compare the values), or both the same error.
template <class T>
bool both_ok(const Result<T, AcpiError>& a, const Result<T, AcpiError>& b) {
  EXPECT_EQ(a.ok(), b.ok());
  if (!a.ok() && !b.ok()) {
    EXPECT_EQ(a.error(), b.error());
  }
  return a.ok() && b.ok();
}
void expect_same(const Result<AcpiTable, AcpiError>& a, const Result<AcpiTable, AcpiError>& b) {
  if (!both_ok(a, b)) return;
  EXPECT_EQ(a->address, b->address);
  EXPECT_EQ(a->length, b->length);
}
void expect_same(const Result<AcpiPowerInfo, AcpiError>& a, const Result<AcpiPowerInfo, AcpiError>& b) {
  if (!both_ok(a, b)) return;
  EXPECT_EQ(a->fadt_address, b->fadt_address);
  EXPECT_EQ(a->pm1a_control_port, b->pm1a_control_port);
  EXPECT_EQ(a->pm1b_control_port, b->pm1b_control_port);
  EXPECT_EQ(a->reset_io, b->reset_io);
  EXPECT_EQ(a->reset_port, b->reset_port);
  EXPECT_EQ(a->reset_value, b->reset_value);
  EXPECT_EQ(a->dsdt_address, b->dsdt_address);
}
}  // namespace

TEST(Acpi, FindRsdpFindsItOrSaysThereIsNone) {
  auto m = qemu_like(0x604);
  auto r = find_rsdp(m);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(*r, kRsdp);
  FakePhys empty;
  EXPECT_EQ(find_rsdp(empty).error(), AcpiError::NoRsdp);
}

TEST(Acpi, KnownRsdpOverloadsMatchTheSearchingOnes) {
  const FakePhys machines[] = {qemu_like(0x604), qemu_like(0x604, false, true, /*q35=*/true),
                               qemu_like(0x604, /*corrupt_fadt=*/true), qemu_like(0x604, false, /*with_fadt=*/false),
                               qemu_like(0)};
  for (const FakePhys& m : machines) {
    ASSERT_EQ(*find_rsdp(m), kRsdp);
    const char signatures[][5] = {"FACP", "APIC", "RSDT", "MCFG"};
    for (const auto& sig : signatures) expect_same(find_acpi_table(m, kRsdp, sig), find_acpi_table(m, sig));
    expect_same(find_acpi_power_info(m, kRsdp), find_acpi_power_info(m));
  }
  // And what they give, once: the q35 FADT through the known RSDP.
  auto q35 = qemu_like(0x604, false, true, true);
  auto t = find_acpi_table(q35, kRsdp, "FACP");
  ASSERT_TRUE(t.ok()) << to_string(t.error());
  EXPECT_EQ(t->address, 0x3FFE1000u);
  EXPECT_EQ(t->length, 244u);
  EXPECT_EQ(find_acpi_table(q35, kRsdp, "MCFG").error(), AcpiError::NoSuchTable);
  auto info = find_acpi_power_info(q35, kRsdp);
  ASSERT_TRUE(info.ok()) << to_string(info.error());
  EXPECT_EQ(info->reset_port, 0xCF9);
}

TEST(Acpi, KnownRsdpOverloadsWithABadRsdpAddress) {
  auto m = qemu_like(0x604);
  // Unreadable (the fake reads nothing at or above 1 MiB that was not put there).
  EXPECT_EQ(find_acpi_table(m, 0x5000'0000, "FACP").error(), AcpiError::Unreadable);
  EXPECT_EQ(find_acpi_power_info(m, 0x5000'0000).error(), AcpiError::Unreadable);
  // Readable but not an RSDP (zeros: the RSDT address is 0, which holds no table).
  EXPECT_FALSE(find_acpi_table(m, 0x1000, "FACP").ok());
  EXPECT_FALSE(find_acpi_power_info(m, 0x1000).ok());
  // The RSDT's address instead of the RSDP's.
  EXPECT_FALSE(find_acpi_table(m, 0x3FFE0000, "FACP").ok());
}
