#include "tv/efi_mmap.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(EfiMmapError e) {
  switch (e) {
    case EfiMmapError::BadDescriptorSize: return "EFI memory descriptor size under 40 bytes or not a multiple of 8";
    case EfiMmapError::Ragged: return "EFI memory map is not a whole number of descriptors";
    case EfiMmapError::Overflow: return "an EFI memory descriptor reaches past 2^64";
    case EfiMmapError::TooManyRegions: return "more EFI memory map regions than the VMM takes";
  }
  return "unknown EFI memory map error";
}

u32 e820_type_of_efi(u32 efi_type) {
  switch (efi_type) {
    case EfiLoaderCode:
    case EfiLoaderData:
    case EfiBootServicesCode:
    case EfiBootServicesData:
    case EfiConventionalMemory: return Usable;
    case EfiACPIReclaimMemory: return AcpiReclaim;
    case EfiACPIMemoryNVS: return AcpiNvs;
    case EfiUnusableMemory: return Unusable;
    case EfiPersistentMemory: return kE820PersistentMemory;
    default: return Reserved;
  }
}

Result<usize, EfiMmapError> efi_mmap_to_regions(const u8* map, usize bytes, u32 descriptor_size, MemRegion* out,
                                                usize cap) {
  if (descriptor_size < kEfiMdMinSize || descriptor_size % 8 != 0) return Err{EfiMmapError::BadDescriptorSize};
  if (bytes % descriptor_size != 0) return Err{EfiMmapError::Ragged};
  usize n = 0;
  for (usize at = 0; at < bytes; at += descriptor_size) {
    const u8* d = map + at;
    const u64 base = load_le64(d + kEfiMdPhysicalStart), pages = load_le64(d + kEfiMdNumberOfPages);
    if (pages == 0) continue;
    if (pages > (~0ull >> 12) || pages * kEfiPageSize > ~0ull - base) return Err{EfiMmapError::Overflow};
    const u64 size = pages * kEfiPageSize;
    const u32 type = e820_type_of_efi(load_le32(d + kEfiMdType));
    if (n != 0 && out[n - 1].type == type && out[n - 1].base + out[n - 1].size == base) {
      out[n - 1].size += size;
      continue;
    }
    if (n == cap) return Err{EfiMmapError::TooManyRegions};
    out[n++] = {base, size, type};
  }
  return n;
}

}  // namespace tv
