// The AMD IOMMU's ring base registers, commands and event log entries, checked
// against the encodings in the AMD I/O Virtualization Technology (IOMMU)
// Specification, rev 3.x (sections cited at each assertion).
#include "tv/amdvi_mmio.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {
using namespace tv;
using namespace tv::amdvi;

void expect_command(const Command& c, u32 d0, u32 d1, u32 d2, u32 d3) {
  EXPECT_EQ(c.dword[0], d0) << std::hex << c.dword[0];
  EXPECT_EQ(c.dword[1], d1) << std::hex << c.dword[1];
  EXPECT_EQ(c.dword[2], d2) << std::hex << c.dword[2];
  EXPECT_EQ(c.dword[3], d3) << std::hex << c.dword[3];
}

u8 opcode_of(const Command& c) {
  return u8(c.dword[1] >> 28);  // §2.4: every command's opcode is bits 63:60 (dword 1, bits 31:28)
}

// --- §3.4.2 Command Buffer / §3.4.3 Event Log Base Address Registers --------

TEST(AmdViMmio, RingSizeConstants) {
  static_assert(kRingEntryBytes == 16);         // §2.4, §2.5: 128-bit entries
  static_assert(kRingBytes == 4096);            // 2^8 entries x 16 bytes: one page
  static_assert(kMmioWindowBytes == 0x80000);   // §3.4: MMIO offsets 0000h-7FFFFh
  static_assert(reg::kCommandBufferBase == 8);  // §3.4.2
  static_assert(reg::kEventLogBase == 0x10);    // §3.4.3
}

TEST(AmdViMmio, RingBaseRegisterPutsTheLengthInBits59To56) {
  // §3.4.2/§3.4.3: base 51:12, ComLen/EventLen 59:56 = log2(entries), 1000b..1111b.
  EXPECT_EQ(*ring_base_register(0x1234'5000, 8), 0x0800'0000'1234'5000ull);
  EXPECT_EQ(*ring_base_register(0x1234'5000, 15), 0x0F00'0000'1234'5000ull);
  EXPECT_EQ(*ring_base_register(0x000F'FFFF'FFFF'F000ull, 15), 0x0F0F'FFFF'FFFF'F000ull);  // the highest base
  EXPECT_EQ(*ring_base_register(0, 8), 0x0800'0000'0000'0000ull);
  for (u8 l = 8; l <= 15; ++l) {
    auto r = ring_base_register(0x7000, l);
    ASSERT_TRUE(r.ok()) << int(l);
    EXPECT_EQ(*r >> 56, l);
    EXPECT_EQ(*r & 0x000F'FFFF'FFFF'F000ull, 0x7000u);
    EXPECT_EQ(*r & ~(0x000F'FFFF'FFFF'F000ull | 0x0F00'0000'0000'0000ull), 0u) << "reserved bits set";
  }
}

TEST(AmdViMmio, RingBaseRegisterRefusesBadBasesAndLengths) {
  EXPECT_FALSE(ring_base_register(0x7800, 8).ok());      // not 4 KiB-aligned
  EXPECT_FALSE(ring_base_register(0x7001, 8).ok());      // bit 0
  EXPECT_FALSE(ring_base_register(1ull << 52, 8).ok());  // above bit 51
  EXPECT_FALSE(ring_base_register(1ull << 63, 8).ok());  // above bit 51 too
  EXPECT_FALSE(ring_base_register(0x7000, 7).ok());      // 0000b-0111b: reserved
  EXPECT_FALSE(ring_base_register(0x7000, 0).ok());
  EXPECT_FALSE(ring_base_register(0x7000, 16).ok());  // does not fit in 4 bits
  EXPECT_FALSE(ring_base_register(0x7000, 255).ok());
}

// --- §2.4 commands -----------------------------------------------------------

TEST(AmdViMmio, CompletionWait) {
  // §2.4.1: dword0 bit 0 S, bits 31:3 Store Address 31:3; dword1 bits 19:0
  // Store Address 51:32, bits 31:28 opcode 01h; dwords 2-3 Store Data.
  const Command c = completion_wait(0x0001'2345'6788ull, 0x1122'3344'5566'7788ull);
  expect_command(c, 0x2345'6789u, 0x1000'0001u, 0x5566'7788u, 0x1122'3344u);
  EXPECT_EQ(opcode_of(c), 1u);
  // An address above 4 GiB using every address bit: 51:32 all in dword1 19:0.
  expect_command(completion_wait(0x000F'FFFF'FFFF'FFF8ull, 0), 0xFFFF'FFF9u, 0x100F'FFFFu, 0, 0);
  // Below 4 GiB: dword1 holds only the opcode.
  expect_command(completion_wait(0x8000, ~0ull), 0x8001u, 0x1000'0000u, 0xFFFF'FFFFu, 0xFFFF'FFFFu);
  // The I (bit 1) and F (bit 2) flags stay clear even if an address's low bits
  // are set, and bits above 51 do not reach dword1's reserved bits 27:20.
  EXPECT_EQ(completion_wait(0x8007, 0).dword[0] & 0x7u, 1u);
  EXPECT_EQ(completion_wait(0xFFF0'0000'0000'0000ull, 0).dword[1], 0x1000'0000u);
}

TEST(AmdViMmio, InvalidateDevtabEntry) {
  // §2.4.2: dword0 bits 15:0 DeviceID, opcode 02h.
  expect_command(invalidate_devtab_entry(0x0018), 0x18u, 0x2000'0000u, 0, 0);  // 00:03.0
  expect_command(invalidate_devtab_entry(0xFFFF), 0xFFFFu, 0x2000'0000u, 0, 0);
  EXPECT_EQ(opcode_of(invalidate_devtab_entry(0)), 2u);
}

TEST(AmdViMmio, InvalidateDomainPagesCoversEveryPage) {
  // §2.4.3: dword1 bits 15:0 DomainID, opcode 03h; dword2 bit 0 S, bit 1 PDE,
  // bits 31:12 address 31:12; dword3 address 63:32. S = 1 with address
  // 7FFF_FFFF_FFFF_F000h invalidates all pages of the domain.
  const Command c = invalidate_domain_pages(0xBEEF);
  expect_command(c, 0, 0x3000'BEEFu, 0xFFFF'F003u, 0x7FFF'FFFFu);
  EXPECT_EQ(opcode_of(c), 3u);
  EXPECT_EQ(c.dword[2] & 1u, 1u);  // S
  EXPECT_EQ(c.dword[2] & 2u, 2u);  // PDE
  const u64 address = (u64(c.dword[3]) << 32) | (c.dword[2] & 0xFFFF'F000u);
  EXPECT_EQ(address, 0x7FFF'FFFF'FFFF'F000ull);
  EXPECT_EQ(invalidate_domain_pages(0).dword[1], 0x3000'0000u);
  EXPECT_EQ(invalidate_domain_pages(0xFFFF).dword[1], 0x3000'FFFFu);  // DomainID stays in 15:0
}

TEST(AmdViMmio, InvalidateAll) {
  // §2.4.10 INVALIDATE_IOMMU_ALL: opcode 08h, no operands.
  expect_command(invalidate_all(), 0, 0x8000'0000u, 0, 0);
  EXPECT_EQ(opcode_of(invalidate_all()), 8u);
}

// --- §2.5 event log entries --------------------------------------------------

TEST(AmdViMmio, DecodesAnIoPageFault) {
  // §2.5.3 IO_PAGE_FAULT: dword0 15:0 DeviceID (31:16 PASID); dword1 15:0
  // DomainID, 27:16 flags, 31:28 EventCode 2; dwords 2-3 the address.
  // Flags: bit 5 RW (write), bit 4 PR, bit 3 I.
  const u32 raw[4] = {0xABCD'00F8u, 0x2020'FFFFu, 0x89AB'C123u, 0x0000'0012u};
  const Event e = decode_event(raw);
  EXPECT_EQ(e.code, 2u);
  EXPECT_EQ(e.device_id, 0x00F8u);  // 00:1f.0; the PASID bits do not leak in
  EXPECT_EQ(e.flags, 0x020u);       // the DomainID bits do not leak in
  EXPECT_EQ(e.address, 0x12'89AB'C123ull);
  EXPECT_TRUE(e.is_write());
  EXPECT_TRUE(e.is_dma_fault());
  EXPECT_STREQ(event_name(e.code), "IO_PAGE_FAULT");

  const u32 read[4] = {0x0018u, 0x2010'0000u, 0x1000u, 0};  // PR set, RW clear: a read
  const Event r = decode_event(read);
  EXPECT_EQ(r.flags, 0x010u);
  EXPECT_FALSE(r.is_write());
  EXPECT_TRUE(r.is_dma_fault());

  const u32 all[4] = {~0u, ~0u, ~0u, ~0u};
  const Event a = decode_event(all);
  EXPECT_EQ(a.code, 0xFu);
  EXPECT_EQ(a.device_id, 0xFFFFu);
  EXPECT_EQ(a.flags, 0xFFFu);  // 12 bits only
  EXPECT_EQ(a.address, ~0ull);
  EXPECT_FALSE(a.is_dma_fault());
}

TEST(AmdViMmio, OnlyAnIoPageFaultIsADmaFault) {
  for (u32 code = 0; code < 16; ++code) {
    const u32 raw[4] = {0x0100u, (code << 28) | (1u << 21), 0, 0};  // RW set in every one
    const Event e = decode_event(raw);
    EXPECT_EQ(e.code, code);
    EXPECT_EQ(e.is_dma_fault(), code == 2) << code;
    EXPECT_TRUE(e.is_write()) << code;
  }
}

TEST(AmdViMmio, DecodesAnIoPageFaultAsQemu72WritesIt) {
  // QEMU 7.2 hw/i386/amd_iommu.c: amdvi_page_fault sets info = perms |
  // AMDVI_EVENT_IOPF_I (1 << 3) | AMDVI_EVENT_IOPF (2 << 12), and
  // amdvi_encode_event puts the devid in bits 0:15 and info in bits 48:63 of
  // the first qword, the address in the second; the log is little-endian.
  const u16 devid = 0x0018;  // 00:03.0 (QEMU passes the devfn)
  const u16 perms = 2;       // IOMMU_WO: a DMA write
  const u64 addr = 0x3F9F'F040ull;
  const u16 info = u16(perms | (1u << 3) | (2u << 12));
  const u64 evt[2] = {u64(devid) | (u64(info) << 48), addr};
  u32 raw[4];
  static_assert(sizeof raw == sizeof evt);
  std::memcpy(raw, evt, sizeof raw);
  const Event e = decode_event(raw);
  EXPECT_EQ(e.device_id, devid);
  EXPECT_EQ(e.code, u8(EventCode::IoPageFault));
  EXPECT_TRUE(e.is_dma_fault());
  EXPECT_EQ(e.address, addr);
  EXPECT_EQ(e.flags, 0x00Au);  // I (bit 3) and QEMU's perms in bits 1:0
  // QEMU writes its perms into flag bits 1:0, not RW (bit 5, §2.5.3): its
  // events do not tell a write from a read.
  EXPECT_FALSE(e.is_write());
  // An address above 4 GiB arrives whole.
  const u64 high[2] = {u64(devid) | (u64(info) << 48), 0x0000'00AB'CDEF'1000ull};
  std::memcpy(raw, high, sizeof raw);
  EXPECT_EQ(decode_event(raw).address, 0xAB'CDEF'1000ull);
}

TEST(AmdViMmio, EventNames) {
  // §2.5 Table "Event Codes": 1..8.
  EXPECT_STREQ(event_name(0x1), "ILLEGAL_DEV_TABLE_ENTRY");
  EXPECT_STREQ(event_name(0x2), "IO_PAGE_FAULT");
  EXPECT_STREQ(event_name(0x3), "DEV_TAB_HARDWARE_ERROR");
  EXPECT_STREQ(event_name(0x4), "PAGE_TAB_HARDWARE_ERROR");
  EXPECT_STREQ(event_name(0x5), "ILLEGAL_COMMAND_ERROR");
  EXPECT_STREQ(event_name(0x6), "COMMAND_HARDWARE_ERROR");
  EXPECT_STREQ(event_name(0x7), "IOTLB_INV_TIMEOUT");
  EXPECT_STREQ(event_name(0x8), "INVALID_DEVICE_REQUEST");
  EXPECT_STREQ(event_name(u8(EventCode::InvalidDeviceRequest)), "INVALID_DEVICE_REQUEST");
  for (u8 code : {u8(0), u8(9), u8(0xF), u8(0xFF)}) EXPECT_STREQ(event_name(code), "unknown event") << int(code);
}

}  // namespace
