// The allow-list: syntax, verdicts, limits.
#include "tv/module_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {
using namespace tv;

constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";  // sha256("abc")

void digest_of(const char* text, u8 (&out)[Sha256::kDigestBytes]) {
  Sha256 h;
  h.update(text, std::string(text).size());
  h.finish(out);
}

TEST(ModulePolicy, JudgesNamesAndHashes) {
  auto p = ModulePolicy::parse((std::string("tvcall:") + kAbc + ",other:" + std::string(64, '0')).c_str());
  ASSERT_TRUE(p.ok()) << to_string(p.error());
  EXPECT_EQ(p->size(), 2u);
  u8 abc[32], xyz[32];
  digest_of("abc", abc);
  digest_of("xyz", xyz);
  EXPECT_EQ(p->judge("tvcall", abc), ModuleVerdict::Allowed);
  EXPECT_EQ(p->judge("tvcall", xyz), ModuleVerdict::HashMismatch);
  EXPECT_EQ(p->judge("rootkit", abc), ModuleVerdict::Unknown);
  EXPECT_EQ(ModulePolicy::parse("")->size(), 0u);
}

TEST(ModulePolicy, RefusesMalformedLists) {
  EXPECT_EQ(ModulePolicy::parse("tvcall").error(), PolicyError::BadEntry);
  EXPECT_EQ(ModulePolicy::parse(":abc").error(), PolicyError::BadEntry);
  EXPECT_EQ(ModulePolicy::parse((std::string(56, 'n') + ":" + kAbc).c_str()).error(), PolicyError::BadEntry);
  EXPECT_EQ(ModulePolicy::parse("m:1234").error(), PolicyError::BadHash);
  EXPECT_EQ(ModulePolicy::parse((std::string("m:") + kAbc + "ff").c_str()).error(), PolicyError::BadHash);
  std::string many;
  for (int i = 0; i < 33; ++i) many += (i ? "," : "") + std::string("m") + std::to_string(i) + ":" + kAbc;
  EXPECT_EQ(ModulePolicy::parse(many.c_str()).error(), PolicyError::TooMany);
}

}  // namespace
