// x86 Linux boot protocol (Documentation/arch/x86/boot.rst, zero-page.rst), 32-bit entry path:
// parse a bzImage, plan where its pieces go in guest memory, and fill the zero page
// (struct boot_params) that the kernel expects in ESI.
#pragma once
#include "tv/e820.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

// --- Setup header fields (boot.rst "THE REAL-MODE KERNEL HEADER"); offsets are from the start
// of the bzImage file, which equal the offsets inside the zero page (the header is copied 1:1).
inline constexpr usize kHdrSetupSects = 0x1F1;         // u8
inline constexpr usize kHdrSyssize = 0x1F4;            // u32, 16-byte paragraphs (2.04+)
inline constexpr usize kHdrBootFlag = 0x1FE;           // u16, 0xAA55
inline constexpr usize kHdrJump = 0x200;               // u16, EB xx: header ends at 0x202 + xx
inline constexpr usize kHdrHeader = 0x202;             // u32, "HdrS"
inline constexpr usize kHdrVersion = 0x206;            // u16
inline constexpr usize kHdrTypeOfLoader = 0x210;       // u8
inline constexpr usize kHdrLoadflags = 0x211;          // u8
inline constexpr usize kHdrRamdiskImage = 0x218;       // u32
inline constexpr usize kHdrRamdiskSize = 0x21C;        // u32
inline constexpr usize kHdrCmdLinePtr = 0x228;         // u32 (2.02+)
inline constexpr usize kHdrInitrdAddrMax = 0x22C;      // u32 (2.03+)
inline constexpr usize kHdrKernelAlignment = 0x230;    // u32 (2.05+)
inline constexpr usize kHdrRelocatableKernel = 0x234;  // u8 (2.05+)
inline constexpr usize kHdrXloadflags = 0x236;         // u16 (2.12+)
inline constexpr usize kHdrCmdlineSize = 0x238;        // u32 (2.06+)
inline constexpr usize kHdrPrefAddress = 0x258;        // u64 (2.10+)
inline constexpr usize kHdrInitSize = 0x260;           // u32 (2.10+)
inline constexpr usize kSetupHeaderStart = kHdrSetupSects;
// The last field we read is init_size, so the header must extend at least this far.
inline constexpr usize kSetupHeaderMinEnd = kHdrInitSize + 4;
// struct boot_params reserves 0x1F1..0x290 for struct setup_header (zero-page.rst: the next
// field, edd_mbr_sig_buffer, is at 0x290); a longer claimed header would clobber it.
inline constexpr usize kSetupHeaderMaxEnd = 0x290;

inline constexpr u32 kHdrSMagic = 0x53726448;  // "HdrS" little-endian
inline constexpr u16 kBootFlagMagic = 0xAA55;
inline constexpr u16 kMinBootProtocol = 0x020A;  // 2.10: pref_address and init_size
// boot.rst: kernels of protocol 2.14 and later read boot_params.acpi_rsdp_addr
// (2.14 itself briefly had it in the setup header; it moved to 0x070 in the
// same release). Older ones ignore it and search the BIOS areas themselves.
inline constexpr u16 kBootProtocolAcpiRsdp = 0x020E;
inline constexpr u8 kTypeOfLoaderUndefined = 0xFF;  // "no assigned loader ID"

// loadflags bits.
inline constexpr u8 kLoadflagLoadedHigh = 1u << 0;
inline constexpr u8 kLoadflagKaslr = 1u << 1;
inline constexpr u8 kLoadflagQuiet = 1u << 5;
inline constexpr u8 kLoadflagKeepSegments = 1u << 6;
inline constexpr u8 kLoadflagCanUseHeap = 1u << 7;
// xloadflags bits.
inline constexpr u16 kXlfKernel64 = 1u << 0;
inline constexpr u16 kXlfCanBeLoadedAbove4G = 1u << 1;
inline constexpr u16 kXlfEfiHandover32 = 1u << 2;
inline constexpr u16 kXlfEfiHandover64 = 1u << 3;
inline constexpr u16 kXlfEfiKexec = 1u << 4;

// --- Zero page (struct boot_params) fields outside the setup header, zero-page.rst.
inline constexpr usize kZeroPageSize = 4096;
inline constexpr usize kBpScreenInfo = 0x000;       // struct screen_info (tv/screen_info.hpp)
inline constexpr usize kBpAcpiRsdpAddr = 0x070;     // u64 (zero-page.rst; read by kernels 5.0+)
inline constexpr usize kBpExtRamdiskImage = 0x0C0;  // u32, ramdisk_image high 32 bits
inline constexpr usize kBpExtRamdiskSize = 0x0C4;   // u32, ramdisk_size high 32 bits
inline constexpr usize kBpExtCmdLinePtr = 0x0C8;    // u32, cmd_line_ptr high 32 bits
inline constexpr usize kBpE820Entries = 0x1E8;      // u8
inline constexpr usize kBpE820Table = 0x2D0;        // struct boot_e820_entry[128]
inline constexpr usize kBpE820MaxEntries = 128;
static_assert(kBpE820Table + kBpE820MaxEntries * sizeof(E820Entry) == 0xCD0);  // eddbuf follows
static_assert(kBpE820MaxEntries == E820Map::kCapacity);

// --- Fixed guest-physical addresses used by the loader. Both lie in conventional memory, below
// the EBDA, where every PC firmware reports usable RAM and the kernel never places itself.
inline constexpr u64 kLinuxBootParamsAddr = 0x10000;
inline constexpr u64 kLinuxCmdlineAddr = 0x20000;
inline constexpr u64 kLinuxCmdlineMaxReserve = 0x10000;  // never reserve more than 64 KiB
inline constexpr u64 kLinuxDefaultLoadAddr = 0x100000;   // protected-mode kernel, boot.rst
inline constexpr u64 kLinuxInitrdMinAddr = 0x100000;     // keep sub-1 MiB RAM for the kernel's own use

enum class LinuxBootError : u8 {
  NotBzImage = 1,      // no "HdrS" signature / boot flag
  ProtocolTooOld,      // boot protocol < 2.10
  NotLoadedHigh,       // loadflags lacks LOADED_HIGH (zImage)
  Not64Bit,            // xloadflags lacks XLF_KERNEL_64
  Truncated,           // image shorter than its headers claim
  BadHeaderLength,     // setup header length (0x202 + image[0x201]) out of range
  BadAlignment,        // relocatable kernel with a kernel_alignment that is not a power of two
  CmdlineTooLong,      // longer than the kernel's cmdline_size
  CmdlineTooHigh,      // command line above 4 GiB without XLF_CAN_BE_LOADED_ABOVE_4G
  InitrdTooHigh,       // initrd ends above initrd_addr_max (and above-4G loading not allowed)
  NoRoomForKernel,     // no usable e820 entry can hold the kernel where it must run
  NoRoomForInitrd,     // no usable e820 space for the initrd below its limit
  LowMemoryNotUsable,  // boot_params or command line address is not usable RAM
  TooManyE820Entries,  // more e820 entries than the zero page can hold
};
const char* to_string(LinuxBootError e);

struct BzImageInfo {
  u16 protocol_version;
  u8 setup_sects;     // raw field (0 means 4)
  u32 setup_size;     // ((setup_sects ? setup_sects : 4) + 1) * 512: real-mode part incl. boot sector
  u32 kernel_offset;  // = setup_size: the protected-mode kernel starts here in the file
  u32 kernel_size;    // file bytes of the protected-mode kernel
  u8 loadflags;
  bool relocatable;
  u32 kernel_alignment;
  u64 pref_address;
  u32 init_size;        // memory the kernel needs from its runtime start before reading the e820 map
  u32 cmdline_size;     // maximum command line length, without the terminating NUL
  u32 initrd_addr_max;  // highest address the initrd may occupy (inclusive)
  u16 xloadflags;
  u16 header_end;  // 0x202 + image[0x201]: end of the setup header to copy
};

// Validates an untrusted bzImage.
Result<BzImageInfo, LinuxBootError> parse_bzimage(const u8* image, usize len);

struct LinuxBootConfig {
  u64 cmdline_addr;  // guest-physical address of the NUL-terminated command line (0 = none)
  u32 cmdline_len;   // without NUL
  u64 initrd_addr;   // 0 with initrd_size 0 = no initrd
  u64 initrd_size;
  u64 acpi_rsdp_addr = 0;  // the RSDP the kernel should use (0 = let it search)
};

// Fills the zero page: the setup header copied from the image, type_of_loader = 0xFF, command
// line and ramdisk pointers (with their ext_ high halves), acpi_rsdp_addr and the e820 table;
// everything else 0.
// loadflags stays as the kernel set it: CAN_USE_HEAP/heap_end_ptr only matter for the 16-bit
// real-mode entry, which we do not use.
Status<LinuxBootError> build_boot_params(u8 (&zero_page)[kZeroPageSize], const u8* image, usize len,
                                         const BzImageInfo& info, const LinuxBootConfig& cfg, const E820Map& e820);

struct LinuxLayout {
  // Copy image[kernel_offset, +kernel_size) to kernel_load_addr and enter at kernel_load_addr
  // (the 32-bit entry point is the start of the protected-mode kernel).
  u64 kernel_load_addr;
  // [kernel_runtime_addr, +kernel_runtime_size) is the memory the kernel claims while it
  // decompresses itself (init_size from its runtime start); both it and the loaded image are
  // verified usable and kept free of everything else.
  u64 kernel_runtime_addr;
  u64 kernel_runtime_size;
  u64 initrd_addr;  // 0 if initrd_size == 0
  u64 initrd_size;
  u64 boot_params_addr;
  u64 cmdline_addr;
  u64 cmdline_capacity;  // bytes available at cmdline_addr, including the NUL
};

// Chooses guest-physical addresses. Kernel (boot.rst, "runtime start address"):
//  - relocatable: the lowest kernel_alignment-aligned address >= max(pref_address, 1 MiB) where
//    max(init_size, kernel_size) bytes fit in one Usable entry below 4 GiB (this is pref_address
//    when that is free; a relocatable kernel loaded lower would still run at pref_address);
//  - otherwise: loaded at 0x100000, and it moves itself to pref_address to run there.
// Initrd: where it already is (`initrd_now`, its current guest-physical address, 0 if
// unknown) when that spot is page-aligned Usable memory at or above 1 MiB, ending at or below
// min(initrd_addr_max + 1, 4 GiB) and overlapping neither the kernel, boot_params nor the
// command line -- copying megabytes costs start-up time; otherwise the highest such spot.
Result<LinuxLayout, LinuxBootError> plan_linux_layout(const BzImageInfo& info, u64 initrd_size,
                                                      const E820Map& guest_map, u64 initrd_now = 0);

}  // namespace tv
