#include "tv/multiboot.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(MultibootError e) {
  switch (e) {
    case MultibootError::NotFound: return "no multiboot header in the first 8192 bytes";
    case MultibootError::BadChecksum: return "multiboot header checksum mismatch";
    case MultibootError::Truncated: return "multiboot image truncated";
    case MultibootError::UnsupportedFlags: return "multiboot header requires unsupported features";
    case MultibootError::BadAddresses: return "inconsistent multiboot a.out kludge addresses";
  }
  return "unknown multiboot error";
}

namespace {

constexpr usize kOffMagic = __builtin_offsetof(MultibootHeader, magic);
constexpr usize kOffFlags = __builtin_offsetof(MultibootHeader, flags);
constexpr usize kOffChecksum = __builtin_offsetof(MultibootHeader, checksum);
constexpr usize kOffHeaderAddr = __builtin_offsetof(MultibootHeader, header_addr);
constexpr usize kOffLoadAddr = __builtin_offsetof(MultibootHeader, load_addr);
constexpr usize kOffLoadEndAddr = __builtin_offsetof(MultibootHeader, load_end_addr);
constexpr usize kOffBssEndAddr = __builtin_offsetof(MultibootHeader, bss_end_addr);
constexpr usize kOffEntryAddr = __builtin_offsetof(MultibootHeader, entry_addr);
constexpr usize kMinHeaderSize = 12;  // magic, flags, checksum

Status<MultibootError> resolve_addresses(const u8* image, usize len, MultibootHeaderInfo& info) {
  const u8* h = image + info.header_offset;
  info.header_addr = load_le32(h + kOffHeaderAddr);
  info.load_addr = load_le32(h + kOffLoadAddr);
  info.load_end_addr = load_le32(h + kOffLoadEndAddr);
  info.bss_end_addr = load_le32(h + kOffBssEndAddr);
  info.entry_addr = load_le32(h + kOffEntryAddr);

  // §3.1.3: the file offset to load from is header_offset - (header_addr - load_addr), so
  // load_addr <= header_addr and the difference cannot reach before the start of the file.
  if (info.load_addr > info.header_addr) return Err{MultibootError::BadAddresses};
  const u32 header_delta = info.header_addr - info.load_addr;
  if (header_delta > info.header_offset) return Err{MultibootError::BadAddresses};
  info.load_file_offset = info.header_offset - header_delta;

  u64 load_size = 0;
  if (info.load_end_addr == 0) {
    load_size = len - info.load_file_offset;  // "text and data occupy the whole file"
  } else {
    if (info.load_end_addr <= info.load_addr) return Err{MultibootError::BadAddresses};
    load_size = info.load_end_addr - info.load_addr;
    if (load_size > len - info.load_file_offset) return Err{MultibootError::Truncated};
  }
  // The loaded segment must contain the header itself and stay within 32-bit space.
  if (load_size < header_delta + sizeof(MultibootHeader)) return Err{MultibootError::BadAddresses};
  if (static_cast<u64>(info.load_addr) + load_size > (u64{1} << 32)) {
    return Err{MultibootError::BadAddresses};
  }
  info.load_size = static_cast<u32>(load_size);
  const u64 load_end = static_cast<u64>(info.load_addr) + load_size;

  if (info.bss_end_addr != 0) {
    if (info.bss_end_addr < load_end) return Err{MultibootError::BadAddresses};
    info.bss_end = info.bss_end_addr;
  } else {
    // load_end may be exactly 2^32 (checked above), which does not fit: that leaves no room
    // for an entry point after it anyway, but keep bss_end representable.
    if (load_end > 0xFFFFFFFFull) return Err{MultibootError::BadAddresses};
    info.bss_end = static_cast<u32>(load_end);
  }
  // Jumping into bss or outside the image can only be a broken header.
  if (info.entry_addr < info.load_addr || info.entry_addr >= load_end) {
    return Err{MultibootError::BadAddresses};
  }
  return Ok{};
}

}  // namespace

Result<MultibootHeaderInfo, MultibootError> find_multiboot_header(const u8* image, usize len) {
  if (image == nullptr) len = 0;
  const usize limit = len < kMultibootSearchLimit ? len : kMultibootSearchLimit;
  bool saw_bad_checksum = false;

  for (usize off = 0; off + kMinHeaderSize <= limit; off += kMultibootHeaderAlign) {
    const u8* h = image + off;
    if (load_le32(h + kOffMagic) != kMultibootHeaderMagic) continue;
    const u32 flags = load_le32(h + kOffFlags);
    const u32 checksum = load_le32(h + kOffChecksum);
    if (static_cast<u32>(kMultibootHeaderMagic + flags + checksum) != 0) {
      // Could be a stray magic value in code or data; keep looking like GRUB does.
      saw_bad_checksum = true;
      continue;
    }

    MultibootHeaderInfo info;
    info.flags = flags;
    info.header_offset = off;
    info.page_align_modules = (flags & kMbHeaderPageAlignModules) != 0;
    info.wants_memory_info = (flags & kMbHeaderWantMemoryInfo) != 0;
    info.wants_video_mode = (flags & kMbHeaderWantVideoMode) != 0;
    if ((flags & kMbHeaderRequiredMask & ~kMbHeaderSupportedRequired) != 0) {
      return Err{MultibootError::UnsupportedFlags};
    }
    info.has_addresses = (flags & kMbHeaderAoutKludge) != 0;
    if (info.has_addresses) {
      if (off + sizeof(MultibootHeader) > limit) return Err{MultibootError::Truncated};
      auto s = resolve_addresses(image, len, info);
      if (!s.ok()) return Err{s.error()};
    }
    return info;
  }
  return Err{saw_bad_checksum ? MultibootError::BadChecksum : MultibootError::NotFound};
}

usize parse_multiboot_mmap(const u8* buf, usize len, MemRegion* out, usize cap) {
  if (buf == nullptr || out == nullptr) return 0;
  usize count = 0;
  usize off = 0;
  while (count < cap && len - off >= 4) {
    const u32 size = load_le32(buf + off);
    // Both checks are written as "remaining >= needed" so nothing can overflow.
    if (size < kMultibootMmapMinEntrySize) break;
    if (len - off - 4 < size) break;
    const u8* e = buf + off + 4;
    const u64 addr = load_le64(e + 0);
    u64 rlen = load_le64(e + 8);
    const u32 type = load_le32(e + 16);
    off += 4 + static_cast<usize>(size);
    if (rlen == 0) continue;
    if (addr + rlen < addr) rlen = 0 - addr;  // clip at 2^64 (exclusive), never wrap
    out[count++] = MemRegion{addr, rlen, type};
  }
  return count;
}

}  // namespace tv
