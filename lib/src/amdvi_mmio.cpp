#include "tv/amdvi_mmio.hpp"

namespace tv::amdvi {

namespace {
constexpr u64 kAddrMask = 0x000FFFFFFFFFF000ull;  // bits 51:12
constexpr unsigned kLenShift = 56;                // ComLen / EventLen, bits 59:56
constexpr u32 opcode(u8 op) {
  return u32(op) << 28;  // bits 63:60 of every command: dword 1, bits 31:28
}
}  // namespace

Result<u64, u8> ring_base_register(u64 phys, u8 log2_entries) {
  if ((phys & ~kAddrMask) != 0 || log2_entries < 8 || log2_entries > 15) return Err{u8(1)};
  return phys | (u64(log2_entries) << kLenShift);
}

Command completion_wait(u64 store_phys, u64 data) {
  // dword 0: bit 0 S (store), bits 31:3 the store address 31:3; dword 1: bits 19:0 address 51:32.
  return {{u32(store_phys & 0xFFFFFFF8u) | 1u, u32((store_phys >> 32) & 0xFFFFF) | opcode(0x1), u32(data),
           u32(data >> 32)}};
}

Command invalidate_devtab_entry(u16 device_id) {
  return {{device_id, opcode(0x2), 0, 0}};
}

Command invalidate_domain_pages(u16 domain_id) {
  // dword 2: bit 0 S (a range), bit 1 PDE (cached directory entries too),
  // address 7FFF_FFFF_FFFF_F000h with S=1 means "all pages" (§2.4.3 Table 14).
  constexpr u64 kAllPages = 0x7FFFFFFFFFFFF000ull;
  return {{0, u32(domain_id) | opcode(0x3), u32(kAllPages & 0xFFFFF000u) | 0x3u, u32(kAllPages >> 32)}};
}

Command invalidate_all() {
  return {{0, opcode(0x8), 0, 0}};
}

const char* event_name(u8 code) {
  switch (EventCode(code)) {
    case EventCode::IllegalDeviceTableEntry: return "ILLEGAL_DEV_TABLE_ENTRY";
    case EventCode::IoPageFault: return "IO_PAGE_FAULT";
    case EventCode::DeviceTableHardwareError: return "DEV_TAB_HARDWARE_ERROR";
    case EventCode::PageTableHardwareError: return "PAGE_TAB_HARDWARE_ERROR";
    case EventCode::IllegalCommand: return "ILLEGAL_COMMAND_ERROR";
    case EventCode::CommandHardwareError: return "COMMAND_HARDWARE_ERROR";
    case EventCode::IotlbInvalidationTimeout: return "IOTLB_INV_TIMEOUT";
    case EventCode::InvalidDeviceRequest: return "INVALID_DEVICE_REQUEST";
  }
  return "unknown event";
}

Event decode_event(const u32 (&raw)[4]) {
  Event e{};
  e.code = u8(raw[1] >> 28);
  e.device_id = u16(raw[0]);
  e.flags = u16((raw[1] >> 16) & 0xFFF);
  e.address = u64(raw[2]) | (u64(raw[3]) << 32);
  return e;
}

}  // namespace tv::amdvi
