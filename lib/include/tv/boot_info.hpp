// What the boot loader gave the VMM, whichever multiboot protocol it spoke:
// command line, modules, memory map, where the ACPI RSDP may be found and the
// framebuffer. kmain fills one from multiboot v1 (vmm/kernel/main.cpp) or
// multiboot2 (boot_info_from_multiboot2) and the rest of the VMM reads only
// this. Everything is copied in: the loader's structures lie in memory the
// guest will own.
#pragma once
#include "tv/e820.hpp"
#include "tv/framebuffer.hpp"
#include "tv/multiboot2.hpp"
#include "tv/result.hpp"
#include "tv/rsdp.hpp"
#include "tv/types.hpp"

namespace tv {

struct BootInfo {
  static constexpr usize kMaxModules = 16;
  static constexpr usize kMaxRegions = 128;
  static constexpr usize kCmdlineBytes = 4096;  // with the NUL; longer lines are cut
  static constexpr usize kModuleStringBytes = 256;
  struct Module {
    u64 base;
    u64 size;
    char string[kModuleStringBytes];
  };
  u8 protocol = 0;  // 1: multiboot v1, 2: multiboot2
  char cmdline[kCmdlineBytes] = {};
  Module modules[kMaxModules] = {};
  usize module_count = 0;
  MemRegion regions[kMaxRegions] = {};
  usize region_count = 0;
  // A copy of the RSDP from multiboot2 tag 15 (preferred) or 14, already
  // checked (check_rsdp); rsdp_copy_len 0 without.
  u8 rsdp_copy[kRsdpMaxLen] = {};
  usize rsdp_copy_len = 0;
  RsdpSource rsdp_copy_source = RsdpSource::None;
  u64 efi_system_table = 0;  // 0: none (multiboot v1, or a BIOS boot)
  bool efi_system_table_64 = false;
  bool has_framebuffer = false;
  Framebuffer framebuffer = {};
};

enum class BootInfoError : u8 {
  NoMemoryMap = 1,  // neither tag 6 nor tag 17
  BadEfiMmap,       // tag 17 could not be converted (efi_mmap_to_regions)
  ModulesOverlap,   // two modules share bytes
};
const char* to_string(BootInfoError e);

// The memory map of a multiboot2 boot: tag 6 when the loader gave it (GRUB
// builds it from the firmware's map), else the EFI memory map (tag 17)
// converted by efi_mmap_to_regions. Returns the number of regions in out.
Result<usize, BootInfoError> multiboot2_memory_map(const Multiboot2Info& mb, MemRegion* out, usize cap);

// Fills `out` from parsed multiboot2 information. An RSDP tag that fails its
// checksum is dropped (the VMM's other sources remain), not refused.
Status<BootInfoError> boot_info_from_multiboot2(const Multiboot2Info& mb, BootInfo& out);

// Checks what both protocols need: modules that overlap one another are
// refused (index of the second one in bad_module).
Status<BootInfoError> check_boot_modules(const BootInfo& info, usize& bad_module);

// Where the VMM keeps the copy of a multiboot2 RSDP tag for itself and the
// guest: the 4 KiB page just below `below` (the VMM's 2 MiB-aligned region;
// the guest's e820 then marks the page reserved). 0 when that page is not
// wholly inside one usable region or overlaps a boot module.
u64 rsdp_copy_page(const BootInfo& info, u64 below);

}  // namespace tv
