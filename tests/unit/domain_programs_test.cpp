// The domain programs the VMM embeds (domains/): each must be a static ELF64
// executable the domain loader can map as is: entry and every PT_LOAD inside
// the image window, page-aligned, no page both writable and executable, and
// no dynamic linking.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "tv/domain_abi.hpp"
#include "tv/elf.hpp"
#include "tv/str.hpp"

namespace tv {
namespace {

constexpr u32 kPtDynamic = 2;
constexpr u32 kPtInterp = 3;

std::vector<std::string> programs() {
  std::vector<std::string> names;
  std::stringstream list(TV_DOMAIN_PROGRAMS);  // "echo,faulty,..." from CMake
  for (std::string name; std::getline(list, name, ',');) names.push_back(name);
  return names;
}

std::vector<u8> read_program(const std::string& name) {
  std::ifstream f(std::string(TV_DOMAIN_BIN_DIR) + "/" + name + ".bin", std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(DomainPrograms, AllAreBuilt) {
  EXPECT_GE(programs().size(), 5u);
  for (const auto& name : programs()) EXPECT_FALSE(read_program(name).empty()) << name;
}

TEST(DomainPrograms, LoadableInTheImageWindow) {
  const u64 lo = dom::kUserImageBase, hi = dom::kUserImageBase + dom::kUserImageMax;
  for (const auto& name : programs()) {
    SCOPED_TRACE(name);
    std::vector<u8> image = read_program(name);
    auto parsed = parse_elf(image.data(), image.size());
    ASSERT_TRUE(parsed.ok());
    const ElfImage& elf = parsed.value();
    EXPECT_EQ(elf.elf_class, ElfClass::Elf64);
    EXPECT_EQ(elf.machine, kEmX86_64);
    EXPECT_GE(elf.entry, lo);
    EXPECT_LT(elf.entry, hi);
    bool entry_executable = false;
    u64 prev_end = lo;
    for (usize i = 0; i < elf.segment_count; ++i) {
      const LoadSegment& s = elf.segments[i];
      EXPECT_NE(s.flags & (kPfW | kPfX), kPfW | kPfX) << "segment " << i << " is W+X";
      EXPECT_EQ(s.vaddr % 4096, 0u) << "segment " << i;
      // Page-aligned and in order, so no page holds two segments' permissions.
      EXPECT_GE(s.vaddr, prev_end) << "segment " << i;
      EXPECT_LE(s.vaddr + s.mem_size, hi) << "segment " << i;
      prev_end = (s.vaddr + s.mem_size + 4095) & ~u64{4095};
      if ((s.flags & kPfX) && elf.entry >= s.vaddr && elf.entry < s.vaddr + s.file_size) entry_executable = true;
    }
    EXPECT_TRUE(entry_executable);
  }
}

TEST(DomainPrograms, NoDynamicLinking) {
  for (const auto& name : programs()) {
    SCOPED_TRACE(name);
    std::vector<u8> image = read_program(name);
    ASSERT_GE(image.size(), sizeof(Elf64Ehdr));
    EXPECT_EQ(load_le16(&image[16]), kEtExec);
    const u64 phoff = load_le64(&image[32]);
    const u16 phentsize = load_le16(&image[54]), phnum = load_le16(&image[56]);
    ASSERT_LE(phoff + u64{phentsize} * phnum, image.size());
    for (u16 i = 0; i < phnum; ++i) {
      const u32 type = load_le32(&image[phoff + u64{phentsize} * i]);
      EXPECT_NE(type, kPtDynamic);
      EXPECT_NE(type, kPtInterp);
    }
  }
}

}  // namespace
}  // namespace tv
