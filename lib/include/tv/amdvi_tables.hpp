// The AMD IOMMU's (AMD-Vi) in-memory tables for DMA protection (AMD I/O
// Virtualization Technology (IOMMU) Specification, rev 3.x, §2.2 "Data
// Structures"): a device table whose entries all point at one I/O page table
// that identity-maps guest memory except the VMM's own region, so a device's
// DMA there faults. Hardware-free: tables live wherever the TableMemory says.
//
// Page sizes: a PDE/PTE with Next Level 000b is a leaf of its level's natural
// size (§2.2.3: level 1 4 KiB, level 2 2 MiB, level 3 1 GiB); Next Level 111b
// encodes other power-of-two sizes in the address bits, which this builder
// never writes (4 KiB, 2 MiB and 1 GiB cover an identity map, and 111b pages
// are replicated in the IOTLB differently by each implementation). Levels:
// always 4 (48-bit DMA addresses, DTE Mode 100b): every AMD-Vi IOMMU supports
// 4 levels (EFR HATS 00b), and a 4th level costs one 4 KiB table.
#pragma once
#include "tv/page_table_builder.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class AmdViError : u8 {
  OutOfMemory = 1,  // the TableMemory gave no more tables
  Misaligned,       // top, an excluded range or a root not 4 KiB-aligned
  BadRange,         // top above 2^48, or an excluded range wrapping past 2^64
  TooManyExcluded,  // more than kMaxExcludedRanges excluded ranges
  BadEntryCount,    // device table entries 0, above 65536, or not a multiple of 128
  BadSetup,         // translate mode with root 0 or levels outside 1..6; page size not 4K/2M/1G
};
const char* to_string(AmdViError e);

namespace amdvi {
// §2.2.2 Device Table Entry, qword 0.
inline constexpr u64 kDteValid = 1ull << 0;             // V: the entry is valid
inline constexpr u64 kDteTranslationValid = 1ull << 1;  // TV: bits 63:2 hold translation information
inline constexpr unsigned kDteModeShift = 9;            // Mode, bits 11:9: 0 = no translation, 1-6 = levels
inline constexpr u64 kDteModeMask = 7ull << kDteModeShift;
inline constexpr u64 kDteRootMask = 0x000FFFFFFFFFF000ull;  // Page Table Root Pointer, bits 51:12
inline constexpr u64 kDteReadAllowed = 1ull << 61;          // IR: DMA reads permitted
inline constexpr u64 kDteWriteAllowed = 1ull << 62;         // IW: DMA writes permitted
// §2.2.2 Device Table Entry, qword 1.
inline constexpr u64 kDteDomainIdMask = 0xFFFFull;  // DomainID, bits 79:64
// §2.2.3 I/O page table entries (PDE and PTE share the layout).
inline constexpr u64 kPtePresent = 1ull << 0;      // PR
inline constexpr unsigned kPteNextLevelShift = 9;  // Next Level, bits 11:9: 0 = leaf, 1-6 = table level, 7 = sized page
inline constexpr u64 kPteNextLevelMask = 7ull << kPteNextLevelShift;
inline constexpr u64 kPteAddrMask = 0x000FFFFFFFFFF000ull;  // bits 51:12
inline constexpr u64 kPteUntranslatedOnly = 1ull << 59;     // U: ATS translation requests refused
inline constexpr u64 kPteForceCoherent = 1ull << 60;        // FC
inline constexpr u64 kPteReadAllowed = 1ull << 61;          // IR
inline constexpr u64 kPteWriteAllowed = 1ull << 62;         // IW
// What an excluded range's entries (and those beyond `top`) hold: PR = 0 (not present, so the IOMMU
// faults the access and logs IO_PAGE_FAULT; hardware ignores a not-present
// entry's other bits, §2.2.3) with Next Level 1. Not 0: QEMU 7.2's walk
// (hw/i386/amd_iommu.c amdvi_page_walk) stops silently on an all-zero entry,
// without an event; a nonzero table-level entry makes it check PR and log.
inline constexpr u64 kPteExcluded = 1ull << kPteNextLevelShift;
inline constexpr u8 kLevels = 4;                  // the page tables this builder writes
inline constexpr u64 kAddressLimit = 1ull << 48;  // what 4 levels translate
}  // namespace amdvi

// §2.2.2: 256 bits; qword 2 (interrupt remapping) and 3 stay zero here:
// IV = 0 lets interrupts through unremapped.
struct DeviceTableEntry {
  u64 data[4];
};
static_assert(sizeof(DeviceTableEntry) == 32);

// §2.2.2: one entry per DeviceID (16-bit BDF) of a PCI segment: 65536 x 32 = 2 MiB.
inline constexpr usize kDeviceTableMaxEntries = 65536;
// The Device Table Base Address Register (MMIO offset 0000h) sizes the table in
// 4 KiB units: 128 entries each.
inline constexpr usize kDeviceTableEntriesPerPage = kPageSize / sizeof(DeviceTableEntry);
// Entries for device IDs [0, ids) rounded up to whole 4 KiB pages (every entry
// the IOMMU can read is filled; an entry left zero (V=0) would let that device's DMA through).
constexpr usize device_table_entries(usize ids) {
  return ids == 0 ? kDeviceTableEntriesPerPage : usize(align_up(ids, kDeviceTableEntriesPerPage));
}

enum class DteMode : u8 {
  Translate = 1,  // V, TV, IR, IW, Mode = levels, root: DMA goes through the page table
  PassThrough,    // V, TV, IR, IW, Mode 0: DMA untranslated and unrestricted
};
struct DteSetup {
  DteMode mode;
  u64 page_table_root;  // Translate: the I/O page table's root (4 KiB-aligned, nonzero)
  u8 levels;            // Translate: 1..6 (build_io_identity_map: amdvi::kLevels)
  u16 domain_id;        // tags IOTLB entries; one domain for every device here
};
Result<DeviceTableEntry, AmdViError> make_dte(const DteSetup& s);
// Writes make_dte(s) to table[0, count). count: a multiple of 128, 1..65536 entries.
Status<AmdViError> fill_device_table(DeviceTableEntry* table, usize count, const DteSetup& s);
// The Device Table Base Address Register's value (MMIO offset 0000h: base in
// bits 51:12, Size in bits 8:0 = 4 KiB pages - 1) for a table at phys.
Result<u64, AmdViError> device_table_base_register(u64 phys, usize count);

struct IoMapRequest {
  u64 top;                // identity-map [0, top), 4 KiB-aligned, at most 2^48
  const Range* excluded;  // never mapped (4 KiB-aligned; may overlap each other or reach past top)
  usize excluded_count;
  PageSize largest = PageSize::k1G;  // the largest leaf to use
};
inline constexpr usize kMaxExcludedRanges = 16;
struct IoIdentityMap {
  u64 root;      // for DteSetup::page_table_root, with levels = amdvi::kLevels
  usize tables;  // 4 KiB tables allocated, the root included
  usize pages_4k;
  usize pages_2m;
  usize pages_1g;
};
// Builds a 4-level I/O page table with DMA reads and writes allowed: the
// largest leaves that fit, 4 KiB pages at the edges of excluded ranges. On
// OutOfMemory the tables already allocated stay with the TableMemory (it has
// no free), partly filled; the caller must not give them to an IOMMU.
Result<IoIdentityMap, AmdViError> build_io_identity_map(TableMemory& mem, const IoMapRequest& req);

// A walk as the IOMMU does it (§2.2.3), for tests and self-checks: Next Level
// 0 is a leaf, N-1 a table; anything else (skipped levels, 111b pages) is
// reported as not mapped. Address bits at or above 12 + 9 * levels must be 0.
struct IoTranslation {
  bool mapped;
  u64 address;
  u64 page_size;
  bool read;
  bool write;
};
IoTranslation io_translate(TableMemory& mem, u64 root, u8 levels, u64 dma_address);

}  // namespace tv
