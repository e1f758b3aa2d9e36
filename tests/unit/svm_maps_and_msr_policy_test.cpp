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

TEST(MsrPolicy, EferHidesSvmeAndRejectsSettingIt) {
  EXPECT_EQ(guest_msr_read(x86::efer::kMsr, 0x1D01).value, 0xD01u);
  EXPECT_TRUE(guest_msr_write_allowed(x86::efer::kMsr, 0x0D01));   // SCE LME LMA NXE
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, 0x1D01));  // SVME
  EXPECT_FALSE(guest_msr_write_allowed(x86::efer::kMsr, 1ull << 20));  // reserved
}

TEST(MsrPolicy, SvmControlMsrsLookAbsent) {
  MsrRead vmcr = guest_msr_read(x86::vm_cr::kMsr, 0);
  EXPECT_TRUE(vmcr.ok);
  EXPECT_EQ(vmcr.value, x86::vm_cr::kSvmDis | x86::vm_cr::kLock);
  EXPECT_EQ(guest_msr_read(x86::kVmHsavePa, 0).value, 0u);
  EXPECT_FALSE(guest_msr_write_allowed(x86::vm_cr::kMsr, 0));
  EXPECT_FALSE(guest_msr_write_allowed(x86::kVmHsavePa, 0x1000));
  EXPECT_FALSE(guest_msr_read(x86::kSvmLockKey, 0).ok);
  EXPECT_FALSE(guest_msr_write_allowed(x86::kSvmLockKey, 0));
  EXPECT_FALSE(guest_msr_read(0x10, 0).ok);  // anything not intercepted on purpose
}
