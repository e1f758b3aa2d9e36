// The first C++ the VMM runs, still at its link address (2 MiB, where the
// multiboot loader put it): it picks the top of usable RAM below 4 GiB (as
// BitVisor does), copies itself there, applies its own relocations and
// continues in the copy. The guest then gets all of its low memory, as on bare
// metal. Everything here reads the loader's information directly and keeps no
// state: kmain (main.cpp) reads it again, properly, once the VMM has moved.
#include "arch/x86/cpu.hpp"
#include "arch/x86/descriptors.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/platform.hpp"
#include "tv/boot_info.hpp"
#include "tv/boot_memory.hpp"
#include "tv/cmdline.hpp"
#include "tv/multiboot.hpp"
#include "tv/multiboot2.hpp"
#include "tv/relocation.hpp"
#include "tv/str.hpp"
#include "tv/vmm_placement.hpp"

extern "C" char __vmm_start[], __load_end[], __bss_start[], __bss_zero_end[], __bss_end[], boot_stack_top[];
extern "C" const tv::Elf64Rela __rela_start[], __rela_end[];
extern "C" [[noreturn]] void switch_stack_and_call(tv::u64 stack, tv::u64 fn, tv::u64 a0, tv::u64 a1, tv::u64 a2);

namespace tv {

extern "C" [[noreturn]] void kmain(u32 magic, u64 info_pa, u64 reservation_bytes);

namespace {

constexpr usize kMaxRegions = 128;
constexpr usize kMaxAvoid = 40;
// Bounds the multiboot2 information block (GRUB's is a few KiB; a UEFI memory map adds ~10 KiB).
constexpr usize kMaxMultiboot2Bytes = 1 << 20;

struct Avoid {
  Range r[kMaxAvoid];
  usize n = 0;
  void add(u64 base, u64 size) {
    if (size != 0 && n < kMaxAvoid) r[n++] = {base, size};
  }
  void add_string(u64 pa) {
    if (pa != 0) add(pa, str_nlen(mem::phys_to_ptr<const char>(pa), 4096) + 1);
  }
};

// What this stage needs from the loader, from either protocol: the memory
// map, everything the copy must not overwrite, and the command line.
struct LoaderView {
  MemRegion regions[kMaxRegions];
  usize n = 0;
  Avoid avoid;
  const char* cmdline = nullptr;
};

void view_multiboot(u64 info_pa, LoaderView& v) {
  const auto* mbi = mem::phys_to_ptr<const MultibootInfo>(info_pa);
  if ((mbi->flags & kMbInfoMmap) == 0) panic("the boot loader gave no memory map");
  v.n = parse_multiboot_mmap(mem::phys_to_ptr<const u8>(mbi->mmap_addr), mbi->mmap_length, v.regions, kMaxRegions);
  Avoid& a = v.avoid;
  a.add(info_pa, sizeof(MultibootInfo));
  if ((mbi->flags & kMbInfoCmdline) != 0 && mbi->cmdline != 0) {
    a.add_string(mbi->cmdline);
    v.cmdline = mem::phys_to_ptr<const char>(mbi->cmdline);
  }
  a.add(mbi->mmap_addr, mbi->mmap_length);
  if ((mbi->flags & kMbInfoMods) == 0) return;
  const auto* mods = mem::phys_to_ptr<const MultibootModule>(mbi->mods_addr);
  u32 count = mbi->mods_count < 16 ? mbi->mods_count : 16;  // kmain refuses more, with a message
  a.add(mbi->mods_addr, u64(mbi->mods_count) * sizeof(MultibootModule));
  for (u32 i = 0; i < count; ++i) {
    a.add(mods[i].mod_start, mods[i].mod_end > mods[i].mod_start ? mods[i].mod_end - mods[i].mod_start : 0);
    a.add_string(mods[i].string);
  }
}

// Multiboot2 (§3.6): the whole information block (strings and the memory maps
// live inside it) and the modules.
void view_multiboot2(u64 info_pa, LoaderView& v) {
  static Multiboot2Info mb;  // .bss of the image as loaded; not needed after the move
  auto parsed = parse_multiboot2(mem::phys_to_ptr<const u8>(info_pa), kMaxMultiboot2Bytes);
  if (!parsed) panic("multiboot2 boot information: %s", to_string(parsed.error()));
  mb = *parsed;
  auto n = multiboot2_memory_map(mb, v.regions, kMaxRegions);
  if (!n) panic("multiboot2: %s", to_string(n.error()));
  v.n = *n;
  v.avoid.add(info_pa, load_le32(mem::phys_to_ptr<const u8>(info_pa)));
  for (usize i = 0; i < mb.module_count; ++i)
    v.avoid.add(mb.modules[i].start, u64(mb.modules[i].end) - mb.modules[i].start);
  v.cmdline = mb.cmdline;
}

// The pool must hold a log ring larger than the one in .bss (log.size), so
// the domains' share stays whole; a bad command line is kmain's to report.
u64 log_pool_bytes(const char* s) {
  if (s == nullptr) return 0;
  auto cmd = Cmdline::parse(s, str_nlen(s, Cmdline::kStorage - 1));
  return cmd ? log::pool_bytes_needed(*cmd) : 0;
}

PoolNeeds pool_needs(const MemRegion* regions, usize n, const char* cmdline) {
  PoolNeeds p{};
  u32 max_ext = x86::cpuid(0x80000000).eax;
  p.maxphyaddr = max_ext >= 0x80000008 ? u8(x86::cpuid(0x80000008).eax & 0xFF) : 36;
  p.gib_pages = max_ext >= 0x80000001 && (x86::cpuid(0x80000001).edx & (1u << 26)) != 0;
  p.ram_top = usable_ram_top(regions, n, ~0ull);
  p.image_bytes = reinterpret_cast<u64>(__bss_end) - reinterpret_cast<u64>(__vmm_start);
  p.log_bytes = log_pool_bytes(cmdline);
  return p;
}

}  // namespace

extern "C" [[noreturn]] void kmain_at_load_address(u32 magic, u64 info_pa) {
  x86::init_descriptors(0, 0);  // a fault while moving is a readable register dump
  const u64 link_base = reinterpret_cast<u64>(__vmm_start);
  if (link_base != mem::kLinkBase) panic("loaded at %lx, not at the link address %lx", link_base, mem::kLinkBase);
  static LoaderView v;  // .bss of the image as loaded; not needed after the move
  v.avoid.add(link_base, reinterpret_cast<u64>(__bss_end) - link_base);
  if (magic == kMultibootBootloaderMagic) {
    view_multiboot(info_pa, v);
  } else if (magic == kMultiboot2BootloaderMagic) {
    if (info_pa % mb2::kTagAlign != 0) panic("multiboot2 boot information at %lx is not 8-byte aligned", info_pa);
    view_multiboot2(info_pa, v);
  } else {
    panic("not started by a multiboot or multiboot2 loader (magic %x)", magic);
  }

  auto plan = plan_pool(pool_needs(v.regions, v.n, v.cmdline));
  if (!plan) panic("VMM memory: %s", to_string(plan.error()));
  auto base = choose_vmm_base(v.regions, v.n, plan->reservation_bytes, v.avoid.r, v.avoid.n);
  if (!base) panic("VMM placement (%lu KiB): %s", plan->reservation_bytes / KiB, to_string(base.error()));

  u64 load_bytes = reinterpret_cast<u64>(__load_end) - link_base;
  u8* copy = mem::phys_to_ptr<u8>(*base);
  mem_copy(copy, __vmm_start, load_bytes);
  mem_set(copy + (reinterpret_cast<u64>(__bss_start) - link_base), 0,
          reinterpret_cast<u64>(__bss_zero_end) - reinterpret_cast<u64>(__bss_start));
  if (auto st = apply_relative_relocations(copy, load_bytes, link_base, *base, __rela_start,
                                           usize(__rela_end - __rela_start));
      !st)
    panic("relocating the VMM: %s", to_string(st.error()));

  u64 delta = *base - link_base;
  switch_stack_and_call(reinterpret_cast<u64>(boot_stack_top) + delta, reinterpret_cast<u64>(&kmain) + delta, magic,
                        info_pa, plan->reservation_bytes);
}

}  // namespace tv
