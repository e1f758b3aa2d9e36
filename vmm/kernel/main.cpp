// The VMM's start: from the multiboot (v1 or 2) hand-off to the first VMRUN.
#include "arch/x86/cpu.hpp"
#include "arch/x86/descriptors.hpp"
#include "domain/address_space.hpp"
#include "domain/domain.hpp"
#include "domain/selftest.hpp"
#include "domain/vmm_services.hpp"
#include "kernel/dma_protection.hpp"
#include "kernel/integrity.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp.hpp"
#include "kernel/version.hpp"
#include "service/dbgsh_service.hpp"
#include "service/service.hpp"
#include "tv/acpi.hpp"
#include "tv/boot_info.hpp"
#include "tv/boot_memory.hpp"
#include "tv/cmdline.hpp"
#include "tv/cpu_table.hpp"
#include "tv/domain_abi.hpp"
#include "tv/e820.hpp"
#include "tv/multiboot.hpp"
#include "tv/multiboot2.hpp"
#include "tv/nested_identity_map.hpp"
#include "tv/str.hpp"
#include "virt/guest_loader.hpp"
#include "virt/guest_memory.hpp"
#include "virt/io_ports.hpp"
#include "virt/module_watch.hpp"
#include "virt/svm/svm.hpp"
#include "virt/watchpoints.hpp"

extern "C" bool safe_read_u64(tv::u64 address, tv::u64* value);
extern "C" tv::u64 boot_entry_tsc;  // arch/x86/boot.S: TSC at the multiboot entry

namespace tv {
namespace {

constexpr usize kMaxMultiboot2Bytes = 1 << 20;       // bounds the multiboot2 information block
constexpr u64 kMaxGuestPhys = 64 * GiB;              // the VMM's direct map reaches at most this much guest RAM
constexpr u64 kSelftestFaultAddress = 0x7000000000;  // 448 GiB: never in the direct map
constexpr u64 kSelftestNonCanonical = 0x8000000000000000ull;

u64 g_boot_tsc = 0;

BootInfo g_boot;
BootModule g_modules[BootInfo::kMaxModules];
E820Map g_guest_e820;

void copy_string(char* dst, usize cap, u64 pa) {
  if (pa == 0) return;
  const char* s = mem::phys_to_ptr<const char>(pa);
  mem_copy(dst, s, str_nlen(s, cap - 1));
}

// Multiboot 0.6.96 §3.3.
void read_multiboot_v1(u64 info_pa) {
  const auto* mbi = mem::phys_to_ptr<const MultibootInfo>(info_pa);
  g_boot.protocol = 1;
  if ((mbi->flags & kMbInfoCmdline) != 0) copy_string(g_boot.cmdline, sizeof g_boot.cmdline, mbi->cmdline);
  if ((mbi->flags & kMbInfoMmap) == 0) panic("the boot loader gave no memory map");
  g_boot.region_count = parse_multiboot_mmap(mem::phys_to_ptr<const u8>(mbi->mmap_addr), mbi->mmap_length,
                                             g_boot.regions, BootInfo::kMaxRegions);
  if ((mbi->flags & kMbInfoMods) != 0) {
    const auto* mods = mem::phys_to_ptr<const MultibootModule>(mbi->mods_addr);
    if (mbi->mods_count > BootInfo::kMaxModules)
      panic("%u boot modules; at most %lu supported", mbi->mods_count, BootInfo::kMaxModules);
    for (u32 i = 0; i < mbi->mods_count; ++i) {
      if (mods[i].mod_end < mods[i].mod_start) panic("boot module %u has a negative size", i);
      g_boot.modules[i].base = mods[i].mod_start;
      g_boot.modules[i].size = u64(mods[i].mod_end) - mods[i].mod_start;
      copy_string(g_boot.modules[i].string, BootInfo::kModuleStringBytes, mods[i].string);
    }
    g_boot.module_count = mbi->mods_count;
  }
  if ((mbi->flags & kMbInfoFramebuffer) != 0) {
    Framebuffer& fb = g_boot.framebuffer;
    fb = {mbi->framebuffer_addr, mbi->framebuffer_pitch, mbi->framebuffer_width, mbi->framebuffer_height,
          mbi->framebuffer_bpp, mbi->framebuffer_type, mbi->framebuffer_type == kFramebufferRgb,
          // color_info for direct RGB: red position, red size, green..., blue... (§3.3)
          mbi->color_info[0], mbi->color_info[1], mbi->color_info[2], mbi->color_info[3], mbi->color_info[4],
          mbi->color_info[5]};
    g_boot.has_framebuffer = true;
  }
}

// Multiboot2 §3.6 (parsed, bounded and validated by lib/src/multiboot2.cpp).
void read_multiboot2(u64 info_pa) {
  static Multiboot2Info mb;
  if (info_pa % mb2::kTagAlign != 0) panic("multiboot2 boot information at %lx is not 8-byte aligned", info_pa);
  auto parsed = parse_multiboot2(mem::phys_to_ptr<const u8>(info_pa), kMaxMultiboot2Bytes);
  if (!parsed) panic("multiboot2 boot information: %s", to_string(parsed.error()));
  mb = *parsed;
  if (auto st = boot_info_from_multiboot2(mb, g_boot); !st) panic("multiboot2: %s", to_string(st.error()));
  TV_LOG("multiboot2 from %s: %lu module(s), %lu memory regions (%s)%s%s",
         mb.loader_name != nullptr ? mb.loader_name : "an unnamed loader", u64(g_boot.module_count),
         u64(g_boot.region_count), mb.has_mmap ? "memory map tag" : "EFI memory map",
         g_boot.efi_system_table != 0 ? ", EFI system table" : "", g_boot.rsdp_copy_len != 0 ? ", ACPI RSDP tag" : "");
  if (mb.efi_boot_services_running) TV_LOG_WARN("multiboot2: the loader left EFI boot services running");
}

// Copies what the VMM needs out of the boot loader's information (it lives in
// memory the guest will own) and validates it.
void read_boot_info(u32 magic, u64 info_pa) {
  if (magic == kMultibootBootloaderMagic)
    read_multiboot_v1(info_pa);
  else if (magic == kMultiboot2BootloaderMagic)
    read_multiboot2(info_pa);
  else
    panic("not started by a multiboot or multiboot2 loader (magic %x)", magic);
  usize bad = 0;
  if (auto st = check_boot_modules(g_boot, bad); !st) panic("boot module %lu: %s", u64(bad), to_string(st.error()));
  for (usize i = 0; i < g_boot.module_count; ++i)
    g_modules[i] = {g_boot.modules[i].base, g_boot.modules[i].size, g_boot.modules[i].string};
}

}  // namespace

u64 boot_tsc() {
  return g_boot_tsc;
}

// Entered from kernel/relocate.cpp, in the VMM's final place at the top of RAM.
extern "C" [[noreturn]] void kmain(u32 magic, u64 info_pa, u64 reservation_bytes) {
  g_boot_tsc = boot_entry_tsc;
  auto pool = mem::set_reservation(reservation_bytes);
  mem::take_over_page_tables();
  smp::init_boot_cpu();  // GS -> this CPU's PerCpu, its GDT/TSS, the IDT
  TV_LOG("thinvisor %s starting", kVersion);
  if (!pool) panic("page pool: %s", to_string(pool.error()));
  read_boot_info(magic, info_pa);

  auto cmd = Cmdline::parse(g_boot.cmdline, str_len(g_boot.cmdline));
  if (!cmd) panic("bad VMM command line: %s", to_string(cmd.error()));
  TV_LOG("command line: %s", g_boot.cmdline);
  log::configure(*cmd);
  if (const u16 uart = log::configure_console(*cmd); uart != 0) take_console_uart(uart);
  if (auto s = cmd->get_u64("panic", 0); s)
    set_panic_reset_seconds(u32(*s > 3600 ? 3600 : *s));
  else
    TV_LOG_WARN("panic: %s; a panic halts", to_string(s.error()));

  if (cmd->has("selftest.fault")) {
    // Proves the exception path: an access beyond the direct map must end in
    // a register dump naming the faulting address, never a silent reset.
    TV_LOG("selftest.fault: reading unmapped address %lx", kSelftestFaultAddress);
    (void)*reinterpret_cast<volatile u64*>(kSelftestFaultAddress);
  }

  if (cmd->has("selftest.fixup")) {
    // Proves the fault fixup that guest MSR passthrough relies on: a faulting
    // access with a fixup resumes, and the VMM carries on.
    u64 value = 0;
    bool ok = safe_read_u64(kSelftestNonCanonical, &value);
    TV_LOG("selftest.fixup: a faulting access was %s", ok ? "NOT caught (read succeeded?)" : "caught and resumed");
  }

  Range vmm = mem::vmm_region();
  Range module_ranges[BootInfo::kMaxModules];
  for (usize i = 0; i < g_boot.module_count; ++i) module_ranges[i] = {g_boot.modules[i].base, g_boot.modules[i].size};
  usize bad_module = 0;
  if (auto st = check_vmm_reservation(g_boot.regions, g_boot.region_count, vmm, module_ranges, g_boot.module_count,
                                      bad_module);
      !st) {
    if (st.error() == ReservationError::ModuleInside)
      panic("boot module %lu lies inside the VMM's region", u64(bad_module));
    panic("the VMM's region %lx-%lx %s", vmm.base, vmm.end(), to_string(st.error()));
  }
  TV_LOG("VMM memory reserved: %lu KiB at %lx-%lx (image %lu KiB, page pool %lu KiB)", vmm.size / KiB, vmm.base,
         vmm.end(), mem::image_region().size / KiB, mem::pool_region().size / KiB);

  // A multiboot2 RSDP tag is a copy: it gets the page below the VMM's region,
  // reserved in the guest's e820 (choose_firmware_rsdp writes it).
  const u64 rsdp_page = g_boot.rsdp_copy_len != 0 ? rsdp_copy_page(g_boot, vmm.base) : 0;
  if (g_boot.rsdp_copy_len != 0 && rsdp_page == 0)
    TV_LOG_WARN("ACPI: no free page below the VMM's region for the RSDP tag's copy; it is not used");
  const Range e820_hidden[2] = {vmm, {rsdp_page, kPageSize}};
  auto e820 = build_guest_e820(g_boot.regions, g_boot.region_count, e820_hidden, rsdp_page != 0 ? 2 : 1);
  if (!e820) panic("cannot build the guest memory map: %s", to_string(e820.error()));
  g_guest_e820 = *e820;
  for (const E820Entry& e : g_guest_e820) TV_LOG("guest e820: %016lx-%016lx type %u", e.addr, e.end(), e.type);

  u64 top = usable_ram_top(g_boot.regions, g_boot.region_count, kMaxGuestPhys);
  if (auto st = mem::extend_direct_map(top); !st) panic("direct map: %s", to_string(st.error()));
  guest_physical().set_map(g_guest_e820, vmm, mem::direct_map_top());
  choose_firmware_rsdp(guest_physical(), *cmd, g_boot, rsdp_page);  // before anything reads ACPI

  if (auto st = svm::enable(); !st) {
    TV_LOG("cannot start: %s", svm::to_string(st.error()));
    end_run(RunEnd::SvmUnavailable);
  }
  TV_LOG("SVM enabled");

  configure_platform_ports(platform_port_config(guest_physical()));

  init_services(cmd->has("hypercalls.kernel_only"));
  if (auto st = dom::init(); !st) panic("protection domains: %s", to_string(st.error()));
  if (auto st = dom::register_vmm_services(); !st) panic("domain services: %s", to_string(st.error()));
  dom::allow_selftest(cmd->has("selftest.domains"));
  const char* dbgsh_opt = cmd->get("dbgsh");
  if (auto st = init_dbgsh(dbgsh_opt != nullptr && str_eq(dbgsh_opt, "off")); !st)
    panic("dbgsh: %s", to_string(st.error()));

  // The IOMMUs, before anything the guest could program a device with runs.
  if (cmd->has("dma.off"))
    TV_LOG("DMA protection: off: VMM option dma.off; the IOMMU is left as the firmware left it");
  else
    dma::init(guest_physical(), vmm, top);
  // Stores to the interrupt controllers exit to apic_exit.cpp (INIT and SMI
  // are the VMM's), those to guarded ECAM pages to pci_config_exit.cpp.
  Range trapped[NestedMapSpec::kMaxRanges] = {{0xFEE00000, 0x100000}, {0xFEC00000, kPageSize}};
  const usize n_trapped = 2 + dma::trapped_ranges(trapped + 2, NestedMapSpec::kMaxRanges - 2);
  Range hidden[NestedMapSpec::kMaxRanges - 1];
  const usize n_hidden = dma::hidden_ranges(hidden, NestedMapSpec::kMaxRanges - 1);
  if (n_trapped > NestedMapSpec::kMaxRanges || n_hidden > NestedMapSpec::kMaxRanges - 1)
    panic("DMA protection: %lu IOMMU windows to hide and %lu pages to trap: more than the nested tables take",
          u64(n_hidden), u64(n_trapped));
  auto npt = svm::build_nested_page_tables(vmm, hidden, n_hidden, trapped, n_trapped);
  if (!npt) panic("nested paging: %s", svm::to_string(npt.error()));
  svm::SvmVcpu& vcpu = svm::boot_vcpu();
  if (auto st = vcpu.init(*npt); !st) panic("vCPU: %s", svm::to_string(st.error()));
  // cpus=N: run at most N CPUs (the others stay hidden and parked by the firmware).
  const auto max_cpus = cmd->get_u64("cpus", smp::kMaxCpus);
  if (!max_cpus || *max_cpus == 0)
    TV_LOG_WARN("cpus: %s; all CPUs run", max_cpus ? "must be at least 1" : to_string(max_cpus.error()));
  if (auto k = cmd->get_u64("selftest.fault_on_cpu", 0); k && *k != 0) smp::set_fault_on_start(u32(*k));
  smp::start_aps(
      guest_physical(), *npt,
      max_cpus && *max_cpus != 0 ? u32(*max_cpus > smp::kMaxCpus ? smp::kMaxCpus : *max_cpus) : smp::kMaxCpus);
  // What a guest breakpoint must never match: the VMM is identity-mapped, and
  // domains run in their own window (docs/debug-registers.md).
  static Range vmm_linear[2];
  vmm_linear[0] = vmm;
  vmm_linear[1] = {dom::kUserBase, dom::kUserEnd - dom::kUserBase};
  for (u32 i = 0; i < cpu_count(); ++i) cpu_at(i).vcpu->debug_regs().set_protected(vmm_linear, 2);

  init_module_policy(cmd->has("modwatch.hash"), cmd->get("modwatch.allow"));
  init_module_watch(g_modules, g_boot.module_count);  // before the loader moves the modules
  const auto rsdp = firmware_rsdp(guest_physical());
  GuestBootInfo boot{g_modules,
                     g_boot.module_count,
                     cmd->guest_cmdline(),
                     &g_guest_e820,
                     rsdp ? *rsdp : 0,
                     g_boot.has_framebuffer ? &g_boot.framebuffer : nullptr,
                     g_boot.efi_system_table != 0};
  if (auto st = load_guest(vcpu, boot); !st) {
    TV_LOG("cannot load the guest: %s", to_string(st.error()));
    end_run(RunEnd::GuestBootFailed);
  }
  if (const char* w = cmd->get("watch")) claim_watch_option(vcpu, w);
  const x86::DescriptorTables dt = x86::descriptor_tables();
  integrity::protect("GDTs and TSSs", dt.gdt_and_tss.base, dt.gdt_and_tss.size);
  integrity::protect("IDT", dt.idt.base, dt.idt.size);
  mem::protect_host_page_tables();
  const Range tramp = dom::trampoline_tables_region();
  integrity::protect("domain trampoline page tables", tramp.base, tramp.size);
  integrity::seal();
  if (cmd->has("selftest.integrity")) integrity::selftest();
  TV_LOG("VMM ready: pool used %lu KiB of %lu KiB, %lu of %lu pages free, %u CPU(s)", u64(mem::pool_used_bytes()) / KiB,
         mem::pool_region().size / KiB, u64(mem::pool_free_pages()), u64(mem::pool_total_pages()), cpu_count());
  vcpu.run();
}

}  // namespace tv
