// The machine's AMD IOMMUs as the firmware describes them: the ACPI IVRS table
// (AMD I/O Virtualization Technology (IOMMU) Specification, rev 3.x, §5.2
// "I/O Virtualization Reporting Structure (IVRS)"). The VMM reads it to find
// each IOMMU's MMIO registers and the devices behind it, then hides it from
// the guest (tv/acpi_edit.hpp).
//
// Validation, all of it refused with a distinct IvrsError:
// - the table: buffer shorter than the header or than its length field,
//   signature not "IVRS", checksum (the bytes [0, length) must sum to 0);
// - each block: length below its type's minimum, or running past the table;
//   a block of a type this parser does not know is skipped (its length field
//   is common to all types, §5.2.2), and counted in Ivrs::unknown_blocks;
// - each IVHD: MMIO base 0 or not 4 KiB-aligned, device entries running past
//   the block, a range start without its end (or the reverse), an end below
//   its start, an entry type of 80h or above other than F0h (its length is
//   not knowable, so nothing after it can be read: refused). Entry types
//   below 80h that are not defined (e.g. 00h, "reserved") have a length given
//   by their type (4 or 8 bytes) and are skipped, counted in unknown_entries;
// - IOMMUs: more than kMaxIommus; two IVHD blocks of the same type for the
//   same IOMMU (PCI segment + device ID). Blocks of different types for one
//   IOMMU are the spec's alternative descriptions (§5.2.2.1: firmware lists
//   type 10h for old software and 11h/40h for new): the highest type is kept
//   and the others only validated; they must agree on the MMIO base;
// - IVMD: more than kMaxMemoryRanges; a range of length 0 or wrapping past
//   2^64; two ranges that overlap (whatever their devices: the VMM cannot
//   honour two different rules for one byte, so such a table is refused).
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class IvrsError : u8 {
  Truncated = 1,        // buffer shorter than the header or the length field
  BadSignature,         // not "IVRS"
  BadChecksum,          // bytes do not sum to 0
  BadBlockLength,       // a block shorter than its type's minimum, or past the table
  EntryPastBlock,       // an IVHD device entry runs past its block
  UnknownEntryType,     // an IVHD device entry of type >= 80h other than F0h
  BadRange,             // range start without end, end without start, or end < start
  BadMmioBase,          // IVHD MMIO base 0 or not 4 KiB-aligned
  TooManyIommus,        // more than kMaxIommus IVHD descriptions
  TooManyDeviceRanges,  // more than kMaxDeviceRanges in one IVHD
  DuplicateIommu,       // two IVHD blocks of one type for one IOMMU
  InconsistentIommu,    // alternative descriptions of one IOMMU with different MMIO bases
  TooManyMemoryRanges,  // more than kMaxMemoryRanges IVMD blocks
  BadMemoryRange,       // IVMD range of length 0 or wrapping past 2^64
  OverlappingMemoryRanges,
};
const char* to_string(IvrsError e);

// §5.2.1 Table 92: IVRS header; IVinfo at offset 36, 8 reserved bytes, blocks from 48.
inline constexpr usize kIvrsHeaderLen = 48;
// §5.2.2 IVHD block types (10h: legacy, 11h: with EFR image, 40h: 11h plus ACPI HID entries).
inline constexpr u8 kIvhdType10 = 0x10;
inline constexpr u8 kIvhdType11 = 0x11;
inline constexpr u8 kIvhdType40 = 0x40;
// §5.2.2.1: the fixed part of an IVHD block before its device entries.
inline constexpr usize kIvhd10HeaderLen = 24;
inline constexpr usize kIvhd11HeaderLen = 40;  // also type 40h
// §5.2.3 IVMD block types and length.
inline constexpr u8 kIvmdAll = 0x20;     // all peripherals
inline constexpr u8 kIvmdDevice = 0x21;  // one device
inline constexpr u8 kIvmdRange = 0x22;   // a range of devices
inline constexpr usize kIvmdLen = 32;

// §5.2.2.2 Table 95: IVHD device entry types.
namespace ivhd_entry {
inline constexpr u8 kAll = 0x01;          // 4 bytes: every device
inline constexpr u8 kSelect = 0x02;       // 4 bytes: one device
inline constexpr u8 kRangeStart = 0x03;   // 4 bytes: first of a range (ends at kRangeEnd)
inline constexpr u8 kRangeEnd = 0x04;     // 4 bytes
inline constexpr u8 kAliasSelect = 0x42;  // 8 bytes: one device, requests seen as another ID
inline constexpr u8 kAliasRange = 0x43;   // 8 bytes: range start, all aliased to one ID
inline constexpr u8 kExtSelect = 0x46;    // 8 bytes: one device plus extended data (ATS)
inline constexpr u8 kExtRange = 0x47;     // 8 bytes: range start plus extended data
inline constexpr u8 kSpecial = 0x48;      // 8 bytes: IOAPIC or HPET
inline constexpr u8 kAcpiHid = 0xF0;      // variable: 22 bytes + UID length (byte 21)
}  // namespace ivhd_entry

// §5.2.1 Table 93: IVinfo.
struct IvrsInfo {
  u32 raw;
  bool efr_supported;    // bit 0 EFRSup: IVHD 11h/40h EFR images are valid
  bool dma_remap;        // bit 1 DMA remapping support (pre-boot DMA protection)
  u8 guest_va_bits;      // bits 7:5 GVAsize (000b = 48, 010b = 57 bits... raw encoding)
  u8 phys_addr_bits;     // bits 14:8 PAsize
  u8 virt_addr_bits;     // bits 21:15 VAsize
  bool ht_ats_reserved;  // bit 22 HTAtsResv
};

// What the devices in a range are to the IOMMU.
enum class IvrsDeviceKind : u8 {
  Device = 1,   // select / range entries (02h-04h), or "all" (01h: 0000h-FFFFh)
  Alias,        // 42h/43h: requests arrive with alias_id
  Extended,     // 46h/47h: `extended` holds the entry's extended data
  Ioapic,       // 48h variety 01h: handle is the IOAPIC ID
  Hpet,         // 48h variety 02h: handle is the HPET number
  AcpiHid,      // F0h: an ACPI device (HID in hid), first/last its device ID
  OtherSpecial  // 48h with another variety
};

// Device IDs [first, last] (PCI BDF: bus << 8 | device << 3 | function).
struct IvrsDeviceRange {
  u16 first;
  u16 last;
  IvrsDeviceKind kind;
  u8 setting;    // DTE setting byte (INITPass, EIntPass, NMIPass, SysMgt, Lint0/1Pass)
  u16 alias_id;  // Alias kinds: the source ID used for requests
  u32 extended;  // Extended kinds: extended data (bit 31 ATS disabled)
  u8 handle;     // Ioapic/Hpet: the IOAPIC ID or HPET number
  u64 hid;       // AcpiHid: the 8 HID bytes, little-endian
};

struct IvrsIommu {
  u8 type;        // the IVHD type this description came from (10h, 11h or 40h)
  u8 flags;       // §5.2.2.1 IVHD flags (HtTunEn, PassPW, ResPassPW, Isoc, IotlbSup, Coherent, PreFSup, PPRSup)
  u16 device_id;  // the IOMMU's own PCI BDF
  u16 capability_offset;
  u64 mmio_base;  // 4 KiB-aligned, nonzero
  u16 pci_segment;
  u16 iommu_info;    // bits 12:8 UnitID, 4:0 MSINum
  u32 feature_info;  // offset 20: "IOMMU Feature Reporting" (10h) or "IOMMU Attributes" (11h/40h)
  u64 efr_image;     // offset 24 (11h/40h): copy of the Extended Feature Register; 0 for 10h
  u64 efr2_image;    // offset 32 (11h/40h): copy of Extended Feature 2; 0 for 10h
  u16 alternates;    // IVHD blocks of other types describing this IOMMU (validated, not kept)
  usize range_count;
  static constexpr usize kMaxDeviceRanges = 64;
  IvrsDeviceRange ranges[kMaxDeviceRanges];
};

// §5.2.3 IVMD: memory a device needs (unity-mapped) or must not touch (exclusion).
struct IvrsMemoryRange {
  u8 type;   // 20h all devices, 21h device first, 22h devices [first, last]
  u8 flags;  // bit 0 Unity, 1 IR, 2 IW, 3 ExclusionRange
  u16 first;
  u16 last;
  u64 base;
  u64 length;
};

struct Ivrs {
  static constexpr usize kMaxIommus = 8;
  static constexpr usize kMaxMemoryRanges = 16;
  u8 revision;
  IvrsInfo info;
  usize iommu_count;
  IvrsIommu iommus[kMaxIommus];
  usize memory_range_count;
  IvrsMemoryRange memory_ranges[kMaxMemoryRanges];
  usize unknown_blocks;   // blocks of types other than 10h/11h/40h/20h-22h, skipped
  usize unknown_entries;  // undefined device entries of types < 80h, skipped
};

// Parses and validates table[0, len). Reads nothing outside it.
// The result is large (~14 KiB): in the VMM, parse into static storage.
Status<IvrsError> parse_ivrs(const u8* table, usize len, Ivrs& out);

}  // namespace tv
