#include "tv/screen_info.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(ScreenInfoError e) {
  switch (e) {
    case ScreenInfoError::NotRgb: return "not a direct-RGB framebuffer (indexed colour or EGA text)";
    case ScreenInfoError::NoColourFields: return "an RGB framebuffer without its colour fields";
    case ScreenInfoError::TooLarge: return "a framebuffer beyond screen_info's 16-bit fields";
  }
  return "unknown screen_info error";
}

namespace {

constexpr u64 k64KiB = 64 * 1024;

}  // namespace

Status<ScreenInfoError> fill_screen_info(u8* si, const Framebuffer& fb, bool efi) {
  if (fb.type != kFramebufferRgb) return Err{ScreenInfoError::NotRgb};
  if (!fb.has_rgb_fields) return Err{ScreenInfoError::NoColourFields};
  if (fb.width > 0xFFFF || fb.height > 0xFFFF || fb.pitch > 0xFFFF || fb.width == 0 || fb.height == 0)
    return Err{ScreenInfoError::TooLarge};
  // GRUB's Linux loader (grub-core/loader/i386/linux.c) gives the size rounded
  // up to 64 KiB; vesafb reads lfb_size in 64 KiB units, efifb in bytes.
  const u64 bytes = (u64(fb.pitch) * fb.height + k64KiB - 1) & ~(k64KiB - 1);
  const u64 size = efi ? bytes : bytes / k64KiB;
  if (size > 0xFFFFFFFFull) return Err{ScreenInfoError::TooLarge};
  u8 top = 0;  // first bit above the colour fields
  const u32 ends[3] = {u32(fb.red_pos) + fb.red_size, u32(fb.green_pos) + fb.green_size,
                       u32(fb.blue_pos) + fb.blue_size};
  for (u32 end : ends)
    if (end > top) top = u8(end > 0xFF ? 0xFF : end);

  mem_set(si, 0, kScreenInfoSize);
  si[kSiOrigVideoIsVga] = efi ? kVideoTypeEfi : kVideoTypeVlfb;
  store_le16(si + kSiLfbWidth, u16(fb.width));
  store_le16(si + kSiLfbHeight, u16(fb.height));
  store_le16(si + kSiLfbDepth, fb.bpp);
  store_le32(si + kSiLfbBase, u32(fb.address));
  store_le32(si + kSiLfbSize, u32(size));
  store_le16(si + kSiLfbLinelength, u16(fb.pitch));
  const u8 colours[8] = {fb.red_size,
                         fb.red_pos,
                         fb.green_size,
                         fb.green_pos,
                         fb.blue_size,
                         fb.blue_pos,
                         u8(fb.bpp > top ? fb.bpp - top : 0),
                         u8(fb.bpp > top ? top : 0)};
  mem_copy(si + kSiRedSize, colours, sizeof colours);
  if ((fb.address >> 32) != 0) {
    store_le32(si + kSiCapabilities, kVideoCapability64BitBase);
    store_le32(si + kSiExtLfbBase, u32(fb.address >> 32));
  }
  return Ok{};
}

}  // namespace tv
