// The AMD IOMMU's (AMD-Vi) MMIO registers, its commands and its event log
// entries (AMD I/O Virtualization Technology (IOMMU) Specification, rev 3.x:
// §3.4 "IOMMU MMIO Registers", §2.4 "Commands", §2.5 "Event Logging").
// Hardware-free: the VMM's driver (vmm/arch/x86/amd_iommu.cpp) writes what
// these functions encode and decodes what the IOMMU logs with them.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv::amdvi {

// §3.4.1-3.4.4: offsets into the IOMMU's MMIO window.
namespace reg {
inline constexpr u32 kDeviceTableBase = 0x0000;    // §3.4.1 base 51:12, Size 8:0 (4 KiB pages - 1)
inline constexpr u32 kCommandBufferBase = 0x0008;  // §3.4.2 base 51:12, ComLen 59:56 (log2 entries)
inline constexpr u32 kEventLogBase = 0x0010;       // §3.4.3 base 51:12, EventLen 59:56 (log2 entries)
inline constexpr u32 kControl = 0x0018;            // §3.4.4
inline constexpr u32 kExclusionBase = 0x0020;      // §3.4.5 bit 0 ExEn: an exclusion range bypasses translation
inline constexpr u32 kExclusionLimit = 0x0028;
inline constexpr u32 kExtendedFeatures = 0x0030;  // §3.4.6 EFR
inline constexpr u32 kCommandHead = 0x2000;       // §3.4.8 byte offset, bits 18:4
inline constexpr u32 kCommandTail = 0x2008;
inline constexpr u32 kEventHead = 0x2010;  // §3.4.9
inline constexpr u32 kEventTail = 0x2018;
inline constexpr u32 kStatus = 0x2020;  // §3.4.10
}  // namespace reg
// The MMIO window: 16 KiB without the extended (MMIO 8000h+) registers, up to
// 512 KiB with them (§3.4: "MMIO Offset 0000h-7FFFFh"). The VMM hides all of it.
inline constexpr u64 kMmioWindowBytes = 512 * KiB;

// §3.4.4 Control Register bits.
namespace control {
inline constexpr u64 kIommuEnable = 1ull << 0;
inline constexpr u64 kEventLogEnable = 1ull << 2;
inline constexpr u64 kEventInterruptEnable = 1ull << 3;
inline constexpr u64 kCommandBufferEnable = 1ull << 12;
}  // namespace control

// §3.4.10 Status Register bits (EventOverflow and the interrupt bits are RW1C).
namespace status {
inline constexpr u64 kEventOverflow = 1ull << 0;
inline constexpr u64 kEventLogInterrupt = 1ull << 1;
inline constexpr u64 kCommandWaitInterrupt = 1ull << 2;
inline constexpr u64 kEventLogRunning = 1ull << 3;
inline constexpr u64 kCommandBufferRunning = 1ull << 4;
}  // namespace status

// §3.4.6 Extended Feature Register bits this driver looks at.
namespace efr {
inline constexpr u64 kInvalidateAllSupported = 1ull << 6;  // IASup: INVALIDATE_IOMMU_ALL
}

// §2.4 and §2.5: both rings hold 16-byte entries.
inline constexpr usize kRingEntryBytes = 16;
// The smallest ring the length fields allow (log2 8 = 256 entries = 4 KiB); the
// VMM uses it for both: its commands are few, and events are drained often.
inline constexpr u8 kRingLog2Entries = 8;
inline constexpr usize kRingBytes = (usize(1) << kRingLog2Entries) * kRingEntryBytes;
// Base register of a command buffer or event log of 2^log2 entries at phys
// (4 KiB-aligned; log2 in 8..15).
Result<u64, u8> ring_base_register(u64 phys, u8 log2_entries);

struct Command {
  u32 dword[4];
};
static_assert(sizeof(Command) == kRingEntryBytes);
// §2.4.1 COMPLETION_WAIT with S=1: when every earlier command has completed,
// the IOMMU stores `data` (8 bytes) at `store_phys` (8-byte-aligned).
Command completion_wait(u64 store_phys, u64 data);
// §2.4.2 INVALIDATE_DEVTAB_ENTRY for one DeviceID.
Command invalidate_devtab_entry(u16 device_id);
// §2.4.3 INVALIDATE_IOMMU_PAGES for every page of a domain (S=1, PDE=1, the
// all-pages address 7FFF_FFFF_FFFF_F000h).
Command invalidate_domain_pages(u16 domain_id);
// §2.4.10 INVALIDATE_IOMMU_ALL (needs EFR.IASup).
Command invalidate_all();

// §2.5 event codes (bits 31:28 of the second dword).
enum class EventCode : u8 {
  IllegalDeviceTableEntry = 0x1,
  IoPageFault = 0x2,
  DeviceTableHardwareError = 0x3,
  PageTableHardwareError = 0x4,
  IllegalCommand = 0x5,
  CommandHardwareError = 0x6,
  IotlbInvalidationTimeout = 0x7,
  InvalidDeviceRequest = 0x8,
};
const char* event_name(u8 code);

// One event log entry, decoded (§2.5.1-2.5.9). For IO_PAGE_FAULT (§2.5.3):
// the device whose request faulted, the DMA address, and the flags
// (bit 5 RW: 1 = write, bit 4 PR: the page was present, bit 3 I: interrupt request).
struct Event {
  u8 code;
  u16 device_id;  // PCI BDF: bus 15:8, device 7:3, function 2:0
  u16 flags;      // bits 27:16 of the second dword
  u64 address;
  bool is_write() const { return (flags & (1u << 5)) != 0; }
  bool is_dma_fault() const { return code == u8(EventCode::IoPageFault); }
};
Event decode_event(const u32 (&raw)[4]);

}  // namespace tv::amdvi
