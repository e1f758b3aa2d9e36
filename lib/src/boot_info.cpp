#include "tv/boot_info.hpp"

#include "tv/efi_mmap.hpp"
#include "tv/str.hpp"

namespace tv {

const char* to_string(BootInfoError e) {
  switch (e) {
    case BootInfoError::NoMemoryMap: return "the boot loader gave no memory map";
    case BootInfoError::BadEfiMmap: return "the EFI memory map is malformed or too long";
    case BootInfoError::ModulesOverlap: return "two boot modules overlap";
  }
  return "unknown boot information error";
}

namespace {

void copy_string(char* dst, usize cap, const char* src) {
  if (src == nullptr) return;
  const usize n = str_nlen(src, cap - 1);
  mem_copy(dst, src, n);
  dst[n] = 0;
}

}  // namespace

Result<usize, BootInfoError> multiboot2_memory_map(const Multiboot2Info& mb, MemRegion* out, usize cap) {
  if (mb.has_mmap) {
    const usize n = mb.region_count < cap ? mb.region_count : cap;
    for (usize i = 0; i < n; ++i) out[i] = mb.regions[i];
    return n;
  }
  if (mb.efi_mmap == nullptr) return Err{BootInfoError::NoMemoryMap};
  auto n = efi_mmap_to_regions(mb.efi_mmap, mb.efi_mmap_bytes, mb.efi_mmap_descriptor_size, out, cap);
  if (!n) return Err{BootInfoError::BadEfiMmap};
  return *n;
}

Status<BootInfoError> boot_info_from_multiboot2(const Multiboot2Info& mb, BootInfo& out) {
  out.protocol = 2;
  copy_string(out.cmdline, sizeof out.cmdline, mb.cmdline);
  auto n = multiboot2_memory_map(mb, out.regions, BootInfo::kMaxRegions);
  if (!n) return Err{n.error()};
  out.region_count = *n;
  out.module_count = mb.module_count;  // parse_multiboot2 refuses more than kMaxModules
  for (usize i = 0; i < mb.module_count; ++i) {
    out.modules[i].base = mb.modules[i].start;
    out.modules[i].size = u64(mb.modules[i].end) - mb.modules[i].start;
    copy_string(out.modules[i].string, BootInfo::kModuleStringBytes, mb.modules[i].string);
  }
  // Tag 15 before tag 14: the 2.0+ RSDP also gives the XSDT.
  const struct {
    const u8* p;
    usize len;
    RsdpSource source;
  } tags[2] = {{mb.rsdp_v2, mb.rsdp_v2_len, RsdpSource::Multiboot2NewTag},
               {mb.rsdp_v1, kRsdpV1Len, RsdpSource::Multiboot2OldTag}};
  for (const auto& t : tags) {
    if (t.p == nullptr) continue;
    auto len = check_rsdp(t.p, t.len);
    if (!len) continue;
    mem_copy(out.rsdp_copy, t.p, *len);
    out.rsdp_copy_len = *len;
    out.rsdp_copy_source = t.source;
    break;
  }
  out.efi_system_table = mb.efi_system_table;
  out.efi_system_table_64 = mb.efi_system_table_64;
  out.has_framebuffer = mb.has_framebuffer;
  out.framebuffer = mb.framebuffer;
  return Ok{};
}

Status<BootInfoError> check_boot_modules(const BootInfo& info, usize& bad_module) {
  for (usize i = 0; i < info.module_count; ++i) {
    const BootInfo::Module& a = info.modules[i];
    for (usize j = 0; j < i; ++j) {
      const BootInfo::Module& b = info.modules[j];
      if (a.size != 0 && b.size != 0 && a.base < b.base + b.size && b.base < a.base + a.size) {
        bad_module = i;
        return Err{BootInfoError::ModulesOverlap};
      }
    }
  }
  return Ok{};
}

u64 rsdp_copy_page(const BootInfo& info, u64 below) {
  constexpr u64 kPage = 4096;
  if (below < kPage || below % kPage != 0) return 0;
  const u64 page = below - kPage;
  bool in_ram = false;
  for (usize i = 0; i < info.region_count; ++i) {
    const MemRegion& r = info.regions[i];
    if (r.type == Usable && r.base <= page && below - r.base <= r.size) in_ram = true;
  }
  for (usize i = 0; i < info.region_count; ++i) {  // a reserved region overlapping the usable one wins
    const MemRegion& r = info.regions[i];
    if (r.type != Usable && r.size != 0 && r.base < below && page < r.base + r.size) in_ram = false;
  }
  if (!in_ram) return 0;
  for (usize i = 0; i < info.module_count; ++i) {
    const BootInfo::Module& m = info.modules[i];
    if (m.size != 0 && m.base < below && page < m.base + m.size) return 0;
  }
  return page;
}

}  // namespace tv
