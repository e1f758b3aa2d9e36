// boot_params.screen_info (offset 0x000 of the zero page): the console the
// boot loader left, for Linux's efifb/vesafb/simplefb. Layout of struct
// screen_info in the Linux source, include/uapi/linux/screen_info.h (packed,
// 64 bytes). Only a direct-RGB linear framebuffer is described; for an indexed
// or EGA text framebuffer screen_info stays zero (the kernel then probes VGA
// text mode itself, as before).
#pragma once
#include "tv/framebuffer.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

inline constexpr usize kScreenInfoSize = 0x40;
inline constexpr usize kSiOrigVideoIsVga = 0x0F;  // u8: the VIDEO_TYPE_*
inline constexpr usize kSiLfbWidth = 0x12;        // u16
inline constexpr usize kSiLfbHeight = 0x14;       // u16
inline constexpr usize kSiLfbDepth = 0x16;        // u16, bits per pixel
inline constexpr usize kSiLfbBase = 0x18;         // u32, low half of the address
inline constexpr usize kSiLfbSize = 0x1C;         // u32 (EFI: bytes; VLFB: 64 KiB units)
inline constexpr usize kSiLfbLinelength = 0x24;   // u16, bytes per line
inline constexpr usize kSiRedSize = 0x26;         // then red_pos, green_size/pos, blue_size/pos, rsvd_size/pos
inline constexpr usize kSiCapabilities = 0x36;    // u32
inline constexpr usize kSiExtLfbBase = 0x3A;      // u32, high half of the address (64BIT_BASE)

inline constexpr u8 kVideoTypeVlfb = 0x23;  // VESA VGA in graphic mode (a BIOS VBE framebuffer)
inline constexpr u8 kVideoTypeEfi = 0x70;   // EFI graphic mode (GOP)
inline constexpr u32 kVideoCapability64BitBase = 1u << 1;

enum class ScreenInfoError : u8 {
  NotRgb = 1,      // indexed colour or EGA text: not described
  NoColourFields,  // an RGB framebuffer whose tag had no colour info
  TooLarge,        // width, height, depth or pitch beyond screen_info's 16-bit fields
};
const char* to_string(ScreenInfoError e);

// Writes screen_info into si[0..kScreenInfoSize) for `fb`: VIDEO_TYPE_EFI when
// the machine booted through UEFI (the loader gave an EFI system table),
// VIDEO_TYPE_VLFB otherwise; the address's high half in ext_lfb_base with
// VIDEO_CAPABILITY_64BIT_BASE when it lies above 4 GiB. The reserved colour
// field is what the pixel has beyond red, green and blue. On error si is
// unchanged.
Status<ScreenInfoError> fill_screen_info(u8* si, const Framebuffer& fb, bool efi);

}  // namespace tv
