// PCI configuration space as the guest reaches it: the 0CF8h address register,
// MCFG and ECAM pages, and the guard that keeps the VMM's functions and
// registers from the guest.
#include "tv/pci_config.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace {
using namespace tv;
using namespace tv::pci;

// --- Configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2) --------------

u32 config_address(bool enable, u8 bus, u8 dev, u8 fn, u8 reg) {
  return (enable ? 0x8000'0000u : 0) | u32(bus) << 16 | u32(dev) << 11 | u32(fn) << 8 | reg;
}

TEST(PciConfig, DeviceIdIsBusDeviceFunction) {
  EXPECT_EQ(device_id(0, 0, 0), 0x0000u);
  EXPECT_EQ(device_id(0, 3, 0), 0x0018u);  // 00:03.0
  EXPECT_EQ(device_id(0x12, 3, 5), 0x121Du);
  EXPECT_EQ(device_id(0xFF, 0x1F, 7), 0xFFFFu);
  // Out-of-range device and function numbers do not spill into other fields.
  EXPECT_EQ(device_id(1, 0x20, 0), 0x0100u);
  EXPECT_EQ(device_id(1, 0, 8), 0x0100u);
  static_assert(kConfigAddressPort == 0xCF8 && kConfigDataPort == 0xCFC);
}

TEST(PciConfig, DecodesTheAddressRegister) {
  const u32 a = config_address(true, 0x12, 3, 5, 0x44);
  ConfigTarget t = decode_config_address(a, 0xCFC);
  EXPECT_TRUE(t.enabled);
  EXPECT_EQ(t.device_id, device_id(0x12, 3, 5));
  EXPECT_EQ(t.offset, 0x44u);
  // The data port's byte within the dword: 0CFCh..0CFFh add 0..3.
  EXPECT_EQ(decode_config_address(a, 0xCFD).offset, 0x45u);
  EXPECT_EQ(decode_config_address(a, 0xCFE).offset, 0x46u);
  EXPECT_EQ(decode_config_address(a, 0xCFF).offset, 0x47u);
  // Bit 31 clear: not enabled (the fields still decode).
  t = decode_config_address(config_address(false, 0x12, 3, 5, 0x44), 0xCFC);
  EXPECT_FALSE(t.enabled);
  EXPECT_EQ(t.device_id, 0x121Du);
  // Bits 1:0 are not part of the dword offset.
  EXPECT_EQ(decode_config_address(a | 3, 0xCFC).offset, 0x44u);
  // The last dword of the 256-byte space, top byte.
  EXPECT_EQ(decode_config_address(config_address(true, 0xFF, 0x1F, 7, 0xFC), 0xCFF).offset, 0xFFu);
  EXPECT_EQ(decode_config_address(config_address(true, 0xFF, 0x1F, 7, 0xFC), 0xCFF).device_id, 0xFFFFu);
}

TEST(PciConfig, ReservedAddressBitsAreNeitherJudgedNorSent) {
  // Bits 27:24 (AMD's EnableCf8ExtCfg register bits 11:8) and bits 1:0: QEMU
  // ignores the first and ORs the second into the port's byte, a northbridge
  // may decode the first. The VMM judges without them and sends
  // config_address_of(t), so every reading of the raw value is moot.
  const u32 a = config_address(true, 0, 0x18, 3, 0x44) | (0xAu << 24) | 3u;
  const ConfigTarget t = decode_config_address(a, 0xCFE);
  EXPECT_EQ(t.offset, 0x46u);
  EXPECT_EQ(t.device_id, device_id(0, 0x18, 3));  // bits 27:24 are not bus bits
  EXPECT_EQ(config_address_of(t), config_address(true, 0, 0x18, 3, 0x44));
  const ConfigTarget r = decode_config_address(a | (7u << 28), 0xCFE);  // reserved 30:28 too
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.offset, t.offset);
  EXPECT_EQ(config_address_of(r), config_address_of(t));
  // Disabled stays disabled on the way out.
  EXPECT_EQ(config_address_of(decode_config_address(a & ~0x80000000u, 0xCFC)) & 0x80000000u, 0u);
}

TEST(PciConfig, PortAccessesAreClassifiedByEveryByteTheyTouch) {
  using A = ConfigPortAccess;
  EXPECT_EQ(classify_config_port_access(0xCF8, 4), A::Address);
  for (u16 port = 0xCFC; port <= 0xCFF; ++port) EXPECT_EQ(classify_config_port_access(port, 1), A::Data) << port;
  EXPECT_EQ(classify_config_port_access(0xCFC, 4), A::Data);
  EXPECT_EQ(classify_config_port_access(0xCFE, 2), A::Data);
  // Misaligned: part address register, part window (the CPU splits them).
  EXPECT_EQ(classify_config_port_access(0xCF9, 4), A::Straddling);
  EXPECT_EQ(classify_config_port_access(0xCFA, 4), A::Straddling);
  EXPECT_EQ(classify_config_port_access(0xCFB, 2), A::Straddling);
  // Past the window's end.
  EXPECT_EQ(classify_config_port_access(0xCFD, 4), A::Straddling);
  EXPECT_EQ(classify_config_port_access(0xCFF, 2), A::Straddling);
  // Not configuration: the reset control byte, other bytes of 0CF8h-0CFBh, neighbours.
  EXPECT_EQ(classify_config_port_access(0xCF9, 1), A::Other);
  EXPECT_EQ(classify_config_port_access(0xCF8, 2), A::Other);
  EXPECT_EQ(classify_config_port_access(0xCF8, 1), A::Other);
  EXPECT_EQ(classify_config_port_access(0xCF4, 4), A::Other);
  EXPECT_EQ(classify_config_port_access(0xD00, 4), A::Other);
}

// --- MCFG (PCI Firmware 3.2 §4.1.2) and ECAM (PCIe Base §7.2.2) --------------

void put_le(std::vector<u8>& t, usize at, u64 v, usize bytes) {
  for (usize i = 0; i < bytes; ++i) t.at(at + i) = u8(v >> (8 * i));
}

void fix_checksum(std::vector<u8>& t, usize len) {
  t[9] = 0;
  u8 sum = 0;
  for (usize i = 0; i < len; ++i) sum = u8(sum + t[i]);
  t[9] = u8(-sum);
}

// Table 4-3: a 36-byte ACPI header + 8 reserved bytes, then 16-byte entries
// (Table 4-4: base 8, segment 2, start bus 1, end bus 1, reserved 4).
std::vector<u8> mcfg(const std::vector<EcamWindow>& entries) {
  std::vector<u8> t(44 + 16 * entries.size(), 0);
  std::memcpy(t.data(), "MCFG", 4);
  put_le(t, 4, t.size(), 4);
  t[8] = 1;  // revision
  for (usize i = 0; i < entries.size(); ++i) {
    const usize at = 44 + 16 * i;
    put_le(t, at, entries[i].base, 8);
    put_le(t, at + 8, entries[i].segment, 2);
    t[at + 10] = entries[i].start_bus;
    t[at + 11] = entries[i].end_bus;
  }
  fix_checksum(t, t.size());
  return t;
}

constexpr EcamWindow kQ35{0xB000'0000ull, 0, 0, 0xFF};  // QEMU q35's MMCONFIG window

Result<usize, McfgError> parse(const std::vector<u8>& t, EcamWindow* out, usize max) {
  return parse_mcfg(t.data(), t.size(), out, max);
}

TEST(PciMcfg, ParsesEntries) {
  const auto t = mcfg({kQ35, {0x1'0000'0000ull + 0x10'0000, 1, 0x10, 0x1F}});
  EcamWindow out[4] = {};
  auto n = parse(t, out, 4);
  ASSERT_TRUE(n.ok()) << to_string(n.error());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(out[0].base, 0xB000'0000u);
  EXPECT_EQ(out[0].segment, 0u);
  EXPECT_EQ(out[0].start_bus, 0u);
  EXPECT_EQ(out[0].end_bus, 0xFFu);
  EXPECT_EQ(out[1].base, 0x1'0010'0000ull);
  EXPECT_EQ(out[1].segment, 1u);
  EXPECT_EQ(out[1].start_bus, 0x10u);
  EXPECT_EQ(out[1].end_bus, 0x1Fu);
  // No entries; one bus (start == end).
  EXPECT_EQ(*parse(mcfg({}), out, 4), 0u);
  EXPECT_EQ(*parse(mcfg({{0xE000'0000, 0, 5, 5}}), out, 4), 1u);
  // Bytes past the length field are not the table's.
  auto longer = t;
  longer.resize(t.size() + 16, 0xEE);
  EXPECT_EQ(*parse(longer, out, 4), 2u);
}

TEST(PciMcfg, MoreEntriesThanMaxWritesOnlyMaxAndCountsAll) {
  const auto t = mcfg({kQ35, {0xC000'0000, 1, 0, 0xFF}, {0xD000'0000, 2, 0, 0xFF}});
  const EcamWindow sentinel{0x5A5A'5A5A, 0x5A5A, 0x5A, 0x5A};
  EcamWindow out[3] = {sentinel, sentinel, sentinel};
  auto n = parse(t, out, 2);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);  // the table's count: the caller sees that out holds fewer
  EXPECT_EQ(out[0].base, 0xB000'0000u);
  EXPECT_EQ(out[1].base, 0xC000'0000u);
  EXPECT_EQ(out[2].base, sentinel.base);  // untouched
  EcamWindow none = sentinel;
  EXPECT_EQ(*parse(t, &none, 0), 3u);
  EXPECT_EQ(none.base, sentinel.base);
}

TEST(PciMcfg, Errors) {
  EcamWindow out[2];
  const auto good = mcfg({kQ35});
  // Shorter than the header.
  EXPECT_EQ(parse_mcfg(good.data(), 43, out, 2).error(), McfgError::Truncated);
  EXPECT_EQ(parse_mcfg(nullptr, 60, out, 2).error(), McfgError::Truncated);
  // The length field says more than the buffer holds.
  EXPECT_EQ(parse_mcfg(good.data(), good.size() - 1, out, 2).error(), McfgError::Truncated);
  // The length field says less than a header.
  auto tiny = good;
  put_le(tiny, 4, 40, 4);
  fix_checksum(tiny, 40);
  EXPECT_EQ(parse(tiny, out, 2).error(), McfgError::Truncated);
  // Another table.
  auto apic = good;
  std::memcpy(apic.data(), "APIC", 4);
  fix_checksum(apic, apic.size());
  EXPECT_EQ(parse(apic, out, 2).error(), McfgError::BadSignature);
  // One byte changed.
  auto bad = good;
  bad[44] ^= 0x01;
  EXPECT_EQ(parse(bad, out, 2).error(), McfgError::BadChecksum);
  // Entries: base 0, a base not 1 MiB-aligned, buses out of order.
  EXPECT_EQ(parse(mcfg({{0, 0, 0, 0xFF}}), out, 2).error(), McfgError::BadEntry);
  EXPECT_EQ(parse(mcfg({{0xB008'0000, 0, 0, 0xFF}}), out, 2).error(), McfgError::BadEntry);
  EXPECT_EQ(parse(mcfg({{0xB000'1000, 0, 0, 0xFF}}), out, 2).error(), McfgError::BadEntry);
  EXPECT_EQ(parse(mcfg({{0xB000'0000, 0, 2, 1}}), out, 2).error(), McfgError::BadEntry);
  EXPECT_EQ(parse(mcfg({kQ35, {0xC000'0000, 0, 0x20, 0x1F}}), out, 2).error(), McfgError::BadEntry);  // the 2nd
}

TEST(PciMcfg, ErrorsHaveNames) {
  for (int e = 1; e <= int(McfgError::BadEntry); ++e) EXPECT_STRNE(to_string(McfgError(e)), "unknown MCFG error") << e;
  EXPECT_STREQ(to_string(McfgError(0)), "unknown MCFG error");
}

TEST(PciEcam, PageOfAFunction) {
  // PCIe Base §7.2.2 Table 7-1: bus 27:20, device 19:15, function 14:12.
  EXPECT_EQ(ecam_page(kQ35, device_id(0, 3, 0)), 0xB001'8000u);  // 00:03.0: base + 0x18000
  EXPECT_EQ(ecam_page(kQ35, device_id(0, 0, 0)), 0xB000'0000u);
  EXPECT_EQ(ecam_page(kQ35, device_id(0, 0, 1)), 0xB000'1000u);
  EXPECT_EQ(ecam_page(kQ35, device_id(1, 0, 0)), 0xB010'0000u);
  EXPECT_EQ(ecam_page(kQ35, 0xFFFF), 0xBFFF'F000u);  // the window's last page
}

TEST(PciEcam, BusOutsideTheWindow) {
  const EcamWindow w{0xE000'0000, 0, 0x10, 0x1F};  // base is bus 0x10's space
  EXPECT_EQ(ecam_page(w, device_id(0x10, 0, 0)), 0xE000'0000u);
  EXPECT_EQ(ecam_page(w, device_id(0x11, 3, 0)), 0xE011'8000u);
  EXPECT_EQ(ecam_page(w, device_id(0x1F, 0x1F, 7)), 0xE0FF'F000u);
  EXPECT_EQ(ecam_page(w, device_id(0x0F, 0x1F, 7)), 0u);
  EXPECT_EQ(ecam_page(w, device_id(0x20, 0, 0)), 0u);
  EXPECT_EQ(ecam_page(w, device_id(0, 3, 0)), 0u);
  const EcamWindow one{0xE000'0000, 0, 0, 0};
  EXPECT_EQ(ecam_page(one, device_id(0, 3, 0)), 0xE001'8000u);
  EXPECT_EQ(ecam_page(one, device_id(1, 0, 0)), 0u);
}

// --- ConfigGuard -------------------------------------------------------------

TEST(PciConfigGuard, HideAndIsHidden) {
  ConfigGuard g;
  EXPECT_EQ(g.hidden_count(), 0u);
  EXPECT_FALSE(g.is_hidden(0x18));
  EXPECT_TRUE(g.hide(0x18));
  EXPECT_TRUE(g.is_hidden(0x18));
  EXPECT_FALSE(g.is_hidden(0x19));   // another function of the device
  EXPECT_FALSE(g.is_hidden(0x118));  // the same device on bus 1
  EXPECT_TRUE(g.hide(0x18));         // again: no second slot
  EXPECT_EQ(g.hidden_count(), 1u);
}

TEST(PciConfigGuard, HideRefusesWhenFull) {
  ConfigGuard g;
  for (u16 id = 0; id < ConfigGuard::kMaxHidden; ++id) EXPECT_TRUE(g.hide(u16(0x100 + id))) << id;
  EXPECT_EQ(g.hidden_count(), ConfigGuard::kMaxHidden);
  EXPECT_FALSE(g.hide(0x200));
  EXPECT_FALSE(g.is_hidden(0x200));
  EXPECT_TRUE(g.hide(0x100));  // already hidden: still true
  EXPECT_EQ(g.hidden_count(), ConfigGuard::kMaxHidden);
  for (u16 id = 0; id < ConfigGuard::kMaxHidden; ++id) EXPECT_TRUE(g.is_hidden(u16(0x100 + id))) << id;
}

TEST(PciConfigGuard, HiddenFunctionsHideEveryAccess) {
  ConfigGuard g;
  ASSERT_TRUE(g.hide(0x18));
  for (u16 off : {u16(0), u16(0x3C), u16(0xFFC)})
    for (u8 size : {u8(1), u8(2), u8(4)}) {
      EXPECT_EQ(g.check(0x18, off, size, false), ConfigVerdict::Hidden) << off;
      EXPECT_EQ(g.check(0x18, off, size, true), ConfigVerdict::Hidden) << off;
    }
  EXPECT_EQ(g.check(0x10, 0, 4, true), ConfigVerdict::Pass);
  EXPECT_EQ(g.check(0x10, 0, 4, false), ConfigVerdict::Pass);
}

TEST(PciConfigGuard, ProtectedRegisterRefusesOverlappingWrites) {
  ConfigGuard g;
  const u16 host = device_id(0, 0, 0);
  ASSERT_TRUE(g.protect(host, kQ35PciexbarOffset, kQ35PciexbarBytes));  // [60h, 68h)
  // Overlapping by one byte at either edge, inside, covering it.
  EXPECT_EQ(g.check(host, 0x5D, 4, true), ConfigVerdict::WriteProtected);  // 5Dh-60h
  EXPECT_EQ(g.check(host, 0x67, 1, true), ConfigVerdict::WriteProtected);
  EXPECT_EQ(g.check(host, 0x66, 4, true), ConfigVerdict::WriteProtected);  // 66h-69h
  EXPECT_EQ(g.check(host, 0x60, 8, true), ConfigVerdict::WriteProtected);
  EXPECT_EQ(g.check(host, 0x64, 4, true), ConfigVerdict::WriteProtected);
  EXPECT_EQ(g.check(host, 0x62, 1, true), ConfigVerdict::WriteProtected);
  EXPECT_EQ(g.check(host, 0x58, 8, true), ConfigVerdict::Pass);  // 58h-5Fh: adjacent below
  EXPECT_EQ(g.check(host, 0x5C, 4, true), ConfigVerdict::Pass);
  EXPECT_EQ(g.check(host, 0x5F, 1, true), ConfigVerdict::Pass);
  EXPECT_EQ(g.check(host, 0x68, 4, true), ConfigVerdict::Pass);  // adjacent above
  // Reads pass; so do writes to the same offset of another function.
  EXPECT_EQ(g.check(host, 0x60, 8, false), ConfigVerdict::Pass);
  EXPECT_EQ(g.check(host, 0x64, 4, false), ConfigVerdict::Pass);
  EXPECT_EQ(g.check(device_id(0, 0, 1), 0x60, 8, true), ConfigVerdict::Pass);
  EXPECT_EQ(g.check(device_id(1, 0, 0), 0x60, 8, true), ConfigVerdict::Pass);
  // Hidden wins over protected.
  ASSERT_TRUE(g.hide(host));
  EXPECT_EQ(g.check(host, 0x60, 4, false), ConfigVerdict::Hidden);
  EXPECT_EQ(g.check(host, 0x60, 4, true), ConfigVerdict::Hidden);
}

TEST(PciConfigGuard, ProtectAtTheEndOfTheExtendedSpace) {
  ConfigGuard g;
  ASSERT_TRUE(g.protect(0x18, 0xFFC, 4));
  EXPECT_EQ(g.check(0x18, 0xFFF, 1, true), ConfigVerdict::WriteProtected);
  EXPECT_EQ(g.check(0x18, 0xFF8, 4, true), ConfigVerdict::Pass);
  EXPECT_EQ(g.check(0x18, 0xFFE, 4, true), ConfigVerdict::WriteProtected);
}

TEST(PciConfigGuard, ProtectRefusesZeroBytesAndWhenFull) {
  ConfigGuard g;
  EXPECT_FALSE(g.protect(0x18, 0x60, 0));
  EXPECT_EQ(g.check(0x18, 0x60, 4, true), ConfigVerdict::Pass);  // nothing protected
  for (u16 i = 0; i < ConfigGuard::kMaxProtected; ++i) EXPECT_TRUE(g.protect(0x18, u16(0x40 + 8 * i), 4)) << i;
  EXPECT_FALSE(g.protect(0x18, 0x100, 4));
  EXPECT_EQ(g.check(0x18, 0x100, 4, true), ConfigVerdict::Pass);  // the refused one
  for (u16 i = 0; i < ConfigGuard::kMaxProtected; ++i) {
    EXPECT_EQ(g.check(0x18, u16(0x40 + 8 * i), 4, true), ConfigVerdict::WriteProtected) << i;
    EXPECT_EQ(g.check(0x18, u16(0x44 + 8 * i), 4, true), ConfigVerdict::Pass) << i;
  }
}

}  // namespace

namespace tv::pci {
namespace {

TEST(PciEcam, RegisterOfAnAddressIsThePageFunctionAndOffset) {
  const EcamWindow q35{0xB000'0000, 0, 0, 0xFF};
  EcamRegister r{};
  ASSERT_TRUE(ecam_register(q35, 0xB000'0060, r));  // the host bridge's PCIEXBAR
  EXPECT_EQ(r.device_id, device_id(0, 0, 0));
  EXPECT_EQ(r.offset, 0x60u);
  ASSERT_TRUE(ecam_register(q35, 0xB001'8FFC, r));  // 00:03.0, the last dword of its 4 KiB
  EXPECT_EQ(r.device_id, device_id(0, 3, 0));
  EXPECT_EQ(r.offset, 0xFFCu);
  ASSERT_TRUE(ecam_register(q35, 0xBFFF'FFFF, r));  // the window's last byte: FF:1F.7
  EXPECT_EQ(r.device_id, device_id(0xFF, 0x1F, 7));
  EXPECT_FALSE(ecam_register(q35, 0xC000'0000, r));  // just past it
  EXPECT_FALSE(ecam_register(q35, 0xAFFF'FFFF, r));  // just below it
  // A window that starts at bus 0x10: its base is bus 0x10's space.
  const EcamWindow high{0x1'0000'0000, 1, 0x10, 0x1F};
  ASSERT_TRUE(ecam_register(high, 0x1'0010'2004, r));
  EXPECT_EQ(r.device_id, device_id(0x11, 0, 2));
  EXPECT_EQ(r.offset, 4u);
  EXPECT_EQ(ecam_page(high, r.device_id), 0x1'0010'2000u);  // and back
}

}  // namespace
}  // namespace tv::pci
