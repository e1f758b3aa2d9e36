#include "tv/multiboot.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tv {
namespace {

void put32(std::vector<u8>& v, usize off, u32 x) {
  for (int i = 0; i < 4; ++i) v[off + i] = static_cast<u8>(x >> (8 * i));
}
void put64(std::vector<u8>& v, usize off, u64 x) {
  put32(v, off, static_cast<u32>(x));
  put32(v, off + 4, static_cast<u32>(x >> 32));
}

// Writes magic, flags and a correct checksum at off.
void put_header(std::vector<u8>& v, usize off, u32 flags) {
  put32(v, off, kMultibootHeaderMagic);
  put32(v, off + 4, flags);
  put32(v, off + 8, 0u - kMultibootHeaderMagic - flags);
}

struct Aout {
  u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};
void put_aout(std::vector<u8>& v, usize off, const Aout& a) {
  put32(v, off + 12, a.header_addr);
  put32(v, off + 16, a.load_addr);
  put32(v, off + 20, a.load_end_addr);
  put32(v, off + 24, a.bss_end_addr);
  put32(v, off + 28, a.entry_addr);
}

Result<MultibootHeaderInfo, MultibootError> find(const std::vector<u8>& v) {
  return find_multiboot_header(v.data(), v.size());
}

TEST(Multiboot, Layouts) {
  EXPECT_EQ(sizeof(MultibootInfo), 116u);
  EXPECT_EQ(sizeof(MultibootMmapEntry), 24u);
  EXPECT_EQ(sizeof(MultibootModule), 16u);
  EXPECT_EQ(sizeof(MultibootHeader), 32u);
  EXPECT_EQ(kMultibootBootloaderMagic, 0x2BADB002u);
  EXPECT_EQ(kMultibootHeaderMagic, 0x1BADB002u);
}

TEST(Multiboot, FindsElfStyleHeader) {
  std::vector<u8> img(0x3000, 0);
  put_header(img, 0x1000, kMbHeaderPageAlignModules | kMbHeaderWantMemoryInfo);
  auto r = find(img);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header_offset, 0x1000u);
  EXPECT_EQ(r->flags, 3u);
  EXPECT_TRUE(r->page_align_modules);
  EXPECT_TRUE(r->wants_memory_info);
  EXPECT_FALSE(r->wants_video_mode);
  EXPECT_FALSE(r->has_addresses);
}

TEST(Multiboot, VideoFlagAcceptedButIgnored) {
  std::vector<u8> img(64, 0);
  put_header(img, 0, kMbHeaderWantVideoMode);
  auto r = find(img);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->wants_video_mode);
}

TEST(Multiboot, NotFound) {
  std::vector<u8> img(0x4000, 0);
  EXPECT_EQ(find(img).error(), MultibootError::NotFound);
  EXPECT_EQ(find_multiboot_header(nullptr, 100).error(), MultibootError::NotFound);
  EXPECT_EQ(find_multiboot_header(img.data(), 0).error(), MultibootError::NotFound);
  // Unaligned magic is not a header.
  put_header(img, 0x102, 0);
  EXPECT_EQ(find(img).error(), MultibootError::NotFound);
}

TEST(Multiboot, MustEndWithinFirst8K) {
  std::vector<u8> img(0x4000, 0);
  put_header(img, 8192 - 12, 0);  // last possible place for a 12-byte header
  auto r = find(img);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header_offset, 8192u - 12);

  std::vector<u8> late(0x4000, 0);
  put_header(late, 8192 - 8, 0);  // straddles the limit
  EXPECT_EQ(find(late).error(), MultibootError::NotFound);
  put_header(late, 8192, 0);
  EXPECT_EQ(find(late).error(), MultibootError::NotFound);
}

TEST(Multiboot, HeaderCutByEndOfFile) {
  std::vector<u8> img(0x108, 0);
  put32(img, 0x100, kMultibootHeaderMagic);  // only magic + flags fit
  EXPECT_EQ(find(img).error(), MultibootError::NotFound);
}

TEST(Multiboot, BadChecksum) {
  std::vector<u8> img(0x1000, 0);
  put_header(img, 0x40, 0);
  put32(img, 0x48, 0x12345678);
  EXPECT_EQ(find(img).error(), MultibootError::BadChecksum);
  // A later valid header wins over a stray magic value.
  put_header(img, 0x80, kMbHeaderWantMemoryInfo);
  auto r = find(img);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header_offset, 0x80u);
}

TEST(Multiboot, UnsupportedRequiredFlags) {
  for (u32 bit = 3; bit < 16; ++bit) {
    std::vector<u8> img(64, 0);
    put_header(img, 0, 1u << bit);
    EXPECT_EQ(find(img).error(), MultibootError::UnsupportedFlags) << bit;
  }
  // Unknown optional bits (17-31) are fine.
  std::vector<u8> img(64, 0);
  put_header(img, 0, 1u << 20);
  EXPECT_TRUE(find(img).ok());
}

TEST(Multiboot, AoutKludge) {
  // Image: 0x40 bytes of padding, header at file offset 0x40, 0x2000 bytes total.
  std::vector<u8> img(0x2000, 0);
  put_header(img, 0x40, kMbHeaderAoutKludge | kMbHeaderPageAlignModules);
  put_aout(img, 0x40, {0x100040, 0x100000, 0x101800, 0x104000, 0x100080});
  auto r = find(img);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->has_addresses);
  EXPECT_EQ(r->header_offset, 0x40u);
  EXPECT_EQ(r->header_addr, 0x100040u);
  EXPECT_EQ(r->load_addr, 0x100000u);
  EXPECT_EQ(r->load_end_addr, 0x101800u);
  EXPECT_EQ(r->bss_end_addr, 0x104000u);
  EXPECT_EQ(r->entry_addr, 0x100080u);
  EXPECT_EQ(r->load_file_offset, 0u);
  EXPECT_EQ(r->load_size, 0x1800u);
  EXPECT_EQ(r->bss_end, 0x104000u);
}

TEST(Multiboot, AoutKludgeDefaults) {
  // load_end_addr = 0: load to end of file; bss_end_addr = 0: no bss. Header not at file start.
  std::vector<u8> img(0x3000, 0);
  put_header(img, 0x1010, kMbHeaderAoutKludge);
  put_aout(img, 0x1010, {0x200010, 0x200000, 0, 0, 0x200020});
  auto r = find(img);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->load_file_offset, 0x1000u);
  EXPECT_EQ(r->load_size, 0x2000u);
  EXPECT_EQ(r->bss_end, 0x202000u);
}

TEST(Multiboot, AoutKludgeErrors) {
  auto try_aout = [](const Aout& a, usize size = 0x2000, usize off = 0x40) {
    std::vector<u8> img(size, 0);
    put_header(img, off, kMbHeaderAoutKludge);
    if (off + 32 <= size) put_aout(img, off, a);
    return find(img);
  };
  // Valid baseline.
  EXPECT_TRUE(try_aout({0x100040, 0x100000, 0x101000, 0, 0x100100}).ok());
  // load_addr above header_addr.
  EXPECT_EQ(try_aout({0x100040, 0x100080, 0x101000, 0, 0x100100}).error(), MultibootError::BadAddresses);
  // header_addr - load_addr reaches before the start of the file.
  EXPECT_EQ(try_aout({0x100080, 0x100000, 0x101000, 0, 0x100100}).error(), MultibootError::BadAddresses);
  // load_end_addr not above load_addr.
  EXPECT_EQ(try_aout({0x100040, 0x100000, 0x100000, 0, 0x100000}).error(), MultibootError::BadAddresses);
  // Segment does not include the header itself.
  EXPECT_EQ(try_aout({0x100040, 0x100000, 0x100050, 0, 0x100000}).error(), MultibootError::BadAddresses);
  // More file data requested than the file holds.
  EXPECT_EQ(try_aout({0x100040, 0x100000, 0x102001, 0, 0x100100}).error(), MultibootError::Truncated);
  // bss ends before the loaded data.
  EXPECT_EQ(try_aout({0x100040, 0x100000, 0x101000, 0x100800, 0x100100}).error(), MultibootError::BadAddresses);
  // Entry point outside the loaded data (in bss, or below).
  EXPECT_EQ(try_aout({0x100040, 0x100000, 0x101000, 0x102000, 0x101800}).error(), MultibootError::BadAddresses);
  EXPECT_EQ(try_aout({0x100040, 0x100000, 0x101000, 0, 0xFFFFF}).error(), MultibootError::BadAddresses);
  // Wraps the 32-bit address space.
  EXPECT_EQ(try_aout({0xFFFFF040, 0xFFFFF000, 0, 0, 0xFFFFF100}).error(), MultibootError::BadAddresses);
  // Address fields cut off by the end of the file / the 8K window.
  EXPECT_EQ(try_aout({0, 0, 0, 0, 0}, 0x50, 0x40).error(), MultibootError::Truncated);
  std::vector<u8> img(0x4000, 0);
  put_header(img, 8192 - 16, kMbHeaderAoutKludge);
  EXPECT_EQ(find(img).error(), MultibootError::Truncated);
}

// --- mmap ---

void put_entry(std::vector<u8>& v, u32 size, u64 addr, u64 len, u32 type) {
  const usize off = v.size();
  v.resize(off + 4 + size, 0xEE);
  put32(v, off, size);
  if (size >= 20) {
    put64(v, off + 4, addr);
    put64(v, off + 12, len);
    put32(v, off + 20, type);
  }
}

TEST(MultibootMmap, StandardEntries) {
  std::vector<u8> buf;
  put_entry(buf, 20, 0x0, 0x9fc00, 1);
  put_entry(buf, 20, 0x9fc00, 0x400, 2);
  put_entry(buf, 20, 0x100000, 0x3ff00000, 1);
  MemRegion out[8];
  ASSERT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), out, 8), 3u);
  EXPECT_EQ(out[1].base, 0x9fc00u);
  EXPECT_EQ(out[1].size, 0x400u);
  EXPECT_EQ(out[1].type, 2u);
  EXPECT_EQ(out[2].size, 0x3ff00000u);
}

TEST(MultibootMmap, LargerSizeFieldIsSkippedOver) {
  std::vector<u8> buf;
  put_entry(buf, 24, 0x0, 0x1000, 1);     // e.g. ACPI 3.0 extended attributes
  put_entry(buf, 21, 0x1000, 0x1000, 2);  // odd size: next entry is unaligned
  put_entry(buf, 20, 0x2000, 0x1000, 3);
  MemRegion out[8];
  ASSERT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), out, 8), 3u);
  EXPECT_EQ(out[0].base, 0x0u);
  EXPECT_EQ(out[1].base, 0x1000u);
  EXPECT_EQ(out[1].type, 2u);
  EXPECT_EQ(out[2].base, 0x2000u);
  EXPECT_EQ(out[2].type, 3u);
}

TEST(MultibootMmap, ZeroLengthEntriesSkipped) {
  std::vector<u8> buf;
  put_entry(buf, 20, 0x0, 0, 1);
  put_entry(buf, 20, 0x1000, 0x1000, 1);
  MemRegion out[8];
  ASSERT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), out, 8), 1u);
  EXPECT_EQ(out[0].base, 0x1000u);
}

TEST(MultibootMmap, TooSmallSizeFieldStops) {
  for (u32 bad : {0u, 4u, 19u}) {
    std::vector<u8> buf;
    put_entry(buf, 20, 0x0, 0x1000, 1);
    put_entry(buf, bad, 0, 0, 0);
    put_entry(buf, 20, 0x2000, 0x1000, 1);
    MemRegion out[8];
    EXPECT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), out, 8), 1u) << bad;
  }
}

TEST(MultibootMmap, TruncatedEntries) {
  std::vector<u8> full;
  put_entry(full, 20, 0x0, 0x1000, 1);
  put_entry(full, 20, 0x1000, 0x1000, 1);
  // Every cut inside the second entry (including inside its size field) drops only it.
  for (usize cut = 24; cut < full.size(); ++cut) {
    std::vector<u8> buf(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    MemRegion out[8];
    EXPECT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), out, 8), 1u) << cut;
  }
  // A size field that claims more than the buffer holds.
  std::vector<u8> huge;
  put_entry(huge, 20, 0x0, 0x1000, 1);
  put32(huge, 0, 0xFFFFFFFF);
  MemRegion out[8];
  EXPECT_EQ(parse_multiboot_mmap(huge.data(), huge.size(), out, 8), 0u);
}

TEST(MultibootMmap, CapacityAndNulls) {
  std::vector<u8> buf;
  for (int i = 0; i < 5; ++i) put_entry(buf, 20, 0x1000u * i, 0x1000, 1);
  MemRegion out[3];
  EXPECT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), out, 3), 3u);
  EXPECT_EQ(out[2].base, 0x2000u);
  EXPECT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), out, 0), 0u);
  EXPECT_EQ(parse_multiboot_mmap(nullptr, 100, out, 3), 0u);
  EXPECT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), nullptr, 3), 0u);
}

TEST(MultibootMmap, WrappingEntryClipped) {
  std::vector<u8> buf;
  put_entry(buf, 20, 0xFFFFFFFFFFFFF000ull, 0x10000, 2);
  MemRegion out[1];
  ASSERT_EQ(parse_multiboot_mmap(buf.data(), buf.size(), out, 1), 1u);
  EXPECT_EQ(out[0].base, 0xFFFFFFFFFFFFF000ull);
  EXPECT_EQ(out[0].size, 0x1000u);
}

TEST(MultibootMmap, FeedsGuestE820) {
  std::vector<u8> buf;
  put_entry(buf, 20, 0x0, 0x9fc00, 1);
  put_entry(buf, 20, 0x100000, 0x3ff00000, 1);
  MemRegion regions[8];
  const usize n = parse_multiboot_mmap(buf.data(), buf.size(), regions, 8);
  const Range vmm[] = {{0x200000, 0x400000}};
  auto map = build_guest_e820(regions, n, vmm, 1);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->size(), 4u);
}

TEST(Multiboot, ErrorStrings) {
  EXPECT_STRNE(to_string(MultibootError::NotFound), to_string(MultibootError::BadChecksum));
  EXPECT_STRNE(to_string(MultibootError::Truncated), to_string(MultibootError::BadAddresses));
}

}  // namespace
}  // namespace tv
