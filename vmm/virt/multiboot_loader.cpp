// Any multiboot v1 kernel as the guest (Multiboot 0.6.96 §3): load its image
// (a.out-kludge addresses or ELF program headers), keep its modules where the
// boot loader put them, and give it its own multiboot information structure
// whose memory map hides the VMM's region.
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/elf.hpp"
#include "tv/move_plan.hpp"
#include "tv/multiboot.hpp"
#include "tv/str.hpp"
#include "virt/guest_loader.hpp"
#include "virt/guest_memory.hpp"

namespace tv {
namespace {

// Where the guest's multiboot information lives (guest RAM below 1 MiB).
constexpr u64 kInfoAddr = 0x10000;
constexpr u64 kMmapAddr = 0x10100;
constexpr u64 kModsAddr = 0x11000;
constexpr u64 kStringsAddr = 0x12000;
constexpr u64 kInfoAreaEnd = 0x20000;
constexpr usize kMaxGuestModules = 15;

struct Payload {
  Move moves[ElfImage::kMaxSegments];
  Range zero[ElfImage::kMaxSegments];  // bss to clear after the moves
  usize count = 0;
  u64 entry = 0;
};

Status<LoadError> plan_image(const BootModule& k, Payload& p) {
  const u8* image = mem::phys_to_ptr<const u8>(k.base);
  auto hdr = find_multiboot_header(image, k.size);
  if (!hdr) return Err{LoadError::BadImage};
  if (hdr->has_addresses) {
    p.moves[0] = {k.base + hdr->load_file_offset, hdr->load_addr, hdr->load_size};
    p.zero[0] = {u64(hdr->load_addr) + hdr->load_size, u64(hdr->bss_end) - (u64(hdr->load_addr) + hdr->load_size)};
    if (hdr->bss_end < hdr->load_addr + hdr->load_size) p.zero[0].size = 0;
    p.count = 1;
    p.entry = hdr->entry_addr;
    return Ok{};
  }
  auto elf = parse_elf(image, k.size);
  if (!elf) {
    TV_LOG("multiboot guest: ELF image rejected: %s", to_string(elf.error()));
    return Err{LoadError::BadImage};
  }
  for (usize i = 0; i < elf->segment_count; ++i) {
    const LoadSegment& s = elf->segments[i];
    p.moves[i] = {k.base + s.file_offset, s.paddr, s.file_size};
    p.zero[i] = {s.paddr + s.file_size, s.mem_size - s.file_size};
  }
  p.count = elf->segment_count;
  p.entry = elf->entry;
  return Ok{};
}

bool overlaps_any(Range r, const BootModule* mods, usize n) {
  for (usize i = 0; i < n; ++i)
    if (r.overlaps({mods[i].base, mods[i].size})) return true;
  return r.overlaps({kInfoAddr, kInfoAreaEnd - kInfoAddr});
}

// Builds the guest's multiboot information in guest memory.
Status<LoadError> write_boot_info(const GuestBootInfo& info) {
  GuestPhysical& gm = guest_physical();
  u64 strings = kStringsAddr;
  auto put_string = [&](const char* s) -> u32 {
    usize n = str_len(s) + 1;
    if (strings + n > kInfoAreaEnd || !gm.write_ram(strings, s, n)) return 0;
    u64 at = strings;
    strings += n;
    return u32(at);
  };
  MultibootInfo mbi{};
  mbi.flags = kMbInfoMemory | kMbInfoCmdline | kMbInfoMods | kMbInfoMmap | kMbInfoBootLoaderName;
  mbi.cmdline = put_string(info.guest_cmdline);
  mbi.boot_loader_name = put_string("thinvisor");
  usize nmods = info.module_count - 1;
  for (usize i = 0; i < nmods; ++i) {
    const BootModule& m = info.modules[i + 1];
    MultibootModule mm{u32(m.base), u32(m.base + m.size), put_string(m.string), 0};
    if (!gm.write_ram(kModsAddr + i * sizeof mm, &mm, sizeof mm)) return Err{LoadError::CopyFailed};
  }
  mbi.mods_count = u32(nmods);
  mbi.mods_addr = u32(kModsAddr);
  u64 at = kMmapAddr;
  for (const E820Entry& e : *info.guest_e820) {
    MultibootMmapEntry me{20, e.addr, e.size, e.type};
    if (at + sizeof me > kModsAddr || !gm.write_ram(at, &me, sizeof me)) return Err{LoadError::CopyFailed};
    at += sizeof me;
    if (e.type == E820Type::Usable && e.addr == 0) mbi.mem_lower = u32(e.size / KiB);
    if (e.type == E820Type::Usable && e.addr == 1 * MiB) mbi.mem_upper = u32(e.size / KiB);
  }
  mbi.mmap_addr = u32(kMmapAddr);
  mbi.mmap_length = u32(at - kMmapAddr);
  if (mbi.cmdline == 0 || !gm.write_ram(kInfoAddr, &mbi, sizeof mbi)) return Err{LoadError::CopyFailed};
  return Ok{};
}

}  // namespace

Status<LoadError> load_multiboot_guest(Vcpu& vcpu, const GuestBootInfo& info) {
  if (info.module_count - 1 > kMaxGuestModules) return Err{LoadError::TooManyModules};
  Payload p;
  TV_TRY(plan_image(info.modules[0], p));
  for (usize i = 0; i < p.count; ++i) {
    Range dst{p.moves[i].dst, p.zero[i].end() - p.moves[i].dst};
    if (overlaps_any(dst, info.modules + 1, info.module_count - 1)) {
      TV_LOG("multiboot guest: segment %lx+%lx overlaps a module or the boot information", dst.base, dst.size);
      return Err{LoadError::NoRoom};
    }
  }
  TV_TRY(move_payloads(p.moves, p.count));
  static const u8 kZeros[4096] = {};
  for (usize i = 0; i < p.count; ++i)
    for (u64 off = 0; off < p.zero[i].size; off += sizeof kZeros) {
      u64 n = p.zero[i].size - off < sizeof kZeros ? p.zero[i].size - off : sizeof kZeros;
      if (!guest_physical().write_ram(p.zero[i].base + off, kZeros, n)) return Err{LoadError::CopyFailed};
    }
  TV_TRY(write_boot_info(info));
  TV_LOG("multiboot guest: %lu segment(s), entry %lx, %lu module(s), command line '%s'", u64(p.count), p.entry,
         u64(info.module_count - 1), info.guest_cmdline);
  vcpu.enter_flat_protected_mode(
      {.rip = p.entry, .rax = kMultibootBootloaderMagic, .rbx = kInfoAddr, .rsi = 0, .rdi = 0, .rsp = 0});
  return Ok{};
}

}  // namespace tv
