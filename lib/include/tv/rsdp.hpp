// Which ACPI RSDP the VMM uses (and hands the guest), from the sources a boot
// can offer, in this order:
//   1. acpi.rsdp=ADDR on the VMM's command line (the operator knows best; it is
//      refused, with a reason, unless a valid RSDP is at ADDR);
//   2. the EFI system table's configuration table (UEFI 2.10 §4.6
//      EFI_CONFIGURATION_TABLE: the ACPI 2.0 GUID, then the ACPI 1.0 one);
//   3. the multiboot2 ACPI new/old RSDP tag (15, then 14): a copy of the RSDP,
//      not its address, which the VMM puts in a page it keeps for the guest;
//   4. the legacy BIOS search (ACPI 6.5 §5.2.5.1, find_rsdp);
//   5. a search of the firmware's ACPI memory (the memory map's ACPI reclaim
//      and NVS ranges), for multiboot v1 under UEFI, where the loader gives no
//      RSDP and the BIOS areas hold none: UEFI firmware keeps its ACPI tables,
//      the RSDP among them, in that memory (UEFI 2.10 §2.3.6: "ACPI tables
//      ... EfiACPIReclaimMemory"; OVMF puts the RSDP there). A candidate must
//      pass check_rsdp and point at an "RSDT" or "XSDT" header.
// A source that offers an invalid RSDP is passed over and reported.
#pragma once
#include "tv/acpi.hpp"
#include "tv/page_walk.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

// ACPI 6.5 §5.2.5.3 Table 5.3 (RSDP structure).
inline constexpr usize kRsdpV1Len = 20;                       // signature .. RsdtAddress: the checksum's span
inline constexpr usize kRsdpRevision = 15;                    // u8: 0 = ACPI 1.0, 2 = 2.0 and later
inline constexpr usize kRsdpLength = 20;                      // u32 (revision 2+): the whole structure
inline constexpr usize kRsdpV2MinLen = 36;                    // with XsdtAddress and the extended checksum
inline constexpr usize kRsdpMaxLen = 64;                      // more than any revision defines; longer is refused
inline constexpr u64 kRsdpSignature = 0x2052545020445352ull;  // "RSD PTR " little-endian

// UEFI 2.10 §4.3 EFI_SYSTEM_TABLE ("IBI SYST") and §4.6 configuration table.
inline constexpr u64 kEfiSystemTableSignature = 0x5453595320494249ull;
inline constexpr usize kEfiSt64NumberOfTableEntries = 104;  // UINTN
inline constexpr usize kEfiSt64ConfigurationTable = 112;    // EFI_CONFIGURATION_TABLE*
inline constexpr usize kEfiSt64Size = 120;
inline constexpr usize kEfiSt32NumberOfTableEntries = 64;
inline constexpr usize kEfiSt32ConfigurationTable = 68;
inline constexpr usize kEfiSt32Size = 72;
inline constexpr usize kEfiGuidLen = 16;
inline constexpr usize kEfiMaxConfigTables = 256;  // firmware lists a dozen or two
// EFI_GUID bytes as stored (Data1-3 little-endian): ACPI_20_TABLE_GUID
// 8868e871-e4f1-11d3-bc22-0080c73c8881 and ACPI_TABLE_GUID
// eb9d2d30-2d88-11d3-9a16-0090273fc14d (UEFI 2.10 §4.6.1.1).
inline constexpr u8 kEfiAcpi20Guid[kEfiGuidLen] = {0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
                                                   0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81};
inline constexpr u8 kEfiAcpi10Guid[kEfiGuidLen] = {0x30, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
                                                   0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d};

enum class RsdpError : u8 {
  Unreadable = 1,     // the address is outside the memory the VMM may read
  BadSignature,       // no "RSD PTR " there
  BadChecksum,        // the 20-byte (or, revision 2+, the extended) checksum fails
  BadLength,          // revision 2+ with a length under 36 or over kRsdpMaxLen
  NotEfiSystemTable,  // no "IBI SYST" signature at the EFI system table address
  TooManyTables,      // NumberOfTableEntries over kEfiMaxConfigTables
  NoAcpiTable,        // the configuration table lists neither ACPI GUID
};
const char* to_string(RsdpError e);

// Bytes of a valid RSDP in p[0..len): its length (20 for revision 0, its Length
// field for 2+), or why not.
Result<usize, RsdpError> check_rsdp(const u8* p, usize len);
// The same for an RSDP at a physical address.
Result<usize, RsdpError> check_rsdp_at(const PhysMemory& mem, u64 address);

// The RSDP the EFI system table at `system_table` points to (64-bit or 32-bit
// table): the ACPI 2.0 entry if it holds a valid RSDP, else the ACPI 1.0 one.
Result<u64, RsdpError> rsdp_from_efi_system_table(const PhysMemory& mem, u64 system_table, bool is64);

enum class RsdpSource : u8 {
  None = 0,
  CommandLine,
  EfiSystemTable,
  Multiboot2NewTag,
  Multiboot2OldTag,
  BiosSearch,
  AcpiMemorySearch
};
const char* to_string(RsdpSource s);

struct RsdpOffer {
  bool cmdline_given = false;  // acpi.rsdp= was on the command line
  u64 cmdline_address = 0;
  u64 efi_system_table = 0;  // 0: none
  bool efi_system_table_64 = true;
  u64 tag_copy_address = 0;  // where the VMM copied the multiboot2 RSDP tag (0: no tag)
  RsdpSource tag_source = RsdpSource::None;
  bool bios_search = true;  // try find_rsdp
  // The memory map's ACPI (type 3) and NVS (type 4) ranges, searched last
  // (4-byte steps: UEFI sets no 16-byte alignment; at most kMaxAcpiSearchBytes).
  const Range* acpi_memory = nullptr;
  usize acpi_memory_count = 0;
};
inline constexpr u64 kMaxAcpiSearchBytes = 16 * MiB;

// Source 5 alone: a valid RSDP in `ranges` (at 4-byte steps) whose RSDT (or,
// revision 2+, XSDT) has its signature: the first of revision 2 or later,
// else the first of revision 0; 0 if none.
u64 search_rsdp_in(const PhysMemory& mem, const Range* ranges, usize count);

struct RsdpChoice {
  u64 address = 0;  // 0: none found
  RsdpSource source = RsdpSource::None;
  // Sources that offered something invalid, and why (for the log).
  bool cmdline_refused = false;
  RsdpError cmdline_error = RsdpError::Unreadable;
  bool efi_refused = false;
  RsdpError efi_error = RsdpError::Unreadable;
  bool tag_refused = false;
  RsdpError tag_error = RsdpError::Unreadable;
};

// Goes through the sources in the order above; reads nothing a source did not offer.
RsdpChoice choose_rsdp(const PhysMemory& mem, const RsdpOffer& offer);

}  // namespace tv
