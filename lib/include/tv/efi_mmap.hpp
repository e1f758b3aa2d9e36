// The UEFI memory map (UEFI 2.10 §7.2 EFI_BOOT_SERVICES.GetMemoryMap(), the
// EFI_MEMORY_DESCRIPTOR layout and Table 7-6 "Memory Type Usage after
// ExitBootServices()") as the e820-like MemRegion list the VMM works with. A
// multiboot2 loader on UEFI may give the memory map only as this (tag 17).
#pragma once
#include "tv/e820.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

// EFI_MEMORY_TYPE (UEFI 2.10 §7.2, EFI_BOOT_SERVICES.AllocatePages()).
enum EfiMemoryType : u32 {
  EfiReservedMemoryType = 0,
  EfiLoaderCode = 1,
  EfiLoaderData = 2,
  EfiBootServicesCode = 3,
  EfiBootServicesData = 4,
  EfiRuntimeServicesCode = 5,
  EfiRuntimeServicesData = 6,
  EfiConventionalMemory = 7,
  EfiUnusableMemory = 8,
  EfiACPIReclaimMemory = 9,
  EfiACPIMemoryNVS = 10,
  EfiMemoryMappedIO = 11,
  EfiMemoryMappedIOPortSpace = 12,
  EfiPalCode = 13,
  EfiPersistentMemory = 14,
  EfiUnacceptedMemoryType = 15,
};

// EFI_MEMORY_DESCRIPTOR field offsets; a map's descriptor size may exceed the
// 40 bytes defined (§7.2: "use DescriptorSize to step").
inline constexpr usize kEfiMdType = 0;            // u32 (then 4 bytes of padding)
inline constexpr usize kEfiMdPhysicalStart = 8;   // u64
inline constexpr usize kEfiMdNumberOfPages = 24;  // u64, 4 KiB pages
inline constexpr usize kEfiMdMinSize = 40;
inline constexpr u64 kEfiPageSize = 4096;
inline constexpr u32 kE820PersistentMemory = 7;  // ACPI 6.5 Table 15.1 AddressRangePersistentMemory

// The e820 type of an EFI memory type once ExitBootServices() has been called,
// as ACPI 6.5 §15.4 Table 15.6 maps them: loader and boot-services code/data and
// conventional memory are usable RAM, ACPI reclaim memory is ACPI, ACPI NVS is
// NVS, unusable memory is unusable, persistent memory is type 7; everything else
// (reserved, runtime services, MMIO, PAL code, unaccepted memory) is reserved.
u32 e820_type_of_efi(u32 efi_type);

enum class EfiMmapError : u8 {
  BadDescriptorSize = 1,  // under 40 bytes or not a multiple of 8
  Ragged,                 // the map is not a whole number of descriptors
  Overflow,               // a descriptor's pages reach past 2^64
  TooManyRegions,         // more regions (after merging) than the caller has room for
};
const char* to_string(EfiMmapError e);

// Converts a map of untrusted descriptors into regions, merging a descriptor
// into the previous region when it continues it with the same e820 type (the
// firmware lists hundreds of small boot-services allocations that are all RAM
// once boot services are gone). Empty descriptors are skipped. Returns the
// number of regions stored in out[0..cap).
Result<usize, EfiMmapError> efi_mmap_to_regions(const u8* map, usize bytes, u32 descriptor_size, MemRegion* out,
                                                usize cap);

}  // namespace tv
