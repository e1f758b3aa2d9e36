#include <gtest/gtest.h>

#include <memory>

#include "tv/msr_policy.hpp"
#include "tv/svm_permission_maps.hpp"

using namespace tv;

TEST(IoPermissionMap, OneBitPerPort) {
  auto iopm = std::make_unique<u8[]>(kIopmBytes);
  auto& map = *reinterpret_cast<u8(*)[kIopmBytes]>(iopm.get());
  set_io_intercept(map, 0xE9);
  set_io_intercept(map, 0xFFFF);
  EXPECT_EQ(map[0xE9 / 8], 1u << (0xE9 % 8));
  EXPECT_EQ(map[0x1FFF], 0x80);
  int bits = 0;
  for (usize i = 0; i < kIopmBytes; ++i) bits += __builtin_popcount(map[i]);
  EXPECT_EQ(bits, 2);
}

TEST(MsrPermissionMap, TwoBitsPerMsrInThreeRanges) {
  auto buf = std::make_unique<u8[]>(kMsrpmBytes);
  auto& map = *reinterpret_cast<u8(*)[kMsrpmBytes]>(buf.get());
  ASSERT_TRUE(set_msr_intercept(map, x86::efer::kMsr, true, true));  // 0xC0000080: byte 0x800 + 0x20
  EXPECT_EQ(map[0x820], 0x03);
  ASSERT_TRUE(set_msr_intercept(map, x86::kVmHsavePa, false, true));  // 0xC0010117: bit 0x2E write
  EXPECT_EQ(map[0x1000 + 0x117 * 2 / 8], 0x02 << ((0x117 * 2) % 8));
  ASSERT_TRUE(set_msr_intercept(map, 0x1FFF, true, false));  // last MSR of the first range
  EXPECT_EQ(map[0x7FF], 0x40);
  EXPECT_FALSE(set_msr_intercept(map, 0x2000, true, true));  // not covered
  EXPECT_FALSE(set_msr_intercept(map, 0xC0002000, true, true));
}

namespace {
// qemu64: SYSCALL, NX, LM; no FFXSR, no TCE, LMSLE not flagged unsupported
// (the VMM refuses it anyway).
constexpr u32 kQemu64Ext1Edx = (1u << 11) | (1u << 20) | (1u << 29);
const u64 kQemu64Efer = efer_supported_bits(0, kQemu64Ext1Edx, 0);
MsrWriteContext ctx(u64 efer, u64 cr0) {
  return {efer, cr0, kQemu64Efer};
}
}  // namespace

TEST(MsrPermissionMap, KnowsWhichMsrsItCovers) {
  EXPECT_TRUE(msrpm_covers(0));
  EXPECT_TRUE(msrpm_covers(0x1FFF));
  EXPECT_FALSE(msrpm_covers(0x2000));
  EXPECT_TRUE(msrpm_covers(x86::efer::kMsr));
  EXPECT_FALSE(msrpm_covers(0xC0002000));  // SMCA machine-check banks on Zen
  EXPECT_TRUE(msrpm_covers(0xC0011FFF));
  EXPECT_FALSE(msrpm_covers(0xC0012000));
}

TEST(MsrPolicy, EferSupportedBitsFollowCpuid) {
  EXPECT_EQ(kQemu64Efer, x86::efer::kSce | x86::efer::kNxe | x86::efer::kLme | x86::efer::kLma);
  u64 all = efer_supported_bits(1u << 17, kQemu64Ext1Edx | (1u << 25), 0);
  EXPECT_TRUE(all & x86::efer::kTce);
  EXPECT_TRUE(all & x86::efer::kFfxsr);
  EXPECT_FALSE(efer_supported_bits(0, kQemu64Ext1Edx, 1u << 20) & x86::efer::kLmsle);
  EXPECT_FALSE(efer_supported_bits(0, 0, 0) & x86::efer::kLme);
}

TEST(MsrPolicy, EferHidesSvmeAndRejectsSettingIt) {
  EXPECT_EQ(guest_msr_read(x86::efer::kMsr, 0x1D01).value, 0xD01u);
  EXPECT_TRUE(guest_msr_write_allowed(x86::efer::kMsr, 0x0D01, ctx(0x0D01, 0x80000011)));   // SCE LME LMA NXE
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, 0x1D01, ctx(0x0D01, 0x80000011)));  // SVME
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, 1ull << 20, ctx(0, 0x11)));         // reserved
}

TEST(MsrPolicy, EferBitsTheCpuLacksRaiseGp) {
  // FFXSR and TCE are architectural bits, but qemu64 has neither: a write that
  // set them would make VMRUN fail, so the guest gets #GP like on that CPU.
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, x86::efer::kFfxsr, ctx(0, 0x11)));
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, x86::efer::kTce, ctx(0, 0x11)));
}

TEST(MsrPolicy, LmsleIsRefusedEvenWhenCpuidOffersIt) {
  // QEMU's VMRUN rejects EFER.LMSLE: accepting the write ended the run (issue 7).
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, x86::efer::kLmsle, ctx(0, 0x11)));
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, 0xD01 | x86::efer::kLmsle, ctx(0xD01, 0x80000011)));
}

TEST(MsrPolicy, LmeMayNotChangeWhilePagingIsOn) {
  const u64 pg = 0x80000011, nopg = 0x11;
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, x86::efer::kLme, ctx(0, pg)));
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, 0, ctx(x86::efer::kLme | x86::efer::kLma, pg)));
  EXPECT_TRUE(guest_msr_write_allowed(x86::efer::kMsr, x86::efer::kLme, ctx(0, nopg)));
  // Unchanged LME with paging on is fine (Linux sets NXE/SCE that way).
  u64 lm = x86::efer::kLme | x86::efer::kLma;
  EXPECT_TRUE(guest_msr_write_allowed(x86::efer::kMsr, lm | x86::efer::kNxe, ctx(lm, pg)));
}

TEST(MsrPolicy, SvmControlMsrsLookAbsent) {
  MsrRead vmcr = guest_msr_read(x86::vm_cr::kMsr, 0);
  EXPECT_TRUE(vmcr.ok);
  EXPECT_EQ(vmcr.value, x86::vm_cr::kSvmDis | x86::vm_cr::kLock);
  EXPECT_EQ(guest_msr_read(x86::kVmHsavePa, 0).value, 0u);
  EXPECT_FALSE(guest_msr_write_allowed(x86::vm_cr::kMsr, 0, ctx(0, 0)));
  EXPECT_FALSE(guest_msr_write_allowed(x86::kVmHsavePa, 0x1000, ctx(0, 0)));
  EXPECT_FALSE(guest_msr_read(x86::kSvmLockKey, 0).ok);
  EXPECT_FALSE(guest_msr_write_allowed(x86::kSvmLockKey, 0, ctx(0, 0)));
  EXPECT_FALSE(guest_msr_read(0x10, 0).ok);  // anything not intercepted on purpose
}

TEST(MmioConfigBase, OnlyTheCurrentValuePassesWhileDmaIsProtected) {
  constexpr u64 kQemuLike = 0xB0000021;  // base B000_0000h, 16 buses (BusRange 2), enabled
  EXPECT_TRUE(mmio_config_base_write_allowed(true, true, kQemuLike, kQemuLike));
  EXPECT_FALSE(mmio_config_base_write_allowed(true, true, kQemuLike, 0xC0000021));         // moves the window
  EXPECT_FALSE(mmio_config_base_write_allowed(true, true, kQemuLike, kQemuLike & ~1ull));  // disables it
  EXPECT_FALSE(mmio_config_base_write_allowed(true, false, 0, 0));                  // the VMM cannot tell: refused
  EXPECT_TRUE(mmio_config_base_write_allowed(false, true, kQemuLike, 0xC0000021));  // no IOMMU to hide
  EXPECT_EQ(kMmioConfigBaseMsr, 0xC0010058u);
}
