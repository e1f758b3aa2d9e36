#include "tv/linux_boot.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace tv {
namespace {

constexpr u64 k4G = u64{1} << 32;

void put16(std::vector<u8>& v, usize off, u16 x) {
  v[off] = static_cast<u8>(x);
  v[off + 1] = static_cast<u8>(x >> 8);
}
void put32(std::vector<u8>& v, usize off, u32 x) {
  for (int i = 0; i < 4; ++i) v[off + i] = static_cast<u8>(x >> (8 * i));
}
void put64(std::vector<u8>& v, usize off, u64 x) {
  put32(v, off, static_cast<u32>(x));
  put32(v, off + 4, static_cast<u32>(x >> 32));
}
u16 get16(const u8* p) {
  return static_cast<u16>(p[0] | (p[1] << 8));
}
u32 get32(const u8* p) {
  return static_cast<u32>(get16(p)) | (static_cast<u32>(get16(p + 2)) << 16);
}
u64 get64(const u8* p) {
  return get32(p) | (static_cast<u64>(get32(p + 4)) << 32);
}

constexpr u32 kKernelBytes = 0x10000;

// A minimal but well-formed protocol 2.15 bzImage header, shaped like a Debian x86_64 kernel.
std::vector<u8> make_bzimage(u8 setup_sects = 4) {
  const usize setup = (usize{setup_sects ? setup_sects : u8{4}} + 1) * 512;
  std::vector<u8> v(setup + kKernelBytes, 0);
  // Junk everywhere outside the header so we notice if it leaks into the zero page.
  for (usize i = 0; i < v.size(); ++i) v[i] = static_cast<u8>(0xA5 ^ i);
  for (usize i = 0x1F1; i < 0x26C; ++i) v[i] = 0;
  v[0x1F1] = setup_sects;
  put32(v, 0x1F4, kKernelBytes / 16);  // syssize
  put16(v, 0x1FE, 0xAA55);
  v[0x200] = 0xEB;
  v[0x201] = 0x6A;  // header ends at 0x26C, like 2.15 kernels
  std::memcpy(&v[0x202], "HdrS", 4);
  put16(v, 0x206, 0x020F);
  put16(v, 0x20E, 0x1234);  // kernel_version pointer: must be copied through
  v[0x211] = kLoadflagLoadedHigh;
  put32(v, 0x214, 0x100000);    // code32_start
  put32(v, 0x22C, 0x7FFFFFFF);  // initrd_addr_max
  put32(v, 0x230, 0x200000);    // kernel_alignment
  v[0x234] = 1;                 // relocatable_kernel
  v[0x235] = 21;                // min_alignment
  put16(v, 0x236, kXlfKernel64 | kXlfEfiHandover64);
  put32(v, 0x238, 2047);       // cmdline_size
  put64(v, 0x258, 0x1000000);  // pref_address
  put32(v, 0x260, 0x2000000);  // init_size
  return v;
}

Result<BzImageInfo, LinuxBootError> parse(const std::vector<u8>& v) {
  return parse_bzimage(v.data(), v.size());
}

TEST(LinuxBoot, ParsesSyntheticImage) {
  auto img = make_bzimage();
  auto r = parse(img);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->protocol_version, 0x020F);
  EXPECT_EQ(r->setup_sects, 4);
  EXPECT_EQ(r->setup_size, 5u * 512);
  EXPECT_EQ(r->kernel_offset, 5u * 512);
  EXPECT_EQ(r->kernel_size, kKernelBytes);
  EXPECT_EQ(r->loadflags, kLoadflagLoadedHigh);
  EXPECT_TRUE(r->relocatable);
  EXPECT_EQ(r->kernel_alignment, 0x200000u);
  EXPECT_EQ(r->pref_address, 0x1000000u);
  EXPECT_EQ(r->init_size, 0x2000000u);
  EXPECT_EQ(r->cmdline_size, 2047u);
  EXPECT_EQ(r->initrd_addr_max, 0x7FFFFFFFu);
  EXPECT_EQ(r->xloadflags, kXlfKernel64 | kXlfEfiHandover64);
  EXPECT_EQ(r->header_end, 0x26C);
}

TEST(LinuxBoot, SetupSectsZeroMeansFour) {
  auto img = make_bzimage(0);
  auto r = parse(img);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->setup_sects, 0);
  EXPECT_EQ(r->setup_size, 5u * 512);
  EXPECT_EQ(r->kernel_size, kKernelBytes);

  auto big = make_bzimage(0x27);
  auto r2 = parse(big);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->setup_size, 0x28u * 512);
}

TEST(LinuxBoot, ParseErrors) {
  EXPECT_EQ(parse_bzimage(nullptr, 0).error(), LinuxBootError::Truncated);
  {
    auto img = make_bzimage();
    img.resize(0x204);
    EXPECT_EQ(parse(img).error(), LinuxBootError::Truncated);
  }
  {
    auto img = make_bzimage();
    img[0x202] = 'X';
    EXPECT_EQ(parse(img).error(), LinuxBootError::NotBzImage);
  }
  {
    auto img = make_bzimage();
    put16(img, 0x1FE, 0);
    EXPECT_EQ(parse(img).error(), LinuxBootError::NotBzImage);
  }
  {
    auto img = make_bzimage();
    put16(img, 0x206, 0x0209);
    EXPECT_EQ(parse(img).error(), LinuxBootError::ProtocolTooOld);
  }
  {
    auto img = make_bzimage();
    img[0x201] = 0x61;  // ends at 0x263: init_size not covered
    EXPECT_EQ(parse(img).error(), LinuxBootError::BadHeaderLength);
    img[0x201] = 0x62;  // ends at 0x264: just enough
    EXPECT_TRUE(parse(img).ok());
    img[0x201] = 0x8F;  // ends at 0x291: would overwrite edd_mbr_sig_buffer
    EXPECT_EQ(parse(img).error(), LinuxBootError::BadHeaderLength);
  }
  {
    auto img = make_bzimage();
    img.resize(0x260);  // header claims to end at 0x26C
    EXPECT_EQ(parse(img).error(), LinuxBootError::Truncated);
  }
  {
    auto img = make_bzimage();
    img[0x211] = 0;
    EXPECT_EQ(parse(img).error(), LinuxBootError::NotLoadedHigh);
  }
  {
    auto img = make_bzimage();
    put16(img, 0x236, kXlfCanBeLoadedAbove4G);
    EXPECT_EQ(parse(img).error(), LinuxBootError::Not64Bit);
  }
  {
    auto img = make_bzimage();
    img.resize(5 * 512);  // no protected-mode kernel at all
    EXPECT_EQ(parse(img).error(), LinuxBootError::Truncated);
  }
  {
    auto img = make_bzimage();
    img.resize(img.size() - 16);  // one paragraph short of syssize
    EXPECT_EQ(parse(img).error(), LinuxBootError::Truncated);
  }
  {
    auto img = make_bzimage(0xFF);  // 128 KiB of setup code is legal if the file has it
    EXPECT_TRUE(parse(img).ok());
    img.resize(0xFF * 512);
    EXPECT_EQ(parse(img).error(), LinuxBootError::Truncated);
  }
  {
    auto img = make_bzimage();
    put32(img, 0x230, 0x300000);
    EXPECT_EQ(parse(img).error(), LinuxBootError::BadAlignment);
    put32(img, 0x230, 0);
    EXPECT_EQ(parse(img).error(), LinuxBootError::BadAlignment);
    img[0x234] = 0;  // not relocatable: alignment is irrelevant
    EXPECT_TRUE(parse(img).ok());
  }
}

TEST(LinuxBoot, ParseNeverReadsPastEnd) {
  // Every prefix of a valid image must be rejected or accepted without touching bytes past it;
  // copying into an exactly-sized heap buffer lets ASan/valgrind catch any overread.
  auto img = make_bzimage();
  for (usize n = 0; n < 0x300; ++n) {
    std::vector<u8> prefix(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = parse_bzimage(prefix.data(), prefix.size());
    EXPECT_FALSE(r.ok()) << n;
  }
}

E820Map qemu_map(u64 ram_top = 0x40000000) {
  E820Map m;
  EXPECT_TRUE(m.add(0x0, 0x9fc00, E820Type::Usable).ok());
  EXPECT_TRUE(m.add(0x9fc00, 0x400, E820Type::Reserved).ok());
  EXPECT_TRUE(m.add(0xf0000, 0x10000, E820Type::Reserved).ok());
  EXPECT_TRUE(m.add(0x100000, ram_top - 0x100000, E820Type::Usable).ok());
  EXPECT_TRUE(m.add(0xfffc0000, 0x40000, E820Type::Reserved).ok());
  return m;
}

struct ZeroPage {
  u8 bytes[kZeroPageSize];
};

// Issue 14: the RSDP the VMM uses reaches the kernel in boot_params.acpi_rsdp_addr
// (zero-page.rst: offset 0x070, 8 bytes); 0 leaves the kernel to search.
TEST(LinuxBoot, AcpiRsdpAddrIsHandedOver) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(kBpAcpiRsdpAddr, 0x070u);
  EXPECT_EQ(kBootProtocolAcpiRsdp, 0x020Eu);
  ZeroPage zp;
  std::memset(zp.bytes, 0xCC, sizeof zp.bytes);
  const LinuxBootConfig cfg{0x20000, 10, 0, 0, 0x1'2345'6000ull};
  ASSERT_TRUE(build_boot_params(zp.bytes, img.data(), img.size(), *info, cfg, qemu_map()).ok());
  EXPECT_EQ(get32(zp.bytes + 0x070), 0x23456000u);
  EXPECT_EQ(get32(zp.bytes + 0x074), 0x1u);
  EXPECT_EQ(zp.bytes[0x06F], 0);
  EXPECT_EQ(zp.bytes[0x078], 0);
  const LinuxBootConfig none{0x20000, 10, 0, 0};
  ASSERT_TRUE(build_boot_params(zp.bytes, img.data(), img.size(), *info, none, qemu_map()).ok());
  EXPECT_EQ(get32(zp.bytes + 0x070), 0u);
  EXPECT_EQ(get32(zp.bytes + 0x074), 0u);
}

TEST(LinuxBoot, BootParamsByteExact) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  const E820Map map = qemu_map();
  const LinuxBootConfig cfg{0x20000, 10, 0x3f000000, 0x123456};
  ZeroPage zp;
  std::memset(zp.bytes, 0xCC, sizeof zp.bytes);  // prove everything else is cleared
  ASSERT_TRUE(build_boot_params(zp.bytes, img.data(), img.size(), *info, cfg, map).ok());
  const u8* z = zp.bytes;

  // Named constants agree with the documented offsets.
  EXPECT_EQ(kHdrCmdLinePtr, 0x228u);
  EXPECT_EQ(kHdrRamdiskImage, 0x218u);
  EXPECT_EQ(kHdrRamdiskSize, 0x21Cu);
  EXPECT_EQ(kHdrTypeOfLoader, 0x210u);
  EXPECT_EQ(kBpE820Entries, 0x1E8u);
  EXPECT_EQ(kBpE820Table, 0x2D0u);

  EXPECT_EQ(z[0x210], 0xFF);
  EXPECT_EQ(get32(z + 0x228), 0x20000u);
  EXPECT_EQ(get32(z + 0x0C8), 0u);
  EXPECT_EQ(get32(z + 0x218), 0x3f000000u);
  EXPECT_EQ(get32(z + 0x0C0), 0u);
  EXPECT_EQ(get32(z + 0x21C), 0x123456u);
  EXPECT_EQ(get32(z + 0x0C4), 0u);

  // Setup header copied verbatim apart from the fields we own.
  for (usize i = 0x1F1; i < 0x26C; ++i) {
    if (i == 0x210 || (i >= 0x218 && i < 0x220) || (i >= 0x228 && i < 0x22C)) continue;
    EXPECT_EQ(z[i], img[i]) << std::hex << i;
  }
  EXPECT_EQ(z[0x211], kLoadflagLoadedHigh);  // loadflags untouched (no CAN_USE_HEAP)
  EXPECT_EQ(get16(z + 0x20E), 0x1234);
  EXPECT_EQ(std::memcmp(z + 0x202, "HdrS", 4), 0);

  // e820.
  ASSERT_EQ(z[0x1E8], 5);
  for (usize i = 0; i < 5; ++i) {
    const u8* e = z + 0x2D0 + 20 * i;
    EXPECT_EQ(get64(e), u64{map[i].addr});  // u64{}: no refs to packed fields
    EXPECT_EQ(get64(e + 8), u64{map[i].size});
    EXPECT_EQ(get32(e + 16), u32{map[i].type});
  }
  EXPECT_EQ(get64(z + 0x2D0 + 20 * 3), 0x100000u);
  EXPECT_EQ(get32(z + 0x2D0 + 20 * 4 + 16), 2u);

  // Everything else is zero.
  for (usize i = 0; i < kZeroPageSize; ++i) {
    const bool in_header = i >= 0x1F1 && i < 0x26C;
    const bool in_e820 = i >= 0x2D0 && i < 0x2D0 + 5 * 20;
    const bool special = i == 0x1E8;
    if (!in_header && !in_e820 && !special) {
      ASSERT_EQ(z[i], 0) << std::hex << "offset 0x" << i;
    }
  }
}

TEST(LinuxBoot, BootParamsHighAddressesUseExtFields) {
  auto img = make_bzimage();
  put16(img, 0x236, kXlfKernel64 | kXlfCanBeLoadedAbove4G);
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  const LinuxBootConfig cfg{0x123456000, 5, 0x2'4000'0000, 0x1'0000'1000};
  ZeroPage zp;
  ASSERT_TRUE(build_boot_params(zp.bytes, img.data(), img.size(), *info, cfg, E820Map{}).ok());
  EXPECT_EQ(get32(zp.bytes + 0x228), 0x23456000u);
  EXPECT_EQ(get32(zp.bytes + 0x0C8), 0x1u);
  EXPECT_EQ(get32(zp.bytes + 0x218), 0x40000000u);
  EXPECT_EQ(get32(zp.bytes + 0x0C0), 0x2u);
  EXPECT_EQ(get32(zp.bytes + 0x21C), 0x1000u);
  EXPECT_EQ(get32(zp.bytes + 0x0C4), 0x1u);
  EXPECT_EQ(zp.bytes[0x1E8], 0);
}

TEST(LinuxBoot, BootParamsNoInitrd) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  // An address with size 0 is ignored: the kernel must see "no initrd" (image 0, size 0).
  const LinuxBootConfig cfg{0x20000, 0, 0x5000000, 0};
  ZeroPage zp;
  ASSERT_TRUE(build_boot_params(zp.bytes, img.data(), img.size(), *info, cfg, qemu_map()).ok());
  EXPECT_EQ(get32(zp.bytes + 0x218), 0u);
  EXPECT_EQ(get32(zp.bytes + 0x21C), 0u);
}

TEST(LinuxBoot, BootParamsFullE820Table) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  E820Map m;
  for (u64 i = 0; i < E820Map::kCapacity; ++i) ASSERT_TRUE(m.add(i * 0x2000, 0x1000, 1).ok());
  ZeroPage zp;
  ASSERT_TRUE(build_boot_params(zp.bytes, img.data(), img.size(), *info, {0, 0, 0, 0}, m).ok());
  EXPECT_EQ(zp.bytes[0x1E8], 128);
  const u8* last = zp.bytes + 0x2D0 + 127 * 20;
  EXPECT_EQ(get64(last), 127u * 0x2000);
  EXPECT_EQ(get32(last + 16), 1u);
  EXPECT_EQ(zp.bytes[0xCD0], 0);  // eddbuf untouched
}

TEST(LinuxBoot, BootParamsErrors) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  const E820Map map = qemu_map();
  ZeroPage zp;
  auto build = [&](LinuxBootConfig cfg) {
    return build_boot_params(zp.bytes, img.data(), img.size(), *info, cfg, map);
  };
  // cmdline_size (2047) excludes the NUL: 2047 characters fit, 2048 do not.
  EXPECT_TRUE(build({0x20000, 2047, 0, 0}).ok());
  EXPECT_EQ(build({0x20000, 2048, 0, 0}).error(), LinuxBootError::CmdlineTooLong);
  // Command line (with its NUL) must end at or below 4 GiB without XLF_CAN_BE_LOADED_ABOVE_4G.
  EXPECT_TRUE(build({k4G - 11, 10, 0, 0}).ok());
  EXPECT_EQ(build({k4G - 10, 10, 0, 0}).error(), LinuxBootError::CmdlineTooHigh);
  EXPECT_EQ(build({~u64{0} - 3, 10, 0, 0}).error(), LinuxBootError::CmdlineTooHigh);
  // initrd must end at or below initrd_addr_max + 1 = 2 GiB.
  EXPECT_TRUE(build({0x20000, 0, 0x7ff00000, 0x100000}).ok());
  EXPECT_EQ(build({0x20000, 0, 0x7ff00000, 0x100001}).error(), LinuxBootError::InitrdTooHigh);
  EXPECT_EQ(build({0x20000, 0, ~u64{0} - 0xfff, 0x2000}).error(), LinuxBootError::InitrdTooHigh);

  // With XLF_CAN_BE_LOADED_ABOVE_4G both limits go away (but wrapping never is fine).
  BzImageInfo above = *info;
  above.xloadflags |= kXlfCanBeLoadedAbove4G;
  EXPECT_TRUE(build_boot_params(zp.bytes, img.data(), img.size(), above, {k4G, 10, 0x1'0000'0000, 0x100000}, map).ok());
  EXPECT_EQ(
      build_boot_params(zp.bytes, img.data(), img.size(), above, {0x20000, 0, ~u64{0} - 0xfff, 0x2000}, map).error(),
      LinuxBootError::InitrdTooHigh);

  // The image passed in is re-validated before copying from it.
  EXPECT_EQ(build_boot_params(zp.bytes, img.data(), 0x250, *info, {0, 0, 0, 0}, map).error(),
            LinuxBootError::Truncated);
  auto bad = img;
  bad[0x201] = 0xF0;
  EXPECT_EQ(build_boot_params(zp.bytes, bad.data(), bad.size(), *info, {0, 0, 0, 0}, map).error(),
            LinuxBootError::BadHeaderLength);
}

TEST(LinuxBoot, LayoutRelocatableAtPrefAddress) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  auto l = plan_linux_layout(*info, 0x800123, qemu_map());
  ASSERT_TRUE(l.ok()) << to_string(l.error());
  EXPECT_EQ(l->kernel_load_addr, 0x1000000u);
  EXPECT_EQ(l->kernel_runtime_addr, 0x1000000u);
  EXPECT_EQ(l->kernel_runtime_size, 0x2000000u);
  EXPECT_EQ(l->boot_params_addr, 0x10000u);
  EXPECT_EQ(l->cmdline_addr, 0x20000u);
  EXPECT_EQ(l->cmdline_capacity, 2048u);
  // Highest page-aligned spot below the top of RAM (1 GiB < initrd_addr_max + 1).
  EXPECT_EQ(l->initrd_addr, align_down(0x40000000 - 0x800123, kPageSize));
  EXPECT_EQ(l->initrd_size, 0x800123u);
}

TEST(LinuxBoot, LayoutRelocatableSkipsHiddenVmm) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  // The VMM occupies [16 MiB, 20 MiB) and the top 4 MiB of RAM.
  const MemRegion host[] = {{0x0, 0x9fc00, 1}, {0x100000, 0x40000000 - 0x100000, 1}};
  const Range hidden[] = {{0x1000000, 0x400000}, {0x3fc00000, 0x400000}};
  auto map = build_guest_e820(host, 2, hidden, 2);
  ASSERT_TRUE(map.ok());
  auto l = plan_linux_layout(*info, 0x100000, *map);
  ASSERT_TRUE(l.ok()) << to_string(l.error());
  EXPECT_EQ(l->kernel_load_addr, 0x1400000u);  // next 2 MiB-aligned free address
  EXPECT_EQ(l->initrd_addr, 0x3fc00000u - 0x100000);
}

TEST(LinuxBoot, LayoutRelocatableNeverBelowPrefAddress) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  // RAM only up to 32 MiB: the kernel needs [16 MiB, 48 MiB) and would not run lower.
  EXPECT_EQ(plan_linux_layout(*info, 0, qemu_map(0x2000000)).error(), LinuxBootError::NoRoomForKernel);
  // Exactly enough.
  auto l = plan_linux_layout(*info, 0, qemu_map(0x3000000));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->kernel_load_addr, 0x1000000u);
  EXPECT_EQ(l->initrd_addr, 0u);
  EXPECT_EQ(l->initrd_size, 0u);
}

TEST(LinuxBoot, LayoutKernelMustBeBelow4G) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  E820Map m;
  ASSERT_TRUE(m.add(0x0, 0x9fc00, 1).ok());
  ASSERT_TRUE(m.add(0x100000, 0x100000, 1).ok());
  ASSERT_TRUE(m.add(0x100000000, 0x100000000, 1).ok());
  EXPECT_EQ(plan_linux_layout(*info, 0, m).error(), LinuxBootError::NoRoomForKernel);
}

TEST(LinuxBoot, LayoutNonRelocatable) {
  auto img = make_bzimage();
  img[0x234] = 0;
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  auto l = plan_linux_layout(*info, 0x1000, qemu_map());
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->kernel_load_addr, 0x100000u);
  EXPECT_EQ(l->kernel_runtime_addr, 0x1000000u);

  // Something sits at 1 MiB: a non-relocatable kernel cannot move.
  const MemRegion host[] = {{0x0, 0x9fc00, 1}, {0x100000, 0x40000000 - 0x100000, 1}};
  const Range hidden[] = {{0x100000, 0x1000}};
  auto map = build_guest_e820(host, 2, hidden, 1);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(plan_linux_layout(*info, 0, *map).error(), LinuxBootError::NoRoomForKernel);
  // ... nor can it run if its runtime area is taken.
  const Range hidden2[] = {{0x2000000, 0x1000}};
  auto map2 = build_guest_e820(host, 2, hidden2, 1);
  ASSERT_TRUE(map2.ok());
  EXPECT_EQ(plan_linux_layout(*info, 0, *map2).error(), LinuxBootError::NoRoomForKernel);
}

TEST(LinuxBoot, LayoutInitrdAvoidsKernelAndRespectsLimit) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  const E820Map m = qemu_map(0x4000000);  // 64 MiB; kernel takes [16 MiB, 48 MiB)
  auto l = plan_linux_layout(*info, 0x1000000, m);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->initrd_addr, 0x3000000u);  // exactly fills [48 MiB, 64 MiB)

  // 17 MiB fits neither above the kernel nor in [1 MiB, 16 MiB).
  EXPECT_EQ(plan_linux_layout(*info, 0x1100000, m).error(), LinuxBootError::NoRoomForInitrd);

  // 8 MiB with initrd_addr_max just below 32 MiB: must go under the kernel.
  BzImageInfo low = *info;
  low.initrd_addr_max = 0x1FFFFFF;
  auto l2 = plan_linux_layout(low, 0x800000, m);
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ(l2->initrd_addr, 0x800000u);

  // Never below 1 MiB even though low memory is usable.
  low.initrd_addr_max = 0xFFFFF;
  EXPECT_EQ(plan_linux_layout(low, 0x1000, m).error(), LinuxBootError::NoRoomForInitrd);
}

TEST(LinuxBoot, LayoutInitrdCappedAt4G) {
  auto img = make_bzimage();
  put32(img, 0x22C, 0xFFFFFFFF);
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  E820Map m = qemu_map(0x80000000);
  ASSERT_TRUE(m.add(0x100000000, 0x100000000, 1).ok());
  m.normalize();
  auto l = plan_linux_layout(*info, 0x200000, m);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->initrd_addr, 0x80000000u - 0x200000);
}

TEST(LinuxBoot, LayoutLowMemoryNotUsable) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  E820Map m;
  ASSERT_TRUE(m.add(0x100000, 0x40000000, 1).ok());
  EXPECT_EQ(plan_linux_layout(*info, 0, m).error(), LinuxBootError::LowMemoryNotUsable);

  // boot_params page usable but the command line area is not.
  E820Map m2;
  ASSERT_TRUE(m2.add(0x0, 0x20000, 1).ok());
  ASSERT_TRUE(m2.add(0x20000, 0x1000, 2).ok());
  ASSERT_TRUE(m2.add(0x100000, 0x40000000, 1).ok());
  EXPECT_EQ(plan_linux_layout(*info, 0, m2).error(), LinuxBootError::LowMemoryNotUsable);

  // An absurd cmdline_size only reserves 64 KiB.
  BzImageInfo huge = *info;
  huge.cmdline_size = 0xFFFFFFFF;
  auto l = plan_linux_layout(huge, 0, qemu_map());
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->cmdline_capacity, 0x10000u);
}

TEST(LinuxBoot, ErrorStringsDistinct) {
  for (int a = 1; a <= static_cast<int>(LinuxBootError::TooManyE820Entries); ++a) {
    for (int b = a + 1; b <= static_cast<int>(LinuxBootError::TooManyE820Entries); ++b) {
      EXPECT_STRNE(to_string(static_cast<LinuxBootError>(a)), to_string(static_cast<LinuxBootError>(b)));
    }
  }
}

// The real Debian kernel on the build machine, if there is one we can read.
TEST(LinuxBoot, RealKernel) {
  std::vector<u8> image;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/boot", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("vmlinuz-", 0) != 0) continue;
    std::ifstream f(entry.path(), std::ios::binary);
    if (!f) continue;
    image.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (!image.empty()) break;
  }
  if (image.empty()) GTEST_SKIP() << "no readable /boot/vmlinuz-*";

  auto info = parse_bzimage(image.data(), image.size());
  ASSERT_TRUE(info.ok()) << to_string(info.error());
  EXPECT_GE(info->protocol_version, 0x020F);
  EXPECT_NE(info->xloadflags & kXlfKernel64, 0);
  EXPECT_TRUE(info->relocatable);
  EXPECT_GT(info->init_size, info->kernel_size);
  EXPECT_EQ(u64{info->kernel_offset} + info->kernel_size, image.size());

  auto l = plan_linux_layout(*info, 32 * MiB, qemu_map(2 * GiB));
  ASSERT_TRUE(l.ok()) << to_string(l.error());
  EXPECT_EQ(l->kernel_load_addr, info->pref_address);
  ZeroPage zp;
  const char cmdline[] = "console=ttyS0";
  ASSERT_TRUE(build_boot_params(zp.bytes, image.data(), image.size(), *info,
                                {l->cmdline_addr, sizeof cmdline - 1, l->initrd_addr, l->initrd_size},
                                qemu_map(2 * GiB))
                  .ok());
  EXPECT_EQ(std::memcmp(zp.bytes + 0x202, "HdrS", 4), 0);
  EXPECT_EQ(zp.bytes[0x210], 0xFF);
}

TEST(LinuxBoot, InitrdStaysWhereTheLoaderPutItWhenThatIsAllowed) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  // QEMU puts the initrd module right after the kernel module, below the kernel's 16 MiB.
  auto l = plan_linux_layout(*info, 0x360000, qemu_map(), 0xa8b000);
  ASSERT_TRUE(l.ok()) << to_string(l.error());
  EXPECT_EQ(l->initrd_addr, 0xa8b000u);
}

TEST(LinuxBoot, InitrdMovesWhenItsPlaceIsNotAllowed) {
  auto img = make_bzimage();
  auto info = parse(img);
  ASSERT_TRUE(info.ok());
  const u64 top = align_down(0x40000000 - 0x360000, kPageSize);
  // Inside the kernel's runtime range [16 MiB, 48 MiB).
  EXPECT_EQ(plan_linux_layout(*info, 0x360000, qemu_map(), 0x1800000)->initrd_addr, top);
  // Not page-aligned.
  EXPECT_EQ(plan_linux_layout(*info, 0x360000, qemu_map(), 0xa8b010)->initrd_addr, top);
  // Below 1 MiB, and over boot_params.
  EXPECT_EQ(plan_linux_layout(*info, 0x1000, qemu_map(), 0x10000)->initrd_addr,
            align_down(0x40000000 - 0x1000, kPageSize));
  // Beyond RAM.
  EXPECT_EQ(plan_linux_layout(*info, 0x360000, qemu_map(), 0x3ffff000)->initrd_addr, top);
}

}  // namespace
}  // namespace tv
