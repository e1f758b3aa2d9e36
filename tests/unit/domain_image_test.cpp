#include "tv/domain_image.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "elf_builder.hpp"
#include "tv/domain_abi.hpp"

namespace {
using namespace tv;
using elfgen::make_elf;
using elfgen::Seg;

constexpr u64 B = dom::kUserImageBase;
constexpr u64 kWindowEnd = dom::kUserImageBase + dom::kUserImageMax;
constexpr usize kPayload = 0x4000;
constexpr u64 kEntry = B + 0x1010;

Seg load(u64 offset, u64 vaddr, u64 filesz, u64 memsz, u32 flags) {
  return Seg{kPtLoad, offset, vaddr, vaddr, filesz, memsz, flags};
}

// text (2 pages), rodata (1), data with its bss starting mid-page (3), a separate bss (3).
std::vector<Seg> good_segments() {
  return {
      load(0x1000, B + 0x1000, 0x1800, 0x1800, kPfR | kPfX),
      load(0x3000, B + 0x3000, 0x200, 0x200, kPfR),
      load(0x3200, B + 0x4200, 0x100, 0x2000, kPfR | kPfW),
      load(0, B + 0x8000, 0, 0x3000, kPfR | kPfW),
  };
}

Result<ImagePlan, ImageError> plan(const std::vector<Seg>& segs, u64 entry = kEntry) {
  const std::vector<u8> elf = make_elf(true, segs, kPayload, entry);
  return plan_domain_image(elf.data(), elf.size());
}

ImageError plan_error(const std::vector<Seg>& segs, u64 entry = kEntry) {
  auto r = plan(segs, entry);
  return r.ok() ? ImageError::Count : r.error();
}

void expect_segment(const ImageSegment& s, u64 vaddr, u64 pages, bool w, bool x, u64 copy_offset, u64 file_offset,
                    u64 file_size) {
  EXPECT_EQ(s.vaddr, vaddr);
  EXPECT_EQ(s.pages, pages);
  EXPECT_EQ(s.writable, w);
  EXPECT_EQ(s.executable, x);
  EXPECT_EQ(s.copy_offset, copy_offset);
  EXPECT_EQ(s.file_offset, file_offset);
  EXPECT_EQ(s.file_size, file_size);
}

TEST(DomainImage, GoodImage) {
  auto r = plan(good_segments());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->entry, kEntry);
  ASSERT_EQ(r->segment_count, 4u);
  expect_segment(r->segments[0], B + 0x1000, 2, false, true, 0, 0x1000, 0x1800);
  expect_segment(r->segments[1], B + 0x3000, 1, false, false, 0, 0x3000, 0x200);
  expect_segment(r->segments[2], B + 0x4000, 3, true, false, 0x200, 0x3200, 0x100);
  expect_segment(r->segments[3], B + 0x8000, 3, true, false, 0, 0, 0);
  EXPECT_EQ(r->shared_pages, 3u);
  EXPECT_EQ(r->private_pages, 6u);
}

TEST(DomainImage, ElfErrorsAreReported) {
  std::vector<u8> elf = make_elf(true, good_segments(), kPayload, kEntry);
  elf[1] = 'X';
  ElfError why{};
  EXPECT_EQ(plan_domain_image(elf.data(), elf.size(), &why).error(), ImageError::Elf);
  EXPECT_EQ(why, ElfError::NotElf);
  EXPECT_EQ(plan_domain_image(elf.data(), elf.size()).error(), ImageError::Elf);  // no out-parameter: fine
  EXPECT_EQ(plan_domain_image(nullptr, 0, &why).error(), ImageError::Elf);
  // A segment whose file bytes run past the end of the file.
  std::vector<Seg> segs = good_segments();
  segs[1].filesz = segs[1].memsz = kPayload;
  EXPECT_EQ(plan_error(segs), ImageError::Elf);
}

TEST(DomainImage, RejectsElf32) {
  const std::vector<Seg> segs = {load(0x1000, 0x100000, 0x1000, 0x1000, kPfR | kPfX)};
  const std::vector<u8> elf = make_elf(false, segs, kPayload, 0x100000);
  EXPECT_EQ(plan_domain_image(elf.data(), elf.size()).error(), ImageError::Not64Bit);
}

TEST(DomainImage, SegmentsOutsideTheWindow) {
  auto with_data_at = [](u64 vaddr, u64 memsz) {
    std::vector<Seg> segs = good_segments();
    segs[3] = load(0, vaddr, 0, memsz, kPfR | kPfW);
    return plan_error(segs);
  };
  EXPECT_EQ(with_data_at(0, 0x1000), ImageError::OutsideWindow);
  EXPECT_EQ(with_data_at(B - 0x1000, 0x1000), ImageError::OutsideWindow);
  EXPECT_EQ(with_data_at(B - 1, 0x10), ImageError::OutsideWindow);
  EXPECT_EQ(with_data_at(kWindowEnd, 0x1000), ImageError::OutsideWindow);
  EXPECT_EQ(with_data_at(kWindowEnd - 0x1000, 0x1001), ImageError::OutsideWindow);  // straddles the end
  EXPECT_EQ(with_data_at(B + 0x10000, u64{1} << 63), ImageError::OutsideWindow);    // huge, no wrap
  EXPECT_EQ(with_data_at(dom::kUserBufWindow, 0x1000), ImageError::OutsideWindow);
  // vaddr + memsz wrapping 64 bits never gets here: parse_elf calls it a bad segment.
  ElfError why{};
  std::vector<Seg> segs = good_segments();
  segs[3] = load(0, B + 0x10000, 0, ~u64{0} - 0x1000, kPfR | kPfW);
  const std::vector<u8> elf = make_elf(true, segs, kPayload, kEntry);
  EXPECT_EQ(plan_domain_image(elf.data(), elf.size(), &why).error(), ImageError::Elf);
  EXPECT_EQ(why, ElfError::BadSegment);
}

TEST(DomainImage, LastPageOfTheWindowIsInside) {
  std::vector<Seg> segs = good_segments();
  segs[3] = load(0, kWindowEnd - 0x1000, 0, 0x1000, kPfR | kPfW);
  auto r = plan(segs);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->segments[3].vaddr, kWindowEnd - 0x1000);
  EXPECT_EQ(r->segments[3].pages, 1u);
}

TEST(DomainImage, SegmentsSharingAPageOverlap) {
  std::vector<Seg> segs = good_segments();
  segs[1] = load(0x3000, B + 0x2900, 0x200, 0x200, kPfR);  // rodata in text's last page
  EXPECT_EQ(plan_error(segs), ImageError::Overlap);
  segs = good_segments();
  segs[3] = load(0, B + 0x5000, 0, 0x1000, kPfR | kPfW);  // bss inside data's pages
  EXPECT_EQ(plan_error(segs), ImageError::Overlap);
  segs = good_segments();
  segs[3] = load(0, B, 0, 0x10000, kPfR | kPfW);  // covers everything
  EXPECT_EQ(plan_error(segs), ImageError::Overlap);
}

TEST(DomainImage, WritableAndExecutable) {
  std::vector<Seg> segs = good_segments();
  segs[0].flags = kPfR | kPfW | kPfX;
  EXPECT_EQ(plan_error(segs), ImageError::WritableAndExecutable);
  segs = good_segments();
  segs[2].flags = kPfW | kPfX;
  EXPECT_EQ(plan_error(segs), ImageError::WritableAndExecutable);
}

TEST(DomainImage, EntryMustBeInAnExecutableSegment) {
  EXPECT_EQ(plan_error(good_segments(), B + 0x3010), ImageError::EntryNotExecutable);  // rodata
  EXPECT_EQ(plan_error(good_segments(), B + 0x4300), ImageError::EntryNotExecutable);  // data
  EXPECT_EQ(plan_error(good_segments(), 0), ImageError::EntryNotExecutable);
  EXPECT_EQ(plan_error(good_segments(), B + 0x0FFF), ImageError::EntryNotExecutable);  // just before text
  EXPECT_EQ(plan_error(good_segments(), B + 0x2800), ImageError::EntryNotExecutable);  // text's page padding
  EXPECT_TRUE(plan(good_segments(), B + 0x1000).ok());
  EXPECT_TRUE(plan(good_segments(), B + 0x27FF).ok());  // text's last byte
}

TEST(DomainImage, TooManySegments) {
  std::vector<Seg> segs = good_segments();
  while (segs.size() < ImagePlan::kMaxSegments) {
    segs.push_back(load(0, B + 0x10000 * segs.size(), 0, 0x1000, kPfR | kPfW));
  }
  auto r = plan(segs);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->segment_count, ImagePlan::kMaxSegments);
  segs.push_back(load(0, B + 0x10000 * segs.size(), 0, 0x1000, kPfR | kPfW));
  EXPECT_EQ(plan_error(segs), ImageError::TooBig);
}

TEST(DomainImage, TooManyPages) {
  // good_segments() takes 9 pages; a bss filling the rest of the budget is fine, one page more is not.
  std::vector<Seg> segs = good_segments();
  segs[3].memsz = (kMaxImagePages - 6) * kPageSize;
  auto r = plan(segs);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->shared_pages + r->private_pages, kMaxImagePages);
  segs[3].memsz += 1;
  EXPECT_EQ(plan_error(segs), ImageError::TooBig);
}

TEST(DomainImage, ErrorStrings) {
  std::set<std::string> seen;
  for (int c = 1; c < static_cast<int>(ImageError::Count); ++c) {
    const std::string s = to_string(static_cast<ImageError>(c));
    EXPECT_FALSE(s.empty());
    EXPECT_NE(s, "unknown");
    EXPECT_TRUE(seen.insert(s).second) << s;
  }
  EXPECT_STREQ(to_string(static_cast<ImageError>(0)), "unknown");
  EXPECT_STREQ(to_string(ImageError::Count), "unknown");
}

}  // namespace
