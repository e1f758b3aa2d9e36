// boot_params.screen_info from a boot loader's framebuffer (tv/screen_info.hpp),
// against the offsets of struct screen_info in include/uapi/linux/screen_info.h.
#include "tv/screen_info.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace tv {
namespace {

u32 le(const u8* p, int n) {
  u32 v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Framebuffer gop(u64 address) {
  return {address, 4096, 1024, 768, 32, kFramebufferRgb, true, 16, 8, 8, 8, 0, 8};
}

TEST(ScreenInfo, AnEfiGopFramebufferBecomesVideoTypeEfi) {
  u8 si[kScreenInfoSize + 4];
  std::memset(si, 0xEE, sizeof si);
  ASSERT_TRUE(fill_screen_info(si, gop(0x80000000), true).ok());
  EXPECT_EQ(si[0x0F], 0x70);                         // orig_video_isVGA = VIDEO_TYPE_EFI
  EXPECT_EQ(le(si + 0x12, 2), 1024u);                // lfb_width
  EXPECT_EQ(le(si + 0x14, 2), 768u);                 // lfb_height
  EXPECT_EQ(le(si + 0x16, 2), 32u);                  // lfb_depth
  EXPECT_EQ(le(si + 0x18, 4), 0x80000000u);          // lfb_base
  EXPECT_EQ(le(si + 0x1C, 4), 4096u * 768);          // lfb_size in bytes (64 KiB-aligned already)
  EXPECT_EQ(le(si + 0x24, 2), 4096u);                // lfb_linelength
  const u8 colours[8] = {8, 16, 8, 8, 8, 0, 8, 24};  // red/green/blue/rsvd size, pos
  EXPECT_EQ(std::memcmp(si + 0x26, colours, 8), 0);
  EXPECT_EQ(le(si + 0x36, 4), 0u);  // capabilities
  EXPECT_EQ(le(si + 0x3A, 4), 0u);  // ext_lfb_base
  EXPECT_EQ(si[0x00], 0);
  EXPECT_EQ(si[kScreenInfoSize], 0xEE);  // nothing past the struct
}

TEST(ScreenInfo, AFramebufferAbove4GiBUsesExtLfbBase) {
  u8 si[kScreenInfoSize] = {};
  ASSERT_TRUE(fill_screen_info(si, gop(0x38'0000'0000ull), true).ok());
  EXPECT_EQ(le(si + 0x18, 4), 0u);
  EXPECT_EQ(le(si + 0x3A, 4), 0x38u);
  EXPECT_EQ(le(si + 0x36, 4), kVideoCapability64BitBase);
}

TEST(ScreenInfo, ABiosVbeFramebufferIsVlfbSizedIn64KiBUnits) {
  u8 si[kScreenInfoSize] = {};
  Framebuffer fb = {0xFD000000, 2400, 800, 600, 24, kFramebufferRgb, true, 16, 8, 8, 8, 0, 8};
  ASSERT_TRUE(fill_screen_info(si, fb, false).ok());
  EXPECT_EQ(si[0x0F], 0x23);                                   // VIDEO_TYPE_VLFB
  EXPECT_EQ(le(si + 0x1C, 4), (2400u * 600 + 65535) / 65536);  // 22 units
  EXPECT_EQ(si[0x2C], 0);                                      // no reserved bits in 24 bpp
}

TEST(ScreenInfo, IndexedTextAndOddFramebuffersAreNotDescribed) {
  u8 si[kScreenInfoSize];
  std::memset(si, 0x5A, sizeof si);
  Framebuffer text = {0xB8000, 160, 80, 25, 16, kFramebufferEgaText, false, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(fill_screen_info(si, text, false).error(), ScreenInfoError::NotRgb);
  Framebuffer indexed = gop(0x80000000);
  indexed.type = kFramebufferIndexed;
  EXPECT_EQ(fill_screen_info(si, indexed, true).error(), ScreenInfoError::NotRgb);
  Framebuffer no_fields = gop(0x80000000);
  no_fields.has_rgb_fields = false;
  EXPECT_EQ(fill_screen_info(si, no_fields, true).error(), ScreenInfoError::NoColourFields);
  Framebuffer wide = gop(0x80000000);
  wide.width = 70000;
  EXPECT_EQ(fill_screen_info(si, wide, true).error(), ScreenInfoError::TooLarge);
  for (u8 b : si) EXPECT_EQ(b, 0x5A);  // untouched on refusal
}

}  // namespace
}  // namespace tv
