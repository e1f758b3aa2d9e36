#include "tv/elf.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "elf_builder.hpp"

namespace tv {
namespace {

using elfgen::make_elf;
using elfgen::put;
using elfgen::Seg;

const std::vector<Seg> kTwoSegs = {
    {kPtLoad, 0x1000, 0xC0100000, 0x100000, 0x1000, 0x1000, kPfR | kPfX},
    {6 /* PT_PHDR */, 0x40, 0, 0, 0x40, 0x40, kPfR},
    {kPtLoad, 0x2000, 0xC0101000, 0x101000, 0x800, 0x4000, kPfR | kPfW},
};

Result<ElfImage, ElfError> parse(const std::vector<u8>& v) {
  return parse_elf(v.data(), v.size());
}

TEST(Elf, Layouts) {
  EXPECT_EQ(sizeof(Elf32Ehdr), 52u);
  EXPECT_EQ(sizeof(Elf64Ehdr), 64u);
  EXPECT_EQ(sizeof(Elf32Phdr), 32u);
  EXPECT_EQ(sizeof(Elf64Phdr), 56u);
}

TEST(Elf, Parses32) {
  auto r = parse(make_elf(false, kTwoSegs, 0x3000, 0x10000C));
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->elf_class, ElfClass::Elf32);
  EXPECT_EQ(r->machine, kEm386);
  EXPECT_EQ(r->entry, 0x10000Cu);
  ASSERT_EQ(r->segment_count, 2u);
  EXPECT_EQ(r->segments[0].paddr, 0x100000u);
  EXPECT_EQ(r->segments[0].vaddr, 0xC0100000u);
  EXPECT_EQ(r->segments[0].file_offset, 0x1000u);
  EXPECT_EQ(r->segments[0].file_size, 0x1000u);
  EXPECT_EQ(r->segments[0].mem_size, 0x1000u);
  EXPECT_EQ(r->segments[0].flags, kPfR | kPfX);
  EXPECT_EQ(r->segments[1].paddr, 0x101000u);
  EXPECT_EQ(r->segments[1].file_size, 0x800u);
  EXPECT_EQ(r->segments[1].mem_size, 0x4000u);
  EXPECT_EQ(r->segments[1].flags, kPfR | kPfW);
}

TEST(Elf, Parses64) {
  std::vector<Seg> segs = kTwoSegs;
  segs[0].vaddr = 0xFFFFFFFF80100000ull;
  segs[2].paddr = 0x200000000ull;  // above 4 GiB is fine for ELF64
  auto r = parse(make_elf(true, segs, 0x3000, 0xFFFFFFFF80100040ull));
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->elf_class, ElfClass::Elf64);
  EXPECT_EQ(r->machine, kEmX86_64);
  EXPECT_EQ(r->entry, 0xFFFFFFFF80100040ull);
  ASSERT_EQ(r->segment_count, 2u);
  EXPECT_EQ(r->segments[0].vaddr, 0xFFFFFFFF80100000ull);
  EXPECT_EQ(r->segments[1].paddr, 0x200000000ull);
  EXPECT_EQ(r->segments[1].mem_size, 0x4000u);
}

TEST(Elf, LargerPhentsizeAndEmptySegments) {
  // phentsize larger than the struct (allowed by the gABI): stride must follow e_phentsize.
  std::vector<u8> v = make_elf(false, {}, 0x3000);
  put<u16>(v, 42, 48);
  put<u16>(v, 44, 2);
  put<u32>(v, 28, 0x100);
  auto seg = [&](usize p, u32 paddr, u32 memsz) {
    put<u32>(v, p + 0, kPtLoad);
    put<u32>(v, p + 4, 0x1000);
    put<u32>(v, p + 8, paddr);
    put<u32>(v, p + 12, paddr);
    put<u32>(v, p + 16, 0);
    put<u32>(v, p + 20, memsz);
  };
  seg(0x100, 0x100000, 0);  // empty: skipped
  seg(0x130, 0x200000, 0x1000);
  auto r = parse(v);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->segment_count, 1u);
  EXPECT_EQ(r->segments[0].paddr, 0x200000u);
  EXPECT_EQ(r->segments[0].file_size, 0u);
}

TEST(Elf, IdentErrors) {
  auto v = make_elf(false, kTwoSegs);
  EXPECT_EQ(parse_elf(nullptr, 0).error(), ElfError::NotElf);
  EXPECT_EQ(parse_elf(v.data(), 3).error(), ElfError::NotElf);
  EXPECT_EQ(parse_elf(v.data(), 15).error(), ElfError::Truncated);
  {
    auto w = v;
    w[1] = 'X';
    EXPECT_EQ(parse(w).error(), ElfError::NotElf);
  }
  for (u8 cls : {0, 3, 0xFF}) {
    auto w = v;
    w[4] = cls;
    EXPECT_EQ(parse(w).error(), ElfError::BadClass);
  }
  {
    auto w = v;
    w[5] = 2;  // big-endian
    EXPECT_EQ(parse(w).error(), ElfError::NotLittleEndian);
    w[5] = 0;
    EXPECT_EQ(parse(w).error(), ElfError::NotLittleEndian);
  }
  {
    auto w = v;
    w[6] = 0;
    EXPECT_EQ(parse(w).error(), ElfError::BadVersion);
  }
  {
    auto w = v;
    put<u32>(w, 20, 2);
    EXPECT_EQ(parse(w).error(), ElfError::BadVersion);
  }
}

TEST(Elf, HeaderErrors) {
  for (bool is64 : {false, true}) {
    SCOPED_TRACE(is64 ? "ELF64" : "ELF32");
    auto v = make_elf(is64, kTwoSegs);
    EXPECT_EQ(parse_elf(v.data(), is64 ? 63 : 51).error(), ElfError::Truncated);
    {
      auto w = v;
      put<u16>(w, 16, 3);  // ET_DYN
      EXPECT_EQ(parse(w).error(), ElfError::NotExecutable);
      put<u16>(w, 16, 1);  // ET_REL
      EXPECT_EQ(parse(w).error(), ElfError::NotExecutable);
    }
    {
      auto w = v;
      put<u16>(w, 18, is64 ? 3 : 62);  // the other class's machine
      EXPECT_EQ(parse(w).error(), ElfError::BadMachine);
      put<u16>(w, 18, 40);  // ARM
      EXPECT_EQ(parse(w).error(), ElfError::BadMachine);
    }
    const usize phentsize_off = is64 ? 54 : 42;
    const usize phnum_off = is64 ? 56 : 44;
    const usize phoff_off = is64 ? 32 : 28;
    {
      auto w = v;
      put<u16>(w, phentsize_off, is64 ? 55 : 31);
      EXPECT_EQ(parse(w).error(), ElfError::BadPhdrTable);
    }
    {
      auto w = v;
      put<u16>(w, phnum_off, 0xFFFF);
      EXPECT_EQ(parse(w).error(), ElfError::BadPhdrTable);
    }
    {
      auto w = v;
      put<u16>(w, phnum_off, 0);
      EXPECT_EQ(parse(w).error(), ElfError::NoSegments);
    }
    {
      auto w = v;
      put<u16>(w, phnum_off, 2000);  // table runs past the end of the file
      EXPECT_EQ(parse(w).error(), ElfError::Truncated);
    }
    {
      auto w = v;
      if (is64) {
        put<u64>(w, phoff_off, ~u64{0} - 8);
      } else {
        put<u32>(w, phoff_off, 0xFFFFFFF0);
      }
      EXPECT_EQ(parse(w).error(), ElfError::Truncated);
    }
    {
      // Table ends exactly at the end of the file: fine; one byte short: truncated.
      const usize table_end = (is64 ? 64 : 52) + (is64 ? 56 : 32) * kTwoSegs.size();
      std::vector<Seg> segs = kTwoSegs;
      for (Seg& s : segs) s.offset = s.filesz = 0;
      auto w = make_elf(is64, segs, 0);
      ASSERT_EQ(w.size(), table_end);
      EXPECT_TRUE(parse(w).ok());
      EXPECT_EQ(parse_elf(w.data(), table_end - 1).error(), ElfError::Truncated);
    }
  }
}

TEST(Elf, SegmentErrors) {
  for (bool is64 : {false, true}) {
    SCOPED_TRACE(is64 ? "ELF64" : "ELF32");
    auto with = [&](Seg s, usize payload = 0x3000) { return parse(make_elf(is64, {s}, payload)); };
    const usize data_start = is64 ? 64 + 56 : 52 + 32;
    // file_offset + file_size exactly at the end of the file is fine.
    EXPECT_TRUE(with({kPtLoad, data_start, 0x100000, 0x100000, 0x3000, 0x3000, 0}).ok());
    EXPECT_EQ(with({kPtLoad, data_start, 0x100000, 0x100000, 0x3001, 0x4000, 0}).error(), ElfError::Truncated);
    EXPECT_EQ(with({kPtLoad, 0x100000, 0x100000, 0x100000, 1, 1, 0}).error(), ElfError::Truncated);
    // file_size > mem_size.
    EXPECT_EQ(with({kPtLoad, data_start, 0x100000, 0x100000, 0x2000, 0x1000, 0}).error(), ElfError::BadSegment);
    // Address range wrapping the class's address space.
    EXPECT_EQ(with({kPtLoad, data_start, 0x100000, is64 ? ~u64{0} - 0xfff : 0xFFFFF000, 0, 0x2000, 0}).error(),
              ElfError::BadSegment);
    EXPECT_EQ(with({kPtLoad, data_start, is64 ? ~u64{0} - 0xfff : 0xFFFFF000, 0x100000, 0, 0x2000, 0}).error(),
              ElfError::BadSegment);
    // Ending exactly at the top of a 32-bit address space is allowed.
    if (!is64) {
      EXPECT_TRUE(with({kPtLoad, data_start, 0xFFFFF000, 0xFFFFF000, 0, 0x1000, 0}).ok());
    }
    // ELF64 only: offset + size overflowing 64 bits.
    if (is64) {
      EXPECT_EQ(with({kPtLoad, ~u64{0} - 0xf, 0x100000, 0x100000, 0x100, 0x100, 0}).error(), ElfError::BadSegment);
    }
    // Non-PT_LOAD headers are never validated or returned, so garbage in them is harmless.
    EXPECT_EQ(with({4 /* PT_NOTE */, ~u64{0}, 0, 0, ~u64{0}, 0, 0}).error(), ElfError::NoSegments);
  }
}

TEST(Elf, TooManySegments) {
  for (bool is64 : {false, true}) {
    std::vector<Seg> segs;
    for (u64 i = 0; i < ElfImage::kMaxSegments; ++i) {
      segs.push_back({kPtLoad, 0x100, 0x100000 + i * 0x1000, 0x100000 + i * 0x1000, 0x10, 0x1000, 0});
    }
    auto r = parse(make_elf(is64, segs));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->segment_count, ElfImage::kMaxSegments);
    segs.push_back({kPtLoad, 0x100, 0x200000, 0x200000, 0x10, 0x1000, 0});
    EXPECT_EQ(parse(make_elf(is64, segs)).error(), ElfError::TooManySegments);
  }
}

TEST(Elf, EveryPrefixIsSafe) {
  // No prefix of a valid file may read out of bounds (run under ASan to make this bite).
  for (bool is64 : {false, true}) {
    auto v = make_elf(is64, kTwoSegs);
    const usize needed = 0x2800;  // end of the last segment's file data
    for (usize n = 0; n <= v.size(); ++n) {
      std::vector<u8> prefix(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = parse_elf(prefix.data(), prefix.size());
      EXPECT_EQ(r.ok(), n >= needed) << n;
    }
  }
}

TEST(Elf, ErrorStringsDistinct) {
  for (int a = 1; a <= static_cast<int>(ElfError::NoSegments); ++a) {
    for (int b = a + 1; b <= static_cast<int>(ElfError::NoSegments); ++b) {
      EXPECT_STRNE(to_string(static_cast<ElfError>(a)), to_string(static_cast<ElfError>(b)));
    }
  }
}

}  // namespace
}  // namespace tv
