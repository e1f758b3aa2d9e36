// Multiboot v1 (spec 0.6.96): the info structure we receive from the boot loader, and the
// header we look for when loading a multiboot kernel as the guest.
#pragma once
#include "tv/e820.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

// Value in EAX when a multiboot loader enters the OS (§3.2).
inline constexpr u32 kMultibootBootloaderMagic = 0x2BADB002;
// First field of the OS image header (§3.1.1).
inline constexpr u32 kMultibootHeaderMagic = 0x1BADB002;
// The header must lie entirely within the first 8192 bytes, 32-bit aligned (§3.1.1).
inline constexpr usize kMultibootSearchLimit = 8192;
inline constexpr usize kMultibootHeaderAlign = 4;

// MultibootHeader::flags (§3.1.2). Bits 0-15 are "required": a loader that does not understand
// one must refuse the image. Bits 16-31 are optional.
inline constexpr u32 kMbHeaderPageAlignModules = 1u << 0;
inline constexpr u32 kMbHeaderWantMemoryInfo = 1u << 1;
inline constexpr u32 kMbHeaderWantVideoMode = 1u << 2;
inline constexpr u32 kMbHeaderAoutKludge = 1u << 16;  // address fields (offsets 12-28) are valid
inline constexpr u32 kMbHeaderRequiredMask = 0x0000FFFFu;
inline constexpr u32 kMbHeaderSupportedRequired =
    kMbHeaderPageAlignModules | kMbHeaderWantMemoryInfo | kMbHeaderWantVideoMode;

// OS image header, Multiboot 0.6.96 §3.1.1 (video fields at 32..47 follow; we ignore them).
struct MultibootHeader {
  u32 magic;
  u32 flags;
  u32 checksum;  // magic + flags + checksum == 0 (mod 2^32)
  u32 header_addr;
  u32 load_addr;
  u32 load_end_addr;
  u32 bss_end_addr;
  u32 entry_addr;
};
static_assert(sizeof(MultibootHeader) == 32);
static_assert(__builtin_offsetof(MultibootHeader, checksum) == 8);
static_assert(__builtin_offsetof(MultibootHeader, header_addr) == 12);
static_assert(__builtin_offsetof(MultibootHeader, entry_addr) == 28);

// MultibootInfo::flags (§3.3): which fields of the info structure are valid.
inline constexpr u32 kMbInfoMemory = 1u << 0;          // mem_lower, mem_upper
inline constexpr u32 kMbInfoBootDevice = 1u << 1;      // boot_device
inline constexpr u32 kMbInfoCmdline = 1u << 2;         // cmdline
inline constexpr u32 kMbInfoMods = 1u << 3;            // mods_count, mods_addr
inline constexpr u32 kMbInfoAoutSyms = 1u << 4;        // syms as a.out symbol table
inline constexpr u32 kMbInfoElfSections = 1u << 5;     // syms as ELF section headers
inline constexpr u32 kMbInfoMmap = 1u << 6;            // mmap_length, mmap_addr
inline constexpr u32 kMbInfoDrives = 1u << 7;          // drives_length, drives_addr
inline constexpr u32 kMbInfoConfigTable = 1u << 8;     // config_table
inline constexpr u32 kMbInfoBootLoaderName = 1u << 9;  // boot_loader_name
inline constexpr u32 kMbInfoApmTable = 1u << 10;       // apm_table
inline constexpr u32 kMbInfoVbe = 1u << 11;            // vbe_* fields
inline constexpr u32 kMbInfoFramebuffer = 1u << 12;    // framebuffer_* fields

// Boot information structure, Multiboot 0.6.96 §3.3 (packed: the u64 at 88 would otherwise pad
// the struct to 120 bytes; the spec defines exactly 116).
struct MultibootInfo {
  u32 flags;
  u32 mem_lower;  // KiB below 1 MiB
  u32 mem_upper;  // KiB above 1 MiB (up to the first hole)
  u32 boot_device;
  u32 cmdline;  // physical address of a NUL-terminated string
  u32 mods_count;
  u32 mods_addr;  // physical address of MultibootModule[mods_count]
  u32 syms[4];    // a.out symbol table or ELF section header table
  u32 mmap_length;
  u32 mmap_addr;  // physical address of a MultibootMmapEntry buffer (see parse_multiboot_mmap)
  u32 drives_length;
  u32 drives_addr;
  u32 config_table;
  u32 boot_loader_name;
  u32 apm_table;
  u32 vbe_control_info;
  u32 vbe_mode_info;
  u16 vbe_mode;
  u16 vbe_interface_seg;
  u16 vbe_interface_off;
  u16 vbe_interface_len;
  u64 framebuffer_addr;
  u32 framebuffer_pitch;
  u32 framebuffer_width;
  u32 framebuffer_height;
  u8 framebuffer_bpp;
  u8 framebuffer_type;
  u8 color_info[6];
} __attribute__((packed));
static_assert(sizeof(MultibootInfo) == 116);
static_assert(__builtin_offsetof(MultibootInfo, cmdline) == 16);
static_assert(__builtin_offsetof(MultibootInfo, mods_count) == 20);
static_assert(__builtin_offsetof(MultibootInfo, syms) == 28);
static_assert(__builtin_offsetof(MultibootInfo, mmap_length) == 44);
static_assert(__builtin_offsetof(MultibootInfo, mmap_addr) == 48);
static_assert(__builtin_offsetof(MultibootInfo, boot_loader_name) == 64);
static_assert(__builtin_offsetof(MultibootInfo, vbe_mode) == 80);
static_assert(__builtin_offsetof(MultibootInfo, framebuffer_addr) == 88);
static_assert(__builtin_offsetof(MultibootInfo, framebuffer_bpp) == 108);
static_assert(__builtin_offsetof(MultibootInfo, color_info) == 110);

// Memory map entry, Multiboot 0.6.96 §3.3. `size` excludes itself and may exceed 20.
struct MultibootMmapEntry {
  u32 size;
  u64 addr;
  u64 len;
  u32 type;
} __attribute__((packed));
static_assert(sizeof(MultibootMmapEntry) == 24);
static_assert(__builtin_offsetof(MultibootMmapEntry, addr) == 4);
static_assert(__builtin_offsetof(MultibootMmapEntry, len) == 12);
static_assert(__builtin_offsetof(MultibootMmapEntry, type) == 20);
// Bytes of an entry after `size` that we need: addr, len, type.
inline constexpr u32 kMultibootMmapMinEntrySize = 20;

// Module descriptor, Multiboot 0.6.96 §3.3 (mods_addr points at an array of these).
struct MultibootModule {
  u32 mod_start;
  u32 mod_end;  // exclusive
  u32 string;   // physical address of a NUL-terminated string, or 0
  u32 reserved;
};
static_assert(sizeof(MultibootModule) == 16);
static_assert(__builtin_offsetof(MultibootModule, string) == 8);

enum class MultibootError : u8 {
  NotFound = 1,      // no header magic in the first 8192 bytes
  BadChecksum,       // magic found, but magic + flags + checksum != 0 for every candidate
  Truncated,         // the header, or the file range it asks us to load, extends past the image
  UnsupportedFlags,  // a required flag bit (0-15) we do not implement
  BadAddresses,      // inconsistent a.out kludge addresses
};
const char* to_string(MultibootError e);

struct MultibootHeaderInfo {
  u32 flags = 0;
  usize header_offset = 0;  // file offset of the header
  bool page_align_modules = false;
  bool wants_memory_info = false;
  bool wants_video_mode = false;  // accepted, but we never set a video mode

  // Valid only if has_addresses (flag bit 16); otherwise the image must be loaded as ELF.
  bool has_addresses = false;
  u32 header_addr = 0;
  u32 load_addr = 0;
  u32 load_end_addr = 0;  // as in the header (0 = up to end of file)
  u32 bss_end_addr = 0;   // as in the header (0 = no bss)
  u32 entry_addr = 0;
  // Derived and validated (§3.1.3): copy image[load_file_offset, +load_size) to load_addr, then
  // zero [load_addr + load_size, bss_end) where bss_end = bss_end_addr or the load end.
  usize load_file_offset = 0;
  u32 load_size = 0;
  u32 bss_end = 0;
};

// Finds and validates the multiboot header of an untrusted image.
Result<MultibootHeaderInfo, MultibootError> find_multiboot_header(const u8* image, usize len);

// Walks a multiboot mmap buffer (mmap_addr/mmap_length) of untrusted bytes and stores up to cap
// regions in out. Each entry occupies size + 4 bytes. Stops at the first entry that is shorter
// than 20 bytes or extends past len (truncated/corrupt: nothing after it can be trusted).
// Skips entries of zero length, clips entries that would wrap past 2^64.
// Returns the number of regions stored.
usize parse_multiboot_mmap(const u8* buf, usize len, MemRegion* out, usize cap);

}  // namespace tv
