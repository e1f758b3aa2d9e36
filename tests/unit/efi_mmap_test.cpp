// The UEFI memory map as e820 regions (tv/efi_mmap.hpp): UEFI 2.10 Table 7-6
// and ACPI 6.5 Table 15.6.
#include "tv/efi_mmap.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tv {
namespace {

std::vector<u8> descriptors(const std::vector<MemRegion>& efi, u32 size = 48) {
  std::vector<u8> b(efi.size() * size, 0xCC);
  for (size_t i = 0; i < efi.size(); ++i) {
    u8* d = b.data() + i * size;
    const u64 pages = efi[i].size / 4096;
    for (int k = 0; k < 4; ++k) d[k] = u8(efi[i].type >> (8 * k));
    for (int k = 0; k < 8; ++k) d[8 + k] = u8(efi[i].base >> (8 * k)), d[24 + k] = u8(pages >> (8 * k));
  }
  return b;
}

TEST(EfiMmap, TypesMapAsAcpiTable15_6SaysAfterExitBootServices) {
  EXPECT_EQ(e820_type_of_efi(EfiConventionalMemory), Usable);
  EXPECT_EQ(e820_type_of_efi(EfiLoaderCode), Usable);
  EXPECT_EQ(e820_type_of_efi(EfiLoaderData), Usable);
  EXPECT_EQ(e820_type_of_efi(EfiBootServicesCode), Usable);
  EXPECT_EQ(e820_type_of_efi(EfiBootServicesData), Usable);
  EXPECT_EQ(e820_type_of_efi(EfiACPIReclaimMemory), AcpiReclaim);
  EXPECT_EQ(e820_type_of_efi(EfiACPIMemoryNVS), AcpiNvs);
  EXPECT_EQ(e820_type_of_efi(EfiUnusableMemory), Unusable);
  EXPECT_EQ(e820_type_of_efi(EfiPersistentMemory), kE820PersistentMemory);
  for (u32 t : {0u, 5u, 6u, 11u, 12u, 13u, 15u, 0x70000000u, 0x80000000u})
    EXPECT_EQ(e820_type_of_efi(t), Reserved) << t;
}

TEST(EfiMmap, ConvertsAndMergesContiguousRamOfOneType) {
  auto b = descriptors({{0, 0xA0000, EfiConventionalMemory},
                        {0x100000, 0x100000, EfiLoaderData},
                        {0x200000, 0x300000, EfiBootServicesCode},  // continues the RAM: merged
                        {0x500000, 0x1000, EfiACPIReclaimMemory},
                        {0x501000, 0, EfiConventionalMemory},  // empty: skipped
                        {0x501000, 0x2000, EfiRuntimeServicesData},
                        {0x1'0000'0000ull, 0x4000'0000ull, EfiConventionalMemory}});  // above 4 GiB
  MemRegion out[8];
  auto n = efi_mmap_to_regions(b.data(), b.size(), 48, out, 8);
  ASSERT_TRUE(n.ok()) << to_string(n.error());
  ASSERT_EQ(*n, 5u);
  EXPECT_EQ(out[0].size, 0xA0000u);
  EXPECT_EQ(out[1].base, 0x100000u);
  EXPECT_EQ(out[1].size, 0x400000u);
  EXPECT_EQ(out[1].type, Usable);
  EXPECT_EQ(out[2].type, AcpiReclaim);
  EXPECT_EQ(out[3].type, Reserved);
  EXPECT_EQ(out[4].base, 0x1'0000'0000ull);
}

TEST(EfiMmap, MalformedMapsAreRefused) {
  auto b = descriptors({{0, 0x1000, 7}, {0x1000, 0x1000, 0}});
  MemRegion out[1];
  EXPECT_EQ(efi_mmap_to_regions(b.data(), b.size(), 32, out, 1).error(), EfiMmapError::BadDescriptorSize);
  EXPECT_EQ(efi_mmap_to_regions(b.data(), b.size(), 44, out, 1).error(), EfiMmapError::BadDescriptorSize);
  EXPECT_EQ(efi_mmap_to_regions(b.data(), b.size() - 8, 48, out, 1).error(), EfiMmapError::Ragged);
  EXPECT_EQ(efi_mmap_to_regions(b.data(), b.size(), 48, out, 1).error(), EfiMmapError::TooManyRegions);
  auto wrap = descriptors({{0xFFFF'FFFF'FFFF'0000ull, 0x20000, 7}});
  EXPECT_EQ(efi_mmap_to_regions(wrap.data(), wrap.size(), 48, out, 1).error(), EfiMmapError::Overflow);
  std::vector<u8> huge = descriptors({{0, 0x1000, 7}});
  for (int k = 0; k < 8; ++k) huge[24 + k] = 0xFF;  // 2^64-1 pages
  EXPECT_EQ(efi_mmap_to_regions(huge.data(), huge.size(), 48, out, 1).error(), EfiMmapError::Overflow);
  EXPECT_EQ(*efi_mmap_to_regions(b.data(), 0, 48, out, 1), 0u);
}

}  // namespace
}  // namespace tv
