// Multiboot2 boot information (tv/multiboot2.hpp): what GRUB's multiboot2
// hands the VMM, built here tag by tag, and every malformation refused.
#include "tv/multiboot2.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace tv {
namespace {

// Builds boot information as a loader lays it out: an 8-byte header, tags
// each padded to 8 bytes, an end tag; total_size filled in by bytes().
class Mb2Builder {
 public:
  Mb2Builder() { put32(0), put32(0); }
  Mb2Builder& tag(u32 type, const std::vector<u8>& body) {
    pad();
    put32(type);
    put32(u32(8 + body.size()));
    buf_.insert(buf_.end(), body.begin(), body.end());
    return *this;
  }
  Mb2Builder& string_tag(u32 type, const std::string& s) {
    std::vector<u8> b(s.begin(), s.end());
    b.push_back(0);
    return tag(type, b);
  }
  Mb2Builder& module(u32 start, u32 end, const std::string& s) {
    std::vector<u8> b;
    le32(b, start), le32(b, end);
    b.insert(b.end(), s.begin(), s.end());
    b.push_back(0);
    return tag(mb2::kTagModule, b);
  }
  Mb2Builder& mmap(const std::vector<MemRegion>& regions, u32 entry_size = 24) {
    std::vector<u8> b;
    le32(b, entry_size), le32(b, 0);
    for (const MemRegion& r : regions) {
      le64(b, r.base), le64(b, r.size), le32(b, r.type), le32(b, 0);
      b.resize(b.size() + entry_size - 24, 0);
    }
    return tag(mb2::kTagMmap, b);
  }
  std::vector<u8> bytes(bool end = true) {
    if (end) {
      pad();
      put32(mb2::kTagEnd), put32(8);
    }
    pad();
    std::vector<u8> out = buf_;
    const u32 total = u32(out.size());
    std::memcpy(out.data(), &total, 4);
    return out;
  }
  static void le32(std::vector<u8>& b, u32 v) {
    for (int i = 0; i < 4; ++i) b.push_back(u8(v >> (8 * i)));
  }
  static void le64(std::vector<u8>& b, u64 v) {
    for (int i = 0; i < 8; ++i) b.push_back(u8(v >> (8 * i)));
  }

 private:
  void put32(u32 v) { le32(buf_, v); }
  void pad() {
    while (buf_.size() % 8 != 0) buf_.push_back(0);
  }
  std::vector<u8> buf_;
};

std::vector<u8> rsdp(u8 revision, usize len) {
  std::vector<u8> r(len, 0);
  std::memcpy(r.data(), "RSD PTR ", 8);
  r[15] = revision;
  return r;
}

// What GRUB gives on a UEFI machine: everything the VMM looks for.
std::vector<u8> uefi_boot_info() {
  std::vector<u8> fb;
  Mb2Builder::le64(fb, 0x80000000ull);
  Mb2Builder::le32(fb, 4096), Mb2Builder::le32(fb, 1024), Mb2Builder::le32(fb, 768);
  fb.push_back(32), fb.push_back(1), fb.push_back(0), fb.push_back(0);
  std::vector<u8> efi64, efimmap;
  Mb2Builder::le64(efi64, 0x7F9EE018ull);
  Mb2Builder::le32(efimmap, 48), Mb2Builder::le32(efimmap, 1);
  efimmap.resize(8 + 3 * 48, 0xAB);
  return Mb2Builder()
      .string_tag(mb2::kTagCmdline, "cpus=2 -- root=/dev/vda rw")
      .string_tag(mb2::kTagLoaderName, "GRUB 2.06-13+deb12u1")
      .module(0x1000000, 0x1800000, "/boot/vmlinuz-6.1.0-57-amd64")
      .module(0x1800000, 0x2400000, "/boot/initrd.img-6.1.0-57-amd64")
      .mmap({{0, 0xA0000, 1}, {0x100000, 0x3FF00000, 1}, {0x3FF00000, 0x100000, 3}})
      .tag(mb2::kTagFramebuffer, fb)
      .tag(mb2::kTagEfi64SystemTable, efi64)
      .tag(mb2::kTagAcpiOldRsdp, rsdp(0, 20))
      .tag(mb2::kTagAcpiNewRsdp, rsdp(2, 36))
      .tag(mb2::kTagEfiMmap, efimmap)
      .tag(mb2::kTagEfiBootServices, {})
      .tag(99, {1, 2, 3})  // a type the VMM does not know: skipped
      .bytes();
}

TEST(Multiboot2, ATypicalUefiBootGivesEverything) {
  const std::vector<u8> b = uefi_boot_info();
  auto r = parse_multiboot2(b.data(), b.size());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_STREQ(r->cmdline, "cpus=2 -- root=/dev/vda rw");
  EXPECT_STREQ(r->loader_name, "GRUB 2.06-13+deb12u1");
  ASSERT_EQ(r->module_count, 2u);
  EXPECT_EQ(r->modules[0].start, 0x1000000u);
  EXPECT_EQ(r->modules[0].end, 0x1800000u);
  EXPECT_STREQ(r->modules[1].string, "/boot/initrd.img-6.1.0-57-amd64");
  ASSERT_TRUE(r->has_mmap);
  ASSERT_EQ(r->region_count, 3u);
  EXPECT_EQ(r->regions[1].base, 0x100000u);
  EXPECT_EQ(r->regions[1].size, 0x3FF00000u);
  EXPECT_EQ(r->regions[2].type, 3u);
  ASSERT_TRUE(r->has_framebuffer);
  EXPECT_EQ(r->framebuffer.address, 0x80000000ull);
  EXPECT_EQ(r->framebuffer.width, 1024u);
  EXPECT_EQ(r->framebuffer.height, 768u);
  EXPECT_EQ(r->framebuffer.bpp, 32);
  EXPECT_EQ(r->framebuffer.type, 1);
  EXPECT_EQ(r->efi_system_table, 0x7F9EE018ull);
  ASSERT_NE(r->rsdp_v1, nullptr);
  EXPECT_EQ(std::memcmp(r->rsdp_v1, "RSD PTR ", 8), 0);
  ASSERT_NE(r->rsdp_v2, nullptr);
  EXPECT_EQ(r->rsdp_v2[15], 2);
  EXPECT_EQ(r->rsdp_v2_len, 36u);
  EXPECT_EQ(r->efi_mmap_descriptor_size, 48u);
  EXPECT_EQ(r->efi_mmap_bytes, 3u * 48);
  EXPECT_TRUE(r->efi_boot_services_running);
}

// The colour info of a direct-RGB framebuffer follows the u16 reserved field
// (tag offset 32, as GRUB lays it out); other types have none.
TEST(Multiboot2, TheRgbFramebufferCarriesItsColourFields) {
  std::vector<u8> fb;
  Mb2Builder::le64(fb, 0x4000'0000'0ull);
  Mb2Builder::le32(fb, 3200), Mb2Builder::le32(fb, 800), Mb2Builder::le32(fb, 600);
  fb.push_back(32), fb.push_back(kFramebufferRgb), fb.push_back(0), fb.push_back(0);
  for (u8 c : {16, 8, 8, 8, 0, 8}) fb.push_back(c);
  auto b = Mb2Builder().mmap({{0, 0x9FC00, 1}}).tag(mb2::kTagFramebuffer, fb).bytes();
  auto r = parse_multiboot2(b.data(), b.size());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->framebuffer.has_rgb_fields);
  EXPECT_EQ(r->framebuffer.address, 0x4'0000'0000ull);
  EXPECT_EQ(r->framebuffer.red_pos, 16);
  EXPECT_EQ(r->framebuffer.green_size, 8);
  EXPECT_EQ(r->framebuffer.blue_pos, 0);
  fb[21] = kFramebufferEgaText;
  b = Mb2Builder().mmap({{0, 0x9FC00, 1}}).tag(mb2::kTagFramebuffer, fb).bytes();
  r = parse_multiboot2(b.data(), b.size());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->framebuffer.has_rgb_fields);
}

TEST(Multiboot2, TheEfiSystemTableKnowsItsWidth) {
  std::vector<u8> st32, st64;
  Mb2Builder::le32(st32, 0x7F00'0000);
  Mb2Builder::le64(st64, 0x7E00'0000);
  auto b = Mb2Builder().mmap({{0, 0x9FC00, 1}}).tag(mb2::kTagEfi32SystemTable, st32).bytes();
  auto r = parse_multiboot2(b.data(), b.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->efi_system_table, 0x7F00'0000u);
  EXPECT_FALSE(r->efi_system_table_64);
  b = Mb2Builder().tag(mb2::kTagEfi64SystemTable, st64).tag(mb2::kTagEfi32SystemTable, st32).bytes();
  r = parse_multiboot2(b.data(), b.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->efi_system_table, 0x7E00'0000u);
  EXPECT_TRUE(r->efi_system_table_64);
}

TEST(Multiboot2, BiosBootWithoutOptionalTags) {
  const std::vector<u8> b = Mb2Builder().mmap({{0, 0x9FC00, 1}}).bytes();
  auto r = parse_multiboot2(b.data(), b.size());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->cmdline, nullptr);
  EXPECT_EQ(r->module_count, 0u);
  EXPECT_EQ(r->rsdp_v1, nullptr);
  EXPECT_EQ(r->rsdp_v2, nullptr);
  EXPECT_EQ(r->efi_system_table, 0u);
  EXPECT_FALSE(r->has_framebuffer);
  EXPECT_FALSE(r->efi_boot_services_running);
}

TEST(Multiboot2, Efi32SystemTableAndTheLargerEntrySizesOfTheMemoryMap) {
  std::vector<u8> efi32;
  Mb2Builder::le32(efi32, 0x7000);
  const std::vector<u8> b = Mb2Builder().tag(mb2::kTagEfi32SystemTable, efi32).mmap({{0, 0x1000, 1}}, 32).bytes();
  auto r = parse_multiboot2(b.data(), b.size());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->efi_system_table, 0x7000u);
  ASSERT_EQ(r->region_count, 1u);
  EXPECT_EQ(r->regions[0].size, 0x1000u);
}

TEST(Multiboot2, TruncatedAtEveryLengthIsRefusedNeverOverread) {
  const std::vector<u8> b = uefi_boot_info();
  for (usize n = 0; n < b.size(); ++n) {
    std::vector<u8> cut(b.begin(), b.begin() + long(n));  // exact size: ASan/valgrind see an overread
    auto r = parse_multiboot2(cut.empty() ? nullptr : cut.data(), n);
    EXPECT_FALSE(r.ok()) << n;
  }
}

TEST(Multiboot2, HeaderErrors) {
  std::vector<u8> b = uefi_boot_info();
  EXPECT_EQ(parse_multiboot2(nullptr, 100).error(), Mb2Error::TooShort);
  EXPECT_EQ(parse_multiboot2(b.data(), 4).error(), Mb2Error::TooShort);
  std::vector<u8> odd = b;
  odd[0] = u8(odd[0] - 4);  // total_size not a multiple of 8
  EXPECT_EQ(parse_multiboot2(odd.data(), odd.size()).error(), Mb2Error::BadTotalSize);
  std::vector<u8> tiny = b;
  tiny[0] = 8, tiny[1] = 0, tiny[2] = 0, tiny[3] = 0;
  EXPECT_EQ(parse_multiboot2(tiny.data(), tiny.size()).error(), Mb2Error::BadTotalSize);
  EXPECT_EQ(parse_multiboot2(b.data(), b.size() - 8).error(), Mb2Error::BadTotalSize);  // says more than the buffer
}

TEST(Multiboot2, NoEndTag) {
  const std::vector<u8> b = Mb2Builder().string_tag(mb2::kTagCmdline, "x").bytes(false);
  EXPECT_EQ(parse_multiboot2(b.data(), b.size()).error(), Mb2Error::NoEndTag);
}

TEST(Multiboot2, ATagPastTheEndOrTooSmallForItsType) {
  std::vector<u8> b = Mb2Builder().string_tag(mb2::kTagCmdline, "abc").bytes();
  b[12] = 0xF0;  // the command line tag's size now runs far past total_size
  EXPECT_EQ(parse_multiboot2(b.data(), b.size()).error(), Mb2Error::TagPastEnd);
  const std::vector<u8> small = Mb2Builder().tag(mb2::kTagAcpiNewRsdp, rsdp(2, 20)).bytes();  // 20 < 36
  EXPECT_EQ(parse_multiboot2(small.data(), small.size()).error(), Mb2Error::TagTooSmall);
  const std::vector<u8> fb = Mb2Builder().tag(mb2::kTagFramebuffer, std::vector<u8>(10, 0)).bytes();
  EXPECT_EQ(parse_multiboot2(fb.data(), fb.size()).error(), Mb2Error::TagTooSmall);
  const std::vector<u8> mod = Mb2Builder().tag(mb2::kTagModule, std::vector<u8>(4, 0)).bytes();
  EXPECT_EQ(parse_multiboot2(mod.data(), mod.size()).error(), Mb2Error::TagTooSmall);
}

TEST(Multiboot2, StringsMustEndInsideTheirTag) {
  const std::vector<u8> cmd = Mb2Builder().tag(mb2::kTagCmdline, {'a', 'b', 'c'}).bytes();
  EXPECT_EQ(parse_multiboot2(cmd.data(), cmd.size()).error(), Mb2Error::BadString);
  std::vector<u8> body;
  Mb2Builder::le32(body, 0x1000), Mb2Builder::le32(body, 0x2000);
  body.push_back('m');
  const std::vector<u8> mod = Mb2Builder().tag(mb2::kTagModule, body).bytes();
  EXPECT_EQ(parse_multiboot2(mod.data(), mod.size()).error(), Mb2Error::BadString);
}

TEST(Multiboot2, ModuleRules) {
  const std::vector<u8> neg = Mb2Builder().module(0x2000, 0x1000, "x").bytes();
  EXPECT_EQ(parse_multiboot2(neg.data(), neg.size()).error(), Mb2Error::BadModule);
  Mb2Builder many;
  for (usize i = 0; i <= Multiboot2Info::kMaxModules; ++i) many.module(u32(i * 0x1000), u32(i * 0x1000 + 0x10), "m");
  const std::vector<u8> b = many.bytes();
  EXPECT_EQ(parse_multiboot2(b.data(), b.size()).error(), Mb2Error::TooManyModules);
}

TEST(Multiboot2, MemoryMapRules) {
  const std::vector<u8> small = Mb2Builder().mmap({{0, 1, 1}}, 16).bytes();
  EXPECT_EQ(parse_multiboot2(small.data(), small.size()).error(), Mb2Error::BadMmap);
  const std::vector<u8> odd = Mb2Builder().mmap({{0, 1, 1}}, 28).bytes();
  EXPECT_EQ(parse_multiboot2(odd.data(), odd.size()).error(), Mb2Error::BadMmap);
  std::vector<u8> body;
  Mb2Builder::le32(body, 24), Mb2Builder::le32(body, 0);
  body.resize(8 + 24 + 10, 0);  // a ragged last entry
  const std::vector<u8> ragged = Mb2Builder().tag(mb2::kTagMmap, body).bytes();
  EXPECT_EQ(parse_multiboot2(ragged.data(), ragged.size()).error(), Mb2Error::BadMmap);
  std::vector<MemRegion> lots(Multiboot2Info::kMaxRegions + 1, MemRegion{0, 0x1000, 1});
  const std::vector<u8> big = Mb2Builder().mmap(lots).bytes();
  EXPECT_EQ(parse_multiboot2(big.data(), big.size()).error(), Mb2Error::TooManyRegions);
}

TEST(Multiboot2, ATagGivenOnceMayNotComeTwice) {
  for (u32 type : {mb2::kTagCmdline, mb2::kTagAcpiNewRsdp, mb2::kTagAcpiOldRsdp}) {
    const std::vector<u8> body = type == mb2::kTagCmdline ? std::vector<u8>{'a', 0} : rsdp(2, 36);
    const std::vector<u8> b = Mb2Builder().tag(type, body).tag(type, body).bytes();
    EXPECT_EQ(parse_multiboot2(b.data(), b.size()).error(), Mb2Error::DuplicateTag) << type;
  }
  const std::vector<u8> two_mmaps = Mb2Builder().mmap({{0, 1, 1}}).mmap({{0, 1, 1}}).bytes();
  EXPECT_EQ(parse_multiboot2(two_mmaps.data(), two_mmaps.size()).error(), Mb2Error::DuplicateTag);
}

TEST(Multiboot2, EfiMemoryMapDescriptorSizeMustDivideIt) {
  std::vector<u8> body;
  Mb2Builder::le32(body, 48), Mb2Builder::le32(body, 1);
  body.resize(8 + 50, 0);
  const std::vector<u8> b = Mb2Builder().tag(mb2::kTagEfiMmap, body).bytes();
  EXPECT_EQ(parse_multiboot2(b.data(), b.size()).error(), Mb2Error::BadMmap);
  std::vector<u8> zero;
  Mb2Builder::le32(zero, 0), Mb2Builder::le32(zero, 1);
  const std::vector<u8> z = Mb2Builder().tag(mb2::kTagEfiMmap, zero).bytes();
  EXPECT_EQ(parse_multiboot2(z.data(), z.size()).error(), Mb2Error::BadMmap);
}

TEST(Multiboot2, AnEndTagWithAWrongSize) {
  std::vector<u8> b = Mb2Builder().bytes();
  b[12] = 16;  // the end tag says 16 bytes
  b.resize(b.size() + 8, 0);
  b[0] = u8(b.size());
  EXPECT_EQ(parse_multiboot2(b.data(), b.size()).error(), Mb2Error::TagTooSmall);
}

TEST(Multiboot2, EveryErrorHasAText) {
  for (u8 e = 1; e <= u8(Mb2Error::DuplicateTag); ++e)
    EXPECT_STRNE(to_string(Mb2Error(e)), "unknown multiboot2 error") << int(e);
}

}  // namespace
}  // namespace tv
