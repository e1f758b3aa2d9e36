#include "tv/linux_boot.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(LinuxBootError e) {
  switch (e) {
    case LinuxBootError::NotBzImage: return "not a bzImage (no HdrS signature)";
    case LinuxBootError::ProtocolTooOld: return "boot protocol older than 2.10";
    case LinuxBootError::NotLoadedHigh: return "kernel is not loaded high (zImage?)";
    case LinuxBootError::Not64Bit: return "not a 64-bit kernel";
    case LinuxBootError::Truncated: return "bzImage truncated";
    case LinuxBootError::BadHeaderLength: return "bad setup header length";
    case LinuxBootError::BadAlignment: return "bad kernel_alignment";
    case LinuxBootError::CmdlineTooLong: return "kernel command line too long";
    case LinuxBootError::CmdlineTooHigh: return "kernel command line above 4 GiB";
    case LinuxBootError::InitrdTooHigh: return "initrd above initrd_addr_max";
    case LinuxBootError::NoRoomForKernel: return "no usable memory for the kernel";
    case LinuxBootError::NoRoomForInitrd: return "no usable memory for the initrd";
    case LinuxBootError::LowMemoryNotUsable: return "boot_params/cmdline memory is not usable";
    case LinuxBootError::TooManyE820Entries: return "too many e820 entries for boot_params";
  }
  return "unknown linux boot error";
}

namespace {

constexpr u64 k4GiB = u64{1} << 32;
constexpr usize kSectorSize = 512;
constexpr u8 kDefaultSetupSects = 4;  // "if this field is 0, the real value is 4"

// Header end as claimed by the jump instruction at 0x200; validated against the image and the
// space struct boot_params has for it.
Result<usize, LinuxBootError> header_end(const u8* image, usize len) {
  if (len < kHdrHeader) return Err{LinuxBootError::Truncated};
  const usize end = kHdrHeader + image[kHdrJump + 1];
  if (end < kSetupHeaderMinEnd || end > kSetupHeaderMaxEnd) {
    return Err{LinuxBootError::BadHeaderLength};
  }
  if (end > len) return Err{LinuxBootError::Truncated};
  return end;
}

bool is_pow2(u64 v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// True if [base, base + size) lies inside a single Usable entry.
bool in_usable(const E820Map& map, u64 base, u64 size) {
  if (base + size < base) return false;
  for (const E820Entry& e : map) {
    if (e.type == E820Type::Usable && base >= e.addr && base + size <= e.end()) return true;
  }
  return false;
}

bool overlaps_any(Range r, const Range* ex, usize n) {
  for (usize i = 0; i < n; ++i) {
    if (ex[i].size != 0 && r.overlaps(ex[i])) return true;
  }
  return false;
}

// Lowest address >= floor, aligned to `align`, such that [addr, addr + size) lies in one Usable
// entry and ends at or below `limit`. Returns false if there is none.
bool lowest_fit(const E820Map& map, u64 floor, u64 align, u64 size, u64 limit, u64& out) {
  bool found = false;
  for (const E820Entry& e : map) {
    if (e.type != E820Type::Usable) continue;
    const u64 lo = e.addr > floor ? e.addr : floor;
    if (lo > limit) continue;  // also guards align_up against wrapping
    const u64 cand = align_up(lo, align);
    const u64 top = e.end() < limit ? e.end() : limit;
    if (cand < lo || cand > top || size > top - cand) continue;
    if (!found || cand < out) {
      out = cand;
      found = true;
    }
  }
  return found;
}

// Highest page-aligned address a >= floor with [a, a + size) in one Usable entry, ending at or
// below limit and not overlapping any exclusion. The best placement always ends right at a
// "barrier" (an entry's top or an exclusion's base) rounded down, so only those are tried.
bool highest_fit(const E820Map& map, u64 floor, u64 size, u64 limit, const Range* ex, usize n_ex, u64& out) {
  bool found = false;
  for (const E820Entry& e : map) {
    if (e.type != E820Type::Usable) continue;
    const u64 lo = e.addr > floor ? e.addr : floor;
    const u64 hi = e.end() < limit ? e.end() : limit;
    if (lo >= hi || size > hi - lo) continue;
    for (usize b = 0; b <= n_ex; ++b) {
      const u64 top = b == n_ex ? hi : ex[b].base;
      if (top > hi || top < lo || size > top - lo) continue;
      const u64 cand = align_down(top - size, kPageSize);
      if (cand < lo) continue;
      if (overlaps_any(Range{cand, size}, ex, n_ex)) continue;
      if (!found || cand > out) {
        out = cand;
        found = true;
      }
    }
  }
  return found;
}

}  // namespace

Result<BzImageInfo, LinuxBootError> parse_bzimage(const u8* image, usize len) {
  if (image == nullptr) len = 0;
  if (len < kHdrHeader + 4) return Err{LinuxBootError::Truncated};
  if (load_le32(image + kHdrHeader) != kHdrSMagic) return Err{LinuxBootError::NotBzImage};
  if (load_le16(image + kHdrBootFlag) != kBootFlagMagic) return Err{LinuxBootError::NotBzImage};
  if (len < kHdrVersion + 2) return Err{LinuxBootError::Truncated};

  BzImageInfo info{};
  info.protocol_version = load_le16(image + kHdrVersion);
  if (info.protocol_version < kMinBootProtocol) return Err{LinuxBootError::ProtocolTooOld};

  // Every field read below lies before kSetupHeaderMinEnd, which header_end() guarantees is
  // inside the image.
  auto end = header_end(image, len);
  if (!end.ok()) return Err{end.error()};
  info.header_end = static_cast<u16>(*end);

  info.loadflags = image[kHdrLoadflags];
  if ((info.loadflags & kLoadflagLoadedHigh) == 0) return Err{LinuxBootError::NotLoadedHigh};
  info.xloadflags = load_le16(image + kHdrXloadflags);
  if ((info.xloadflags & kXlfKernel64) == 0) return Err{LinuxBootError::Not64Bit};

  info.setup_sects = image[kHdrSetupSects];
  const usize sects = info.setup_sects != 0 ? info.setup_sects : kDefaultSetupSects;
  info.setup_size = static_cast<u32>((sects + 1) * kSectorSize);
  info.kernel_offset = info.setup_size;
  if (len <= info.setup_size) return Err{LinuxBootError::Truncated};
  const u64 kernel_size = len - info.setup_size;
  // boot.rst: a bzImage is at most 4 GiB; and syssize (reliable since 2.04) says how much
  // protected-mode code the kernel expects us to load.
  if (kernel_size > 0xFFFFFFFFull) return Err{LinuxBootError::Truncated};
  info.kernel_size = static_cast<u32>(kernel_size);
  const u64 syssize_bytes = static_cast<u64>(load_le32(image + kHdrSyssize)) * 16;
  if (syssize_bytes > kernel_size) return Err{LinuxBootError::Truncated};

  info.relocatable = image[kHdrRelocatableKernel] != 0;
  info.kernel_alignment = load_le32(image + kHdrKernelAlignment);
  if (info.relocatable && !is_pow2(info.kernel_alignment)) return Err{LinuxBootError::BadAlignment};
  info.pref_address = load_le64(image + kHdrPrefAddress);
  info.init_size = load_le32(image + kHdrInitSize);
  info.cmdline_size = load_le32(image + kHdrCmdlineSize);
  info.initrd_addr_max = load_le32(image + kHdrInitrdAddrMax);
  return info;
}

Status<LinuxBootError> build_boot_params(u8 (&zero_page)[kZeroPageSize], const u8* image, usize len,
                                         const BzImageInfo& info, const LinuxBootConfig& cfg, const E820Map& e820) {
  if (image == nullptr) len = 0;
  auto end = header_end(image, len);
  if (!end.ok()) return Err{end.error()};

  // boot.rst: cmdline_size is the maximum length *without* the terminating zero.
  if (cfg.cmdline_len > info.cmdline_size) return Err{LinuxBootError::CmdlineTooLong};
  const bool above_4g_ok = (info.xloadflags & kXlfCanBeLoadedAbove4G) != 0;
  if (cfg.cmdline_addr != 0) {
    const u64 cmd_end = cfg.cmdline_addr + cfg.cmdline_len + 1;
    if (cmd_end < cfg.cmdline_addr) return Err{LinuxBootError::CmdlineTooHigh};
    if (!above_4g_ok && cmd_end > k4GiB) return Err{LinuxBootError::CmdlineTooHigh};
  }
  if (cfg.initrd_size != 0) {
    const u64 initrd_end = cfg.initrd_addr + cfg.initrd_size;
    if (initrd_end < cfg.initrd_addr) return Err{LinuxBootError::InitrdTooHigh};
    if (!above_4g_ok && initrd_end > static_cast<u64>(info.initrd_addr_max) + 1) {
      return Err{LinuxBootError::InitrdTooHigh};
    }
  }
  if (e820.size() > kBpE820MaxEntries) return Err{LinuxBootError::TooManyE820Entries};

  mem_set(zero_page, 0, kZeroPageSize);
  mem_copy(zero_page + kSetupHeaderStart, image + kSetupHeaderStart, *end - kSetupHeaderStart);

  zero_page[kHdrTypeOfLoader] = kTypeOfLoaderUndefined;

  store_le32(zero_page + kHdrCmdLinePtr, static_cast<u32>(cfg.cmdline_addr));
  store_le32(zero_page + kBpExtCmdLinePtr, static_cast<u32>(cfg.cmdline_addr >> 32));

  const u64 initrd_addr = cfg.initrd_size != 0 ? cfg.initrd_addr : 0;
  store_le32(zero_page + kHdrRamdiskImage, static_cast<u32>(initrd_addr));
  store_le32(zero_page + kBpExtRamdiskImage, static_cast<u32>(initrd_addr >> 32));
  store_le32(zero_page + kHdrRamdiskSize, static_cast<u32>(cfg.initrd_size));
  store_le32(zero_page + kBpExtRamdiskSize, static_cast<u32>(cfg.initrd_size >> 32));

  store_le64(zero_page + kBpAcpiRsdpAddr, cfg.acpi_rsdp_addr);

  zero_page[kBpE820Entries] = static_cast<u8>(e820.size());
  for (usize i = 0; i < e820.size(); ++i) {
    u8* slot = zero_page + kBpE820Table + i * sizeof(E820Entry);
    store_le64(slot + __builtin_offsetof(E820Entry, addr), e820[i].addr);
    store_le64(slot + __builtin_offsetof(E820Entry, size), e820[i].size);
    store_le32(slot + __builtin_offsetof(E820Entry, type), e820[i].type);
  }
  return Ok{};
}

Result<LinuxLayout, LinuxBootError> plan_linux_layout(const BzImageInfo& info, u64 initrd_size,
                                                      const E820Map& guest_map, u64 initrd_now) {
  LinuxLayout l{};

  // Low fixed areas first: they do not depend on anything else.
  l.boot_params_addr = kLinuxBootParamsAddr;
  l.cmdline_addr = kLinuxCmdlineAddr;
  const u64 want_cmdline = static_cast<u64>(info.cmdline_size) + 1;
  l.cmdline_capacity = want_cmdline < kLinuxCmdlineMaxReserve ? want_cmdline : kLinuxCmdlineMaxReserve;
  if (!in_usable(guest_map, l.boot_params_addr, kZeroPageSize) ||
      !in_usable(guest_map, l.cmdline_addr, l.cmdline_capacity)) {
    return Err{LinuxBootError::LowMemoryNotUsable};
  }
  const Range low[2] = {Range{l.boot_params_addr, kZeroPageSize}, Range{l.cmdline_addr, l.cmdline_capacity}};

  // Kernel. The 32-bit entry runs without paging, so everything must stay below 4 GiB.
  const u64 runtime_size = align_up(info.init_size > info.kernel_size ? info.init_size : info.kernel_size, kPageSize);
  if (info.relocatable) {
    const u64 floor = info.pref_address > kLinuxDefaultLoadAddr ? info.pref_address : kLinuxDefaultLoadAddr;
    const u64 align = info.kernel_alignment > kPageSize ? info.kernel_alignment : kPageSize;
    u64 addr = 0;
    if (!lowest_fit(guest_map, floor, align, runtime_size, k4GiB, addr)) {
      return Err{LinuxBootError::NoRoomForKernel};
    }
    l.kernel_load_addr = addr;
    l.kernel_runtime_addr = addr;
    l.kernel_runtime_size = runtime_size;
  } else {
    l.kernel_load_addr = kLinuxDefaultLoadAddr;
    l.kernel_runtime_addr = info.pref_address != 0 ? info.pref_address : kLinuxDefaultLoadAddr;
    l.kernel_runtime_size = runtime_size;
    const u64 load_size = align_up(info.kernel_size, kPageSize);
    const Range need[2] = {Range{l.kernel_load_addr, load_size}, Range{l.kernel_runtime_addr, l.kernel_runtime_size}};
    for (const Range& r : need) {
      if (r.end() < r.base || r.end() > k4GiB || !in_usable(guest_map, r.base, r.size) || overlaps_any(r, low, 2)) {
        return Err{LinuxBootError::NoRoomForKernel};
      }
    }
  }

  // Initrd: where it is if that is allowed (the kernel reserves it before its first
  // allocation, and its decompressor avoids it), else as high as allowed, as boot.rst
  // recommends, so it stays clear of the kernel's decompression and early allocations.
  l.initrd_size = initrd_size;
  if (initrd_size != 0) {
    const u64 max_end = static_cast<u64>(info.initrd_addr_max) + 1;
    const u64 limit = max_end < k4GiB ? max_end : k4GiB;
    const Range ex[4] = {low[0], low[1], Range{l.kernel_load_addr, align_up(info.kernel_size, kPageSize)},
                         Range{l.kernel_runtime_addr, l.kernel_runtime_size}};
    const Range now{initrd_now, initrd_size};
    if (initrd_now != 0 && (initrd_now & (kPageSize - 1)) == 0 && initrd_now >= kLinuxInitrdMinAddr &&
        now.end() > now.base && now.end() <= limit && in_usable(guest_map, now.base, now.size) &&
        !overlaps_any(now, ex, 4)) {
      l.initrd_addr = initrd_now;
      return l;
    }
    u64 addr = 0;
    if (!highest_fit(guest_map, kLinuxInitrdMinAddr, initrd_size, limit, ex, 4, addr)) {
      return Err{LinuxBootError::NoRoomForInitrd};
    }
    l.initrd_addr = addr;
  }
  return l;
}

}  // namespace tv
