#include "tv/ivrs.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "test_data.hpp"

// tests/unit/data/qemu-q35-ivrs.bin is the IVRS QEMU 7.2 (Debian 1:7.2+dfsg)
// builds, dumped from a guest:
//   qemu-system-x86_64 -machine q35 -accel tcg -device amd-iommu -m 512 -nographic
//     -kernel /boot/vmlinuz-6.1.0-57-amd64 -append 'console=ttyS0 panic=-1'
//     -initrd <busybox-static initramfs whose /init mounts sysfs and runs
//              `busybox od -An -tx1 -v /sys/firmware/acpi/tables/IVRS`>
// and the console hex turned back into bytes with `xxd -r -p`. (No
// intremap=off needed: QEMU 7.2 accepts amd-iommu on q35 with the default
// kernel-irqchip under TCG.) 108 bytes: one IVHD type 10h, no IVMD.

namespace {
using namespace tv;
using Bytes = std::vector<u8>;

Bytes read_data(const char* name) {
  return test::read_test_data(name);
}

void put16(Bytes& b, size_t at, u16 v) {
  b[at] = u8(v);
  b[at + 1] = u8(v >> 8);
}
void put32(Bytes& b, size_t at, u32 v) {
  put16(b, at, u16(v));
  put16(b, at + 2, u16(v >> 16));
}
void put64(Bytes& b, size_t at, u64 v) {
  put32(b, at, u32(v));
  put32(b, at + 4, u32(v >> 32));
}

// Sets the length field to the buffer's size and fixes the checksum.
void seal(Bytes& t) {
  put32(t, 4, u32(t.size()));
  t[9] = 0;
  u8 sum = 0;
  for (u8 x : t) sum = u8(sum + x);
  t[9] = u8(-sum);
}

Bytes header() {
  Bytes t(kIvrsHeaderLen, 0);
  t[0] = 'I', t[1] = 'V', t[2] = 'R', t[3] = 'S';
  t[8] = 2;
  put32(t, 36, 0x00203043);  // a real AMD machine's IVinfo
  return t;
}

// An IVHD block of `type` with `entries` appended.
Bytes ivhd(u8 type, u16 devid, u64 mmio, const Bytes& entries, u16 segment = 0) {
  const size_t hl = type == kIvhdType10 ? kIvhd10HeaderLen : kIvhd11HeaderLen;
  Bytes b(hl, 0);
  b[0] = type;
  b[1] = 0xB0;
  put16(b, 4, devid);
  put16(b, 6, 0x40);
  put64(b, 8, mmio);
  put16(b, 16, segment);
  put16(b, 18, 0x1F02);
  put32(b, 20, 0x80048F6E);
  if (type != kIvhdType10) {
    put64(b, 24, 0x0000'0246'577E'FA2Full);
    put64(b, 32, 0x5);
  }
  b.insert(b.end(), entries.begin(), entries.end());
  put16(b, 2, u16(b.size()));
  return b;
}

Bytes ivmd(u8 type, u16 first, u16 aux, u64 base, u64 length, u8 flags = 0x7) {
  Bytes b(kIvmdLen, 0);
  b[0] = type;
  b[1] = flags;
  put16(b, 2, u16(kIvmdLen));
  put16(b, 4, first);
  put16(b, 6, aux);
  put64(b, 16, base);
  put64(b, 24, length);
  return b;
}

Bytes e4(u8 type, u16 id, u8 setting = 0) {
  return {type, u8(id), u8(id >> 8), setting};
}
Bytes e8(u8 type, u16 id, u8 setting, u8 b4, u16 w5, u8 b7) {
  return {type, u8(id), u8(id >> 8), setting, b4, u8(w5), u8(w5 >> 8), b7};
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes r;
  for (const Bytes& p : parts) r.insert(r.end(), p.begin(), p.end());
  return r;
}

Bytes table(std::initializer_list<Bytes> blocks) {
  Bytes t = header();
  for (const Bytes& b : blocks) t.insert(t.end(), b.begin(), b.end());
  seal(t);
  return t;
}

struct Parsed {
  std::unique_ptr<Ivrs> ivrs = std::make_unique<Ivrs>();
  Status<IvrsError> status = Err{IvrsError::Truncated};
};
Parsed parse(const Bytes& t, size_t len) {
  Parsed p;
  // A copy of exactly len bytes, so reading past it is caught by ASan.
  std::unique_ptr<u8[]> copy(new u8[len == 0 ? 1 : len]);
  std::copy(t.begin(), t.begin() + ptrdiff_t(len), copy.get());
  p.status = parse_ivrs(copy.get(), len, *p.ivrs);
  return p;
}
Parsed parse(const Bytes& t) {
  return parse(t, t.size());
}

void expect_error(const Bytes& t, IvrsError e) {
  Parsed p = parse(t);
  ASSERT_FALSE(p.status.ok());
  EXPECT_STREQ(to_string(p.status.error()), to_string(e));
}

constexpr u64 kMmio = 0xFD200000;

// ---------------------------------------------------------------------------
// QEMU 7.2's real table.

TEST(Ivrs, QemuQ35TableParses) {
  Bytes t = read_data("qemu-q35-ivrs.bin");
  ASSERT_EQ(t.size(), 108u);
  Parsed p = parse(t);
  ASSERT_TRUE(p.status.ok()) << to_string(p.status.error());
  const Ivrs& v = *p.ivrs;
  EXPECT_EQ(v.revision, 1);
  // IVinfo 0x2800: PAsize 40, no EFR, no DMA remap.
  EXPECT_EQ(v.info.raw, 0x2800u);
  EXPECT_EQ(v.info.phys_addr_bits, 40);
  EXPECT_EQ(v.info.virt_addr_bits, 0);
  EXPECT_FALSE(v.info.efr_supported);
  EXPECT_EQ(v.memory_range_count, 0u);
  EXPECT_EQ(v.unknown_blocks, 0u);
  EXPECT_EQ(v.unknown_entries, 0u);
  ASSERT_EQ(v.iommu_count, 1u);
  const IvrsIommu& m = v.iommus[0];
  EXPECT_EQ(m.type, kIvhdType10);
  EXPECT_EQ(m.flags, 0xD1);        // HtTunEn, IotlbSup, PreFSup, PPRSup
  EXPECT_EQ(m.device_id, 0x0018);  // 00:03.0, the amd-iommu PCI device
  EXPECT_EQ(m.capability_offset, 0x40);
  EXPECT_EQ(m.mmio_base, 0xFED80000u);
  EXPECT_EQ(m.pci_segment, 0);
  EXPECT_EQ(m.iommu_info, 0);
  EXPECT_EQ(m.feature_info, 0x44u);
  EXPECT_EQ(m.efr_image, 0u);
  EXPECT_EQ(m.alternates, 0);
  // Select entries for every PCI function on bus 0 (00:00.0 host bridge,
  // 00:01.0 VGA, 00:02.0 NIC, 00:03.0 the IOMMU, 00:1f.0/2/3 ICH9 LPC/SATA/SMBus),
  // then the IOAPIC (ID 0) as 00:14.0.
  const u16 ids[] = {0x0000, 0x0008, 0x0010, 0x0018, 0x00F8, 0x00FA, 0x00FB};
  ASSERT_EQ(m.range_count, 8u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(m.ranges[i].first, ids[i]) << i;
    EXPECT_EQ(m.ranges[i].last, ids[i]) << i;
    EXPECT_EQ(m.ranges[i].kind, IvrsDeviceKind::Device) << i;
  }
  EXPECT_EQ(m.ranges[7].kind, IvrsDeviceKind::Ioapic);
  EXPECT_EQ(m.ranges[7].first, 0x00A0);
  EXPECT_EQ(m.ranges[7].handle, 0);
}

TEST(Ivrs, QemuTableTruncatedAtEveryLengthIsRefused) {
  Bytes t = read_data("qemu-q35-ivrs.bin");
  ASSERT_FALSE(t.empty());
  for (size_t len = 0; len < t.size(); ++len) {
    Parsed p = parse(t, len);
    ASSERT_FALSE(p.status.ok()) << len;
    EXPECT_EQ(p.status.error(), IvrsError::Truncated) << len;
  }
}

TEST(Ivrs, QemuTableCutShortAndResealedIsRefused) {
  // The length field and checksum agree with a shorter table: the cut lands
  // inside the IVHD, so the block runs past the table.
  Bytes t = read_data("qemu-q35-ivrs.bin");
  ASSERT_FALSE(t.empty());
  for (size_t len = kIvrsHeaderLen + 1; len < t.size(); ++len) {
    Bytes c(t.begin(), t.begin() + ptrdiff_t(len));
    seal(c);
    Parsed p = parse(c);
    ASSERT_FALSE(p.status.ok()) << len;
    EXPECT_EQ(p.status.error(), IvrsError::BadBlockLength) << len;
  }
}

TEST(Ivrs, QemuTableBadChecksumAndSignature) {
  Bytes t = read_data("qemu-q35-ivrs.bin");
  ASSERT_FALSE(t.empty());
  for (size_t i = 0; i < t.size(); i += 7) {
    if (i < 8) continue;  // signature and length have their own errors
    Bytes c = t;
    c[i] ^= 0x10;
    expect_error(c, IvrsError::BadChecksum);
  }
  Bytes s = t;
  s[0] = 'D';  // "DVRS"
  expect_error(s, IvrsError::BadSignature);
  Bytes longer = t;
  longer.push_back(0);  // a buffer longer than the table is fine
  EXPECT_TRUE(parse(longer).status.ok());
}

TEST(Ivrs, QemuTableMalformedBlockLengths) {
  Bytes t = read_data("qemu-q35-ivrs.bin");
  ASSERT_FALSE(t.empty());
  auto with_len = [&](u16 len) {
    Bytes c = t;
    put16(c, 48 + 2, len);
    seal(c);
    return c;
  };
  expect_error(with_len(0), IvrsError::BadBlockLength);
  expect_error(with_len(3), IvrsError::BadBlockLength);
  expect_error(with_len(23), IvrsError::BadBlockLength);  // below the type 10h header
  expect_error(with_len(61), IvrsError::BadBlockLength);  // one past the table
  expect_error(with_len(0xFFFF), IvrsError::BadBlockLength);
  // The block shortened by 4: the special entry (8 bytes) now runs past it,
  // and the 4 bytes left over start a block whose length (00 a0 -> 0) is bad.
  expect_error(with_len(56), IvrsError::EntryPastBlock);
  // Shortened by 8: the IVHD ends cleanly; the special entry's bytes become
  // a block of type 48h with length 0.
  expect_error(with_len(52), IvrsError::BadBlockLength);
}

TEST(Ivrs, QemuTableMmioBase) {
  Bytes t = read_data("qemu-q35-ivrs.bin");
  ASSERT_FALSE(t.empty());
  for (u64 base : {0ull, 0xFED80001ull, 0xFED80800ull, 0xFED80FFFull}) {
    Bytes c = t;
    put64(c, 48 + 8, base);
    seal(c);
    expect_error(c, IvrsError::BadMmioBase);
  }
  Bytes high = t;
  put64(high, 48 + 8, 0xFD'0000'1000ull);
  seal(high);
  Parsed p = parse(high);
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.ivrs->iommus[0].mmio_base, 0xFD'0000'1000ull);
}

TEST(Ivrs, QemuTableDuplicatedIvhdIsRefused) {
  Bytes t = read_data("qemu-q35-ivrs.bin");
  ASSERT_FALSE(t.empty());
  Bytes block(t.begin() + 48, t.end());
  Bytes c = t;
  c.insert(c.end(), block.begin(), block.end());
  seal(c);
  expect_error(c, IvrsError::DuplicateIommu);
  // The same block for another device ID is a second IOMMU.
  put16(c, 108 + 4, 0x0020);
  put64(c, 108 + 8, 0xFED90000);
  seal(c);
  Parsed p = parse(c);
  ASSERT_TRUE(p.status.ok()) << to_string(p.status.error());
  ASSERT_EQ(p.ivrs->iommu_count, 2u);
  EXPECT_EQ(p.ivrs->iommus[1].device_id, 0x0020);
  EXPECT_EQ(p.ivrs->iommus[1].range_count, 8u);
  // ... and the same device ID on another PCI segment too.
  put16(c, 108 + 4, 0x0018);
  put16(c, 108 + 16, 1);
  seal(c);
  p = parse(c);
  ASSERT_TRUE(p.status.ok()) << to_string(p.status.error());
  EXPECT_EQ(p.ivrs->iommus[1].pci_segment, 1);
}

// ---------------------------------------------------------------------------
// Hand-made tables.

TEST(Ivrs, EveryDeviceEntryKind) {
  Bytes hid_entry = {ivhd_entry::kAcpiHid, 0xA5, 0x00, 0xD7, 'A', 'M', 'D', 'I', '0', '0', '4', '0'};
  hid_entry.resize(20, 0);
  hid_entry.push_back(2);  // UID format: string
  hid_entry.push_back(3);  // UID length
  hid_entry.insert(hid_entry.end(), {'I', 'D', 0});
  Bytes entries = cat({
      e4(ivhd_entry::kAll, 0, 0x01), e4(ivhd_entry::kSelect, 0x0100, 0x02), e4(ivhd_entry::kRangeStart, 0x0200),
      e4(ivhd_entry::kRangeEnd, 0x02FF), e8(ivhd_entry::kAliasSelect, 0x0300, 0, 0, 0x0310, 0),
      e8(ivhd_entry::kAliasRange, 0x0400, 0, 0, 0x0401, 0), e4(ivhd_entry::kRangeEnd, 0x040F),
      e8(ivhd_entry::kExtSelect, 0x0500, 0, 0, 0, 0x80), e8(ivhd_entry::kExtRange, 0x0600, 0, 1, 0, 0),
      e4(ivhd_entry::kRangeEnd, 0x0607), e8(ivhd_entry::kSpecial, 0, 0xD7, 0x21, 0x00A0, 1),
      e8(ivhd_entry::kSpecial, 0, 0, 0x00, 0x00A5, 2), e8(ivhd_entry::kSpecial, 0, 0, 0x07, 0x00A6, 9), hid_entry,
      e4(0x00, 0),                   // reserved 4-byte type: skipped
      e8(0x7F, 0x1234, 0, 0, 0, 0),  // undefined 8-byte type: skipped
  });
  Bytes t = table({ivhd(kIvhdType40, 0x0002, kMmio, entries)});
  Parsed p = parse(t);
  ASSERT_TRUE(p.status.ok()) << to_string(p.status.error());
  EXPECT_EQ(p.ivrs->unknown_entries, 2u);
  ASSERT_EQ(p.ivrs->iommu_count, 1u);
  const IvrsIommu& m = p.ivrs->iommus[0];
  EXPECT_EQ(m.type, kIvhdType40);
  EXPECT_EQ(m.efr_image, 0x0000'0246'577E'FA2Full);
  EXPECT_EQ(m.efr2_image, 5u);
  EXPECT_EQ(m.iommu_info, 0x1F02);
  ASSERT_EQ(m.range_count, 11u);
  const IvrsDeviceRange* r = m.ranges;
  EXPECT_EQ(r[0].first, 0);
  EXPECT_EQ(r[0].last, 0xFFFF);
  EXPECT_EQ(r[0].setting, 1);
  EXPECT_EQ(r[1].first, 0x0100);
  EXPECT_EQ(r[1].last, 0x0100);
  EXPECT_EQ(r[1].setting, 2);
  EXPECT_EQ(r[2].first, 0x0200);
  EXPECT_EQ(r[2].last, 0x02FF);
  EXPECT_EQ(r[3].kind, IvrsDeviceKind::Alias);
  EXPECT_EQ(r[3].first, 0x0300);
  EXPECT_EQ(r[3].last, 0x0300);
  EXPECT_EQ(r[3].alias_id, 0x0310);
  EXPECT_EQ(r[4].kind, IvrsDeviceKind::Alias);
  EXPECT_EQ(r[4].first, 0x0400);
  EXPECT_EQ(r[4].last, 0x040F);
  EXPECT_EQ(r[4].alias_id, 0x0401);
  EXPECT_EQ(r[5].kind, IvrsDeviceKind::Extended);
  EXPECT_EQ(r[5].extended, 0x80000000u);
  EXPECT_EQ(r[6].kind, IvrsDeviceKind::Extended);
  EXPECT_EQ(r[6].first, 0x0600);
  EXPECT_EQ(r[6].last, 0x0607);
  EXPECT_EQ(r[6].extended, 1u);
  EXPECT_EQ(r[7].kind, IvrsDeviceKind::Ioapic);
  EXPECT_EQ(r[7].handle, 0x21);
  EXPECT_EQ(r[7].first, 0x00A0);
  EXPECT_EQ(r[7].setting, 0xD7);
  EXPECT_EQ(r[8].kind, IvrsDeviceKind::Hpet);
  EXPECT_EQ(r[8].first, 0x00A5);
  EXPECT_EQ(r[9].kind, IvrsDeviceKind::OtherSpecial);
  EXPECT_EQ(r[10].kind, IvrsDeviceKind::AcpiHid);
  EXPECT_EQ(r[10].first, 0x00A5);
  EXPECT_EQ(r[10].hid, 0x3034'3030'4944'4D41ull);  // "AMDI0040"
}

TEST(Ivrs, EntryPastItsBlock) {
  // An 8-byte entry with only 4 bytes left in the block (more blocks follow).
  Bytes cut = e8(ivhd_entry::kAliasSelect, 1, 0, 0, 2, 0);
  cut.resize(4);
  expect_error(table({ivhd(kIvhdType10, 2, kMmio, cut), ivhd(kIvhdType10, 3, kMmio + 0x1000, {})}),
               IvrsError::EntryPastBlock);
  // A 4-byte entry with 2 bytes left.
  expect_error(table({ivhd(kIvhdType11, 2, kMmio, {ivhd_entry::kSelect, 0})}), IvrsError::EntryPastBlock);
  // An ACPI HID entry whose UID length runs past the block, and one cut before its UID length.
  Bytes hid(22, 0);
  hid[0] = ivhd_entry::kAcpiHid;
  hid[21] = 4;
  expect_error(table({ivhd(kIvhdType40, 2, kMmio, hid)}), IvrsError::EntryPastBlock);
  hid.resize(21);
  expect_error(table({ivhd(kIvhdType40, 2, kMmio, hid)}), IvrsError::EntryPastBlock);
}

TEST(Ivrs, UnknownVariableLengthEntryIsRefused) {
  for (u8 type : {u8(0x80), u8(0xBF), u8(0xEF), u8(0xF1), u8(0xFF)}) {
    expect_error(table({ivhd(kIvhdType40, 2, kMmio, cat({e4(ivhd_entry::kSelect, 1), e4(type, 2)}))}),
                 IvrsError::UnknownEntryType);
  }
}

TEST(Ivrs, BrokenRanges) {
  const u8 start = ivhd_entry::kRangeStart, end = ivhd_entry::kRangeEnd;
  expect_error(table({ivhd(kIvhdType10, 2, kMmio, e4(start, 0x10))}), IvrsError::BadRange);
  expect_error(table({ivhd(kIvhdType10, 2, kMmio, e4(end, 0x10))}), IvrsError::BadRange);
  expect_error(table({ivhd(kIvhdType10, 2, kMmio, cat({e4(start, 0x10), e4(end, 0x0F)}))}), IvrsError::BadRange);
  expect_error(table({ivhd(kIvhdType10, 2, kMmio, cat({e4(start, 0x10), e4(ivhd_entry::kSelect, 1), e4(end, 0x20)}))}),
               IvrsError::BadRange);
  expect_error(table({ivhd(kIvhdType10, 2, kMmio, cat({e4(start, 0x10), e4(start, 0x11), e4(end, 0x20)}))}),
               IvrsError::BadRange);
  // A one-device range is fine.
  Parsed p = parse(table({ivhd(kIvhdType10, 2, kMmio, cat({e4(start, 0x10), e4(end, 0x10)}))}));
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.ivrs->iommus[0].range_count, 1u);
}

TEST(Ivrs, AlternativeDescriptionsKeepTheHighestType) {
  // Firmware lists one IOMMU as 10h (for old software) and 11h; either order.
  Bytes b10 = ivhd(kIvhdType10, 2, kMmio, e4(ivhd_entry::kAll, 0));
  Bytes b11 = ivhd(kIvhdType11, 2, kMmio, cat({e4(ivhd_entry::kSelect, 7), e4(ivhd_entry::kSelect, 8)}));
  for (const Bytes& t : {table({b10, b11}), table({b11, b10})}) {
    Parsed p = parse(t);
    ASSERT_TRUE(p.status.ok()) << to_string(p.status.error());
    ASSERT_EQ(p.ivrs->iommu_count, 1u);
    EXPECT_EQ(p.ivrs->iommus[0].type, kIvhdType11);
    EXPECT_EQ(p.ivrs->iommus[0].alternates, 1);
    ASSERT_EQ(p.ivrs->iommus[0].range_count, 2u);
    EXPECT_EQ(p.ivrs->iommus[0].ranges[1].first, 8);
  }
  // All three.
  Bytes b40 = ivhd(kIvhdType40, 2, kMmio, e4(ivhd_entry::kSelect, 9));
  Parsed p = parse(table({b10, b40, b11}));
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.ivrs->iommus[0].type, kIvhdType40);
  EXPECT_EQ(p.ivrs->iommus[0].alternates, 2);
  EXPECT_EQ(p.ivrs->iommus[0].range_count, 1u);
  // The ignored description is still validated.
  Bytes bad10 = ivhd(kIvhdType10, 2, kMmio, e4(ivhd_entry::kRangeStart, 0));
  expect_error(table({b11, bad10}), IvrsError::BadRange);
  // Same type twice, or disagreeing MMIO bases.
  expect_error(table({b11, b10, b11}), IvrsError::DuplicateIommu);
  expect_error(table({b10, ivhd(kIvhdType11, 2, kMmio + 0x4000, {})}), IvrsError::InconsistentIommu);
}

TEST(Ivrs, TooManyIommusAndRanges) {
  Bytes t = header();
  for (u16 i = 0; i <= Ivrs::kMaxIommus; ++i) {
    Bytes b = ivhd(kIvhdType10, u16(0x10 + i), kMmio + i * 0x10000ull, e4(ivhd_entry::kAll, 0));
    t.insert(t.end(), b.begin(), b.end());
    Bytes sealed = t;
    seal(sealed);
    Parsed p = parse(sealed);
    if (i < Ivrs::kMaxIommus) {
      ASSERT_TRUE(p.status.ok()) << i;
      EXPECT_EQ(p.ivrs->iommu_count, size_t(i) + 1);
    } else {
      ASSERT_FALSE(p.status.ok());
      EXPECT_EQ(p.status.error(), IvrsError::TooManyIommus);
    }
  }
  Bytes entries;
  for (u16 i = 0; i < IvrsIommu::kMaxDeviceRanges; ++i) entries = cat({entries, e4(ivhd_entry::kSelect, i)});
  EXPECT_TRUE(parse(table({ivhd(kIvhdType10, 2, kMmio, entries)})).status.ok());
  entries = cat({entries, e4(ivhd_entry::kSelect, 0x1000)});
  expect_error(table({ivhd(kIvhdType10, 2, kMmio, entries)}), IvrsError::TooManyDeviceRanges);
}

TEST(Ivrs, MemoryRanges) {
  Bytes t = table({
      ivhd(kIvhdType10, 2, kMmio, e4(ivhd_entry::kAll, 0)),
      ivmd(kIvmdAll, 0x1234, 0x5678, 0x000A0000, 0x20000, 0x1),
      ivmd(kIvmdDevice, 0x0010, 0, 0x7F000000, 0x100000, 0x7),
      ivmd(kIvmdRange, 0x0100, 0x01FF, 0x7F100000, 0x1000, 0x8),
  });
  Parsed p = parse(t);
  ASSERT_TRUE(p.status.ok()) << to_string(p.status.error());
  ASSERT_EQ(p.ivrs->memory_range_count, 3u);
  const IvrsMemoryRange* m = p.ivrs->memory_ranges;
  EXPECT_EQ(m[0].type, kIvmdAll);
  EXPECT_EQ(m[0].first, 0);
  EXPECT_EQ(m[0].last, 0xFFFF);
  EXPECT_EQ(m[0].base, 0xA0000u);
  EXPECT_EQ(m[0].length, 0x20000u);
  EXPECT_EQ(m[0].flags, 1);
  EXPECT_EQ(m[1].first, 0x10);
  EXPECT_EQ(m[1].last, 0x10);
  EXPECT_EQ(m[2].first, 0x100);
  EXPECT_EQ(m[2].last, 0x1FF);
  EXPECT_EQ(m[2].flags, 8);
}

TEST(Ivrs, BadMemoryRanges) {
  const u64 b = 0x7F000000;
  // Overlapping, whichever devices they name: by one byte at either end, nested, equal.
  expect_error(table({ivmd(kIvmdAll, 0, 0, b, 0x2000), ivmd(kIvmdDevice, 5, 0, b + 0x1FFF, 0x1000)}),
               IvrsError::OverlappingMemoryRanges);
  expect_error(table({ivmd(kIvmdDevice, 5, 0, b, 0x2000), ivmd(kIvmdDevice, 6, 0, b - 0x1000, 0x1001)}),
               IvrsError::OverlappingMemoryRanges);
  expect_error(table({ivmd(kIvmdRange, 1, 9, b, 0x10000), ivmd(kIvmdDevice, 6, 0, b + 0x1000, 0x1000)}),
               IvrsError::OverlappingMemoryRanges);
  expect_error(table({ivmd(kIvmdDevice, 5, 0, b, 0x1000), ivmd(kIvmdDevice, 5, 0, b, 0x1000)}),
               IvrsError::OverlappingMemoryRanges);
  // Touching is fine.
  EXPECT_TRUE(parse(table({ivmd(kIvmdAll, 0, 0, b, 0x1000), ivmd(kIvmdAll, 0, 0, b + 0x1000, 0x1000)})).status.ok());
  // Empty, wrapping, a device range backwards, a short block.
  expect_error(table({ivmd(kIvmdAll, 0, 0, b, 0)}), IvrsError::BadMemoryRange);
  expect_error(table({ivmd(kIvmdAll, 0, 0, ~0ull - 0xFFF, 0x2000)}), IvrsError::BadMemoryRange);
  expect_error(table({ivmd(kIvmdRange, 9, 1, b, 0x1000)}), IvrsError::BadRange);
  Bytes shorty = ivmd(kIvmdAll, 0, 0, b, 0x1000);
  shorty.resize(28);
  put16(shorty, 2, 28);
  expect_error(table({shorty}), IvrsError::BadBlockLength);
  // Too many.
  Bytes t = header();
  for (u64 i = 0; i <= Ivrs::kMaxMemoryRanges; ++i) {
    Bytes m = ivmd(kIvmdAll, 0, 0, b + i * 0x1000, 0x1000);
    t.insert(t.end(), m.begin(), m.end());
  }
  seal(t);
  expect_error(t, IvrsError::TooManyMemoryRanges);
}

TEST(Ivrs, UnknownBlocksAreSkippedByLength) {
  Bytes unknown = {0x30, 0, 8, 0, 1, 2, 3, 4};
  Parsed p = parse(table({unknown, ivhd(kIvhdType10, 2, kMmio, {})}));
  ASSERT_TRUE(p.status.ok()) << to_string(p.status.error());
  EXPECT_EQ(p.ivrs->unknown_blocks, 1u);
  EXPECT_EQ(p.ivrs->iommu_count, 1u);
  // A trailing fragment shorter than a block header.
  Bytes t = table({ivhd(kIvhdType10, 2, kMmio, {}), Bytes{0x10, 0}});
  expect_error(t, IvrsError::BadBlockLength);
}

TEST(Ivrs, HeaderOnlyTableAndNull) {
  Parsed p = parse(table({}));
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.ivrs->iommu_count, 0u);
  EXPECT_EQ(p.ivrs->revision, 2);
  EXPECT_TRUE(p.ivrs->info.efr_supported);
  EXPECT_TRUE(p.ivrs->info.dma_remap);
  EXPECT_EQ(p.ivrs->info.guest_va_bits, 2);
  EXPECT_EQ(p.ivrs->info.phys_addr_bits, 48);
  EXPECT_EQ(p.ivrs->info.virt_addr_bits, 64);
  Ivrs v;
  EXPECT_FALSE(parse_ivrs(nullptr, 100, v).ok());
  // A length field below the header is refused even if the buffer is larger.
  Bytes t = table({});
  put32(t, 4, 40);
  expect_error(t, IvrsError::Truncated);
}

TEST(Ivrs, ErrorsHaveNames) {
  for (int e = 1; e <= int(IvrsError::OverlappingMemoryRanges); ++e)
    EXPECT_STRNE(to_string(IvrsError(e)), "unknown IVRS error") << e;
}

}  // namespace
