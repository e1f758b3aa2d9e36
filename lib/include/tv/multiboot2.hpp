// Multiboot2 (specification version 2.0, §3.6 "Boot information format"):
// the boot information a multiboot2 loader (GRUB's `multiboot2`) hands the
// OS. The VMM needs from it what multiboot v1 cannot carry on UEFI machines:
// the ACPI RSDP (tags 14/15), the EFI system table (11/12), the memory map
// (6; the EFI one is tag 17) and the framebuffer (8), plus the command line
// and the modules. Hardware-free: parse_multiboot2() reads a bounded buffer
// and never reads outside it (tests/unit/multiboot2_test.cpp).
#pragma once
#include "tv/e820.hpp"
#include "tv/framebuffer.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

// EAX when a multiboot2 loader enters the OS (§3.3); the header magic (§3.1.1).
inline constexpr u32 kMultiboot2BootloaderMagic = 0x36D76289;
inline constexpr u32 kMultiboot2HeaderMagic = 0xE85250D6;

// Tag types of the boot information (§3.6.1-§3.6.17).
namespace mb2 {
inline constexpr u32 kTagEnd = 0;
inline constexpr u32 kTagCmdline = 1;
inline constexpr u32 kTagLoaderName = 2;
inline constexpr u32 kTagModule = 3;
inline constexpr u32 kTagBasicMeminfo = 4;
inline constexpr u32 kTagBootDevice = 5;
inline constexpr u32 kTagMmap = 6;
inline constexpr u32 kTagFramebuffer = 8;
inline constexpr u32 kTagEfi32SystemTable = 11;
inline constexpr u32 kTagEfi64SystemTable = 12;
inline constexpr u32 kTagAcpiOldRsdp = 14;
inline constexpr u32 kTagAcpiNewRsdp = 15;
inline constexpr u32 kTagEfiMmap = 17;
inline constexpr u32 kTagEfiBootServices = 18;
inline constexpr u32 kTagLoadBaseAddr = 21;
inline constexpr usize kTagAlign = 8;  // every tag starts 8-byte aligned (§3.6.1)
}  // namespace mb2

enum class Mb2Error : u8 {
  TooShort = 1,    // fewer than the 8-byte fixed part
  BadTotalSize,    // total_size smaller than 16, larger than the buffer, or not a multiple of 8
  TagPastEnd,      // a tag's size runs past total_size
  TagTooSmall,     // a tag smaller than its type's fixed part
  NoEndTag,        // the tags end without the type-0 end tag
  BadString,       // a command line, loader name or module string without its NUL inside the tag
  BadMmap,         // entry_size not a multiple of 8 or smaller than 24, or a ragged last entry
  TooManyModules,  // more than kMaxModules module tags
  TooManyRegions,  // more memory-map entries than kMaxRegions
  BadModule,       // mod_end < mod_start
  DuplicateTag,    // a tag the specification gives once (command line, memory map, RSDP...) seen twice
};
const char* to_string(Mb2Error e);

struct Mb2Module {
  u32 start;
  u32 end;             // exclusive (§3.6.6: "end" is the first byte past the module)
  const char* string;  // NUL-terminated, inside the parsed buffer
};

// The framebuffer tag (§3.6.12). Its direct-RGB colour info follows the 2-byte
// reserved field, at tag offset 32 (GRUB's struct
// multiboot_tag_framebuffer_common and the specification's own multiboot2.h;
// the prose table's "u8 reserved" is one byte short).
using Mb2Framebuffer = Framebuffer;

struct Multiboot2Info {
  static constexpr usize kMaxModules = 16;
  static constexpr usize kMaxRegions = 128;
  const char* cmdline = nullptr;  // nullptr when there is no tag 1
  const char* loader_name = nullptr;
  Mb2Module modules[kMaxModules] = {};
  usize module_count = 0;
  MemRegion regions[kMaxRegions] = {};  // tag 6, in the e820 types (1 usable, 2 reserved, 3 ACPI, ...)
  usize region_count = 0;
  bool has_mmap = false;
  // Tag 14: a copy of the ACPI 1.0 RSDP (20 bytes); tag 15: of the 2.0+ one (36 bytes).
  const u8* rsdp_v1 = nullptr;
  const u8* rsdp_v2 = nullptr;
  usize rsdp_v2_len = 0;
  u64 efi_system_table = 0;                // tag 12 (64-bit) or 11 (32-bit); 0 without
  bool efi_system_table_64 = false;        // it came from tag 12
  bool efi_boot_services_running = false;  // tag 18: ExitBootServices was not called
  const u8* efi_mmap = nullptr;            // tag 17: descriptors, each efi_mmap_descriptor_size bytes
  usize efi_mmap_bytes = 0;
  u32 efi_mmap_descriptor_size = 0;
  bool has_framebuffer = false;
  Mb2Framebuffer framebuffer = {};
  u32 load_base = 0;  // tag 21: where the loader put the image (relocatable images)
};

// Parses the boot information at `info` (its first u32 is total_size); `len`
// is how many bytes may be read there. Tags of unknown type are skipped
// (§3.6.1: the OS must ignore them). Pointers in the result point into
// `info`, so it must outlive them.
Result<Multiboot2Info, Mb2Error> parse_multiboot2(const u8* info, usize len);

}  // namespace tv
