// The common "what the boot loader gave" (tv/boot_info.hpp) from multiboot2.
#include "tv/boot_info.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tv/efi_mmap.hpp"

namespace tv {
namespace {

std::vector<u8> rsdp(u8 revision) {
  std::vector<u8> r(revision >= 2 ? 36 : 20, 0);
  std::memcpy(r.data(), "RSD PTR ", 8);
  r[15] = revision;
  auto fix = [&](size_t at, size_t n) {
    u8 s = 0;
    for (size_t i = 0; i < n; ++i) s = u8(s + r[i]);
    r[at] = u8(r[at] - s);
  };
  fix(8, 20);
  if (revision >= 2) r[20] = 36, fix(32, 36);
  return r;
}

TEST(BootInfo, FromMultiboot2TakesEverythingAndPrefersTheNewRsdpTag) {
  Multiboot2Info mb;
  mb.cmdline = "log.size=16 -- console=ttyS0";
  mb.modules[0] = {0x1000000, 0x1800000, "/boot/vmlinuz"};
  mb.modules[1] = {0x1800000, 0x1800000, "/boot/empty"};
  mb.module_count = 2;
  mb.regions[0] = {0, 0x9FC00, Usable};
  mb.region_count = 1;
  mb.has_mmap = true;
  auto v1 = rsdp(0), v2 = rsdp(2);
  mb.rsdp_v1 = v1.data();
  mb.rsdp_v2 = v2.data();
  mb.rsdp_v2_len = v2.size();
  mb.efi_system_table = 0x7F9EE018;
  mb.efi_system_table_64 = true;
  mb.has_framebuffer = true;
  mb.framebuffer = {0x80000000, 4096, 1024, 768, 32, kFramebufferRgb, true, 16, 8, 8, 8, 0, 8};
  static BootInfo b;
  b = BootInfo{};
  ASSERT_TRUE(boot_info_from_multiboot2(mb, b).ok());
  EXPECT_EQ(b.protocol, 2);
  EXPECT_STREQ(b.cmdline, "log.size=16 -- console=ttyS0");
  ASSERT_EQ(b.module_count, 2u);
  EXPECT_EQ(b.modules[0].base, 0x1000000u);
  EXPECT_EQ(b.modules[0].size, 0x800000u);
  EXPECT_EQ(b.modules[1].size, 0u);
  EXPECT_STREQ(b.modules[0].string, "/boot/vmlinuz");
  ASSERT_EQ(b.region_count, 1u);
  EXPECT_EQ(b.rsdp_copy_source, RsdpSource::Multiboot2NewTag);
  ASSERT_EQ(b.rsdp_copy_len, 36u);
  EXPECT_EQ(std::memcmp(b.rsdp_copy, v2.data(), 36), 0);
  EXPECT_EQ(b.efi_system_table, 0x7F9EE018u);
  EXPECT_TRUE(b.has_framebuffer);
  EXPECT_EQ(b.framebuffer.red_pos, 16);

  // A new tag that fails its checksum: the old one is used instead.
  v2[33] ^= 0xFF;
  b = BootInfo{};
  ASSERT_TRUE(boot_info_from_multiboot2(mb, b).ok());
  EXPECT_EQ(b.rsdp_copy_source, RsdpSource::Multiboot2OldTag);
  EXPECT_EQ(b.rsdp_copy_len, 20u);
  v1[0] = 'x';
  b = BootInfo{};
  ASSERT_TRUE(boot_info_from_multiboot2(mb, b).ok());
  EXPECT_EQ(b.rsdp_copy_len, 0u);
}

TEST(BootInfo, WithoutTag6TheEfiMemoryMapIsUsed) {
  std::vector<u8> d(2 * 48, 0);
  auto put = [&](int i, u32 type, u64 base, u64 pages) {
    std::memcpy(d.data() + i * 48, &type, 4);
    std::memcpy(d.data() + i * 48 + 8, &base, 8);
    std::memcpy(d.data() + i * 48 + 24, &pages, 8);
  };
  put(0, EfiBootServicesData, 0x100000, 0x100);
  put(1, EfiACPIMemoryNVS, 0x200000, 1);
  Multiboot2Info mb;
  mb.efi_mmap = d.data();
  mb.efi_mmap_bytes = d.size();
  mb.efi_mmap_descriptor_size = 48;
  MemRegion out[4];
  auto n = multiboot2_memory_map(mb, out, 4);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 2u);
  EXPECT_EQ(out[0].type, Usable);
  EXPECT_EQ(out[1].type, AcpiNvs);
  mb.efi_mmap_descriptor_size = 20;
  EXPECT_EQ(multiboot2_memory_map(mb, out, 4).error(), BootInfoError::BadEfiMmap);
  mb.efi_mmap = nullptr;
  EXPECT_EQ(multiboot2_memory_map(mb, out, 4).error(), BootInfoError::NoMemoryMap);
}

TEST(BootInfo, OverlappingModulesAreRefused) {
  static BootInfo b;
  b = BootInfo{};
  b.modules[0] = {0x1000000, 0x800000, {}};
  b.modules[1] = {0x1800000, 0x100000, {}};
  b.modules[2] = {0x1800000, 0, {}};  // empty: overlaps nothing
  b.module_count = 3;
  usize bad = 99;
  EXPECT_TRUE(check_boot_modules(b, bad).ok());
  b.modules[1].base = 0x17FF000;
  EXPECT_EQ(check_boot_modules(b, bad).error(), BootInfoError::ModulesOverlap);
  EXPECT_EQ(bad, 1u);
}

TEST(BootInfo, TheRsdpCopyPageIsFreeUsableRamBelowTheVmm) {
  static BootInfo b;
  b = BootInfo{};
  b.regions[0] = {0x100000, 0x7FF00000, Usable};
  b.region_count = 1;
  EXPECT_EQ(rsdp_copy_page(b, 0x7FE00000), 0x7FDFF000u);
  EXPECT_EQ(rsdp_copy_page(b, 0x100000), 0u);  // the page below is not in the usable region
  b.modules[0] = {0x7FDFF800, 0x1000, {}};
  b.module_count = 1;
  EXPECT_EQ(rsdp_copy_page(b, 0x7FE00000), 0u);
  b.module_count = 0;
  b.regions[1] = {0x7FDFF000, 0x1000, Reserved};
  b.region_count = 2;
  EXPECT_EQ(rsdp_copy_page(b, 0x7FE00000), 0u);
}

}  // namespace
}  // namespace tv
