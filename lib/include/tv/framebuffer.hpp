// A linear framebuffer as a boot loader describes it (Multiboot2 §3.6.12,
// Multiboot 0.6.96 §3.3 framebuffer_* fields: the two carry the same data).
#pragma once
#include "tv/types.hpp"

namespace tv {

// framebuffer_type (Multiboot2 §3.6.12; Multiboot 0.6.96 §3.3).
inline constexpr u8 kFramebufferIndexed = 0;
inline constexpr u8 kFramebufferRgb = 1;
inline constexpr u8 kFramebufferEgaText = 2;

struct Framebuffer {
  u64 address;
  u32 pitch, width, height;  // pitch in bytes; EGA text: width and height in characters
  u8 bpp;
  u8 type;  // kFramebuffer*
  // Direct RGB colour (type 1) only: each colour field's bit position and size.
  bool has_rgb_fields;
  u8 red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

}  // namespace tv
