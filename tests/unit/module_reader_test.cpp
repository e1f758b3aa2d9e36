// The agentless detector's view of a struct module, over fake guest memory laid
// out with the offsets of a checked-in profile of the Debian 12 kernel.
#include "tv/module_reader.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "tv/kernel_profile.hpp"

namespace {
using namespace tv;

// tools/tvprofile's output for 6.1.0-57-amd64 (linux-image-6.1.0-57-amd64-dbg).
constexpr const char kProfile[] =
    "thinvisor-kernel-profile 1\n"
    "release 6.1.0-57-amd64\n"
    "symbol entry_SYSCALL_64 ffffffff81c00080\n"
    "symbol do_init_module ffffffff81149360\n"
    "symbol free_module ffffffff81149200\n"
    "offset module.state 0\n"
    "offset module.name 24\n"
    "offset module.core_layout.base 320\n"
    "offset module.core_layout.size 328\n"
    "offset module.core_layout.text_size 332\n";

class FakeGuest final : public GuestReader {
 public:
  bool read(u64 gva, void* dst, usize len) const override {
    for (const auto& [base, bytes] : pages) {
      if (gva >= base && gva + len <= base + bytes.size()) {
        std::memcpy(dst, bytes.data() + (gva - base), len);
        return true;
      }
    }
    return false;
  }
  std::map<u64, std::string> pages;
};

constexpr u64 kMod = 0xFFFFFFFFC0A01000ull;

FakeGuest module_at(u64 at, const char* name, u64 base, u32 size, u32 state) {
  std::string m(1024, '\0');
  std::memcpy(&m[0], &state, 4);
  std::memcpy(&m[24], name, std::strlen(name));
  std::memcpy(&m[320], &base, 8);
  std::memcpy(&m[328], &size, 4);
  const u32 text = size / 2;
  std::memcpy(&m[332], &text, 4);
  FakeGuest g;
  g.pages[at] = m;
  return g;
}

TEST(KernelProfile, ParsesTheToolsOutput) {
  auto p = parse_kernel_profile(kProfile, sizeof kProfile - 1);
  ASSERT_TRUE(p.ok()) << to_string(p.error());
  EXPECT_STREQ(p->release, "6.1.0-57-amd64");
  EXPECT_EQ(p->entry_syscall_64, 0xFFFFFFFF81C00080u);
  EXPECT_EQ(p->do_init_module, 0xFFFFFFFF81149360u);
  EXPECT_EQ(p->free_module, 0xFFFFFFFF81149200u);
  EXPECT_EQ(p->off_name, 24u);
  EXPECT_EQ(p->off_core_base, 320u);
  EXPECT_EQ(p->off_core_size, 328u);
}

TEST(KernelProfile, RefusesIncompleteOrForeignText) {
  EXPECT_EQ(parse_kernel_profile("hello", 5).error(), ProfileError::NotAProfile);
  std::string missing = std::string(kProfile);
  missing.erase(missing.find("symbol free_module"), std::string("symbol free_module ffffffff81149200\n").size());
  EXPECT_EQ(parse_kernel_profile(missing.data(), missing.size()).error(), ProfileError::Missing);
  std::string bad = std::string(kProfile) + "symbol do_init_module zz\n";
  EXPECT_EQ(parse_kernel_profile(bad.data(), bad.size()).error(), ProfileError::BadLine);
  std::string big(5000, 'x');
  EXPECT_EQ(parse_kernel_profile(big.data(), big.size()).error(), ProfileError::TooLong);
  // Unknown lines are fine; a NUL ends the text (boot modules are page-padded).
  std::string extra = std::string(kProfile) + "symbol other ffffffff81000000\n";
  extra.push_back('\0');
  extra += "garbage";
  EXPECT_TRUE(parse_kernel_profile(extra.data(), extra.size()).ok());
}

TEST(KernelProfile, KaslrSlideFromLstar) {
  auto p = *parse_kernel_profile(kProfile, sizeof kProfile - 1);
  EXPECT_EQ(*kaslr_slide(0xFFFFFFFF81C00080ull, p), 0u);                        // nokaslr
  EXPECT_EQ(*kaslr_slide(0xFFFFFFFF81C00080ull + 0x1E800000, p), 0x1E800000u);  // seen in a run
  EXPECT_FALSE(kaslr_slide(0xFFFFFFFF81C00080ull + 0x1000, p).ok());            // not a 2 MiB step
  EXPECT_FALSE(kaslr_slide(0xFFFFFFFF81C00080ull + 0x40000000, p).ok());        // text beyond the top 1 GiB
  EXPECT_FALSE(kaslr_slide(0x400000, p).ok());                                  // a user address
  EXPECT_FALSE(kaslr_slide(0, p).ok());
}

TEST(ModuleReader, ReadsNameBaseSizeState) {
  auto p = *parse_kernel_profile(kProfile, sizeof kProfile - 1);
  FakeGuest g = module_at(kMod, "thinvisor_testmod", 0xFFFFFFFFC0A00000ull, 16384, 1);
  auto m = read_module(g, kMod, p);
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  EXPECT_STREQ(m->name, "thinvisor_testmod");
  EXPECT_EQ(m->base, 0xFFFFFFFFC0A00000u);
  EXPECT_EQ(m->size, 16384u);
  EXPECT_EQ(m->text_size, 8192u);
  EXPECT_EQ(m->state, 1u);
}

TEST(ModuleReader, DistrustsTheGuest) {
  auto p = *parse_kernel_profile(kProfile, sizeof kProfile - 1);
  FakeGuest g = module_at(kMod, "x", 0xFFFFFFFFC0A00000ull, 4096, 0);
  EXPECT_EQ(read_module(g, 0x400000, p).error(), ModuleReadError::BadPointer);  // a user address
  EXPECT_EQ(read_module(g, kMod + 4096, p).error(), ModuleReadError::Unreadable);
  std::string long_name(56, 'a');
  FakeGuest unterminated = module_at(kMod, long_name.c_str(), 0xFFFFFFFFC0A00000ull, 4096, 0);
  EXPECT_EQ(read_module(unterminated, kMod, p).error(), ModuleReadError::UnterminatedName);
  FakeGuest empty = module_at(kMod, "x", 0xFFFFFFFFC0A00000ull, 0, 0);
  EXPECT_EQ(read_module(empty, kMod, p).error(), ModuleReadError::BadLayout);
  FakeGuest user_base = module_at(kMod, "x", 0x400000, 4096, 0);
  EXPECT_EQ(read_module(user_base, kMod, p).error(), ModuleReadError::BadLayout);
}

}  // namespace
