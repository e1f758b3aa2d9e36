// CPUID policy tests: each filtered leaf plus pass-through of everything else.
#include "tv/cpuid_policy.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace {

using tv::CpuidRegs;
using tv::u32;
using tv::u64;

constexpr CpuidRegs kHost{0x11111111, 0x22222222, 0x33333333, 0x44444444};

void expect_regs(const CpuidRegs& r, u32 eax, u32 ebx, u32 ecx, u32 edx) {
  EXPECT_EQ(r.eax, eax);
  EXPECT_EQ(r.ebx, ebx);
  EXPECT_EQ(r.ecx, ecx);
  EXPECT_EQ(r.edx, edx);
}

TEST(CpuidPolicy, Leaf1SetsHypervisorBit) {
  expect_regs(tv::cpuid_for_guest(1, 0, kHost), 0x11111111, 0x22222222, 0xB3333333, 0x44444444);
  expect_regs(tv::cpuid_for_guest(1, 0, CpuidRegs{1, 2, 0x80000000, 4}), 1, 2, 0x80000000, 4);
}

TEST(CpuidPolicy, ExtendedFeaturesHideSvm) {
  expect_regs(tv::cpuid_for_guest(0x80000001, 0, CpuidRegs{1, 2, 0xFFFFFFFF, 4}), 1, 2, 0xFFFFFFFB, 4);
  expect_regs(tv::cpuid_for_guest(0x80000001, 0, kHost), 0x11111111, 0x22222222, 0x33333333, 0x44444444);
}

TEST(CpuidPolicy, SvmFeatureLeafIsZero) {
  expect_regs(tv::cpuid_for_guest(0x8000000A, 0, kHost), 0, 0, 0, 0);
  expect_regs(tv::cpuid_for_guest(0x8000000A, 1, kHost), 0, 0, 0, 0);
}

TEST(CpuidPolicy, AddressSizeLeafSaysLmsleIsUnsupported) {
  // EBX bit 20: the VMM refuses EFER.LMSLE, so CPUID must not offer it.
  expect_regs(tv::cpuid_for_guest(0x80000008, 0, CpuidRegs{0x3028, 0, 0, 0}), 0x3028, 1u << 20, 0, 0);
  expect_regs(tv::cpuid_for_guest(0x80000008, 0, kHost), 0x11111111, 0x22322222, 0x33333333, 0x44444444);
}

TEST(CpuidPolicy, HypervisorSignatureLeaf) {
  const CpuidRegs r = tv::cpuid_for_guest(0x40000000, 0, kHost);
  EXPECT_EQ(r.eax, tv::kHypervisorMaxLeaf);
  EXPECT_EQ(r.eax, 0x40000001u);
  // "thin" / "viso" / "rVMM", little-endian in EBX, ECX, EDX.
  EXPECT_EQ(r.ebx, 0x6E696874u);
  EXPECT_EQ(r.ecx, 0x6F736976u);
  EXPECT_EQ(r.edx, 0x4D4D5672u);
  char sig[13] = {};
  std::memcpy(sig + 0, &r.ebx, 4);
  std::memcpy(sig + 4, &r.ecx, 4);
  std::memcpy(sig + 8, &r.edx, 4);
  EXPECT_STREQ(sig, tv::kHypervisorSignature);
  EXPECT_STREQ(sig, "thinvisorVMM");
}

TEST(CpuidPolicy, HypervisorInterfaceLeaf) {
  expect_regs(tv::cpuid_for_guest(0x40000001, 0, kHost), 1, 0, 0, 0);
}

TEST(CpuidPolicy, OtherHypervisorLeavesAreZero) {
  for (u32 leaf : {0x40000002u, 0x40000003u, 0x40000010u, 0x400000FEu, 0x400000FFu}) {
    expect_regs(tv::cpuid_for_guest(leaf, 0, kHost), 0, 0, 0, 0);
  }
}

TEST(CpuidPolicy, UnrelatedLeavesPassThrough) {
  for (u32 leaf : {0x0u, 0x7u, 0xBu, 0x3FFFFFFFu, 0x40000100u, 0x80000000u, 0x80000009u, 0x8000000Bu}) {
    expect_regs(tv::cpuid_for_guest(leaf, 3, kHost), 0x11111111, 0x22222222, 0x33333333, 0x44444444);
  }
}

// The exit path's shortcut skips the policy only where the policy changes nothing.
TEST(CpuidPolicy, UnfilteredLeavesReallyPassThrough) {
  const CpuidRegs other{0xA5A5A5A5, 0x5A5A5A5A, 0xFFFFFFFF, 0};
  u32 unfiltered = 0;
  for (u64 l = 0; l <= 0xFFFFFFFFull; l += (l < 0x200 || (l >= 0x3FFFFF00 && l < 0x40000200) ? 1 : 0x10001)) {
    const u32 leaf = u32(l);
    if (!tv::cpuid_leaf_unfiltered(leaf)) continue;
    ++unfiltered;
    for (const CpuidRegs& h : {kHost, other}) {
      const CpuidRegs r = tv::cpuid_for_guest(leaf, 0, h);
      EXPECT_TRUE(r.eax == h.eax && r.ebx == h.ebx && r.ecx == h.ecx && r.edx == h.edx) << std::hex << leaf;
    }
  }
  EXPECT_GT(unfiltered, 0u);
  for (u32 leaf : {0x1u, 0x40000000u, 0x40000001u, 0x80000001u, 0x80000008u, 0x8000000Au})
    EXPECT_FALSE(tv::cpuid_leaf_unfiltered(leaf)) << std::hex << leaf;
}

}  // namespace
