// The VMM's start: from the multiboot hand-off to the first VMRUN.
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
#include "tv/boot_memory.hpp"
#include "tv/cmdline.hpp"
#include "tv/cpu_table.hpp"
#include "tv/domain_abi.hpp"
#include "tv/e820.hpp"
#include "tv/multiboot.hpp"
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

constexpr usize kMaxModules = 16;
constexpr usize kMaxRegions = 128;
constexpr u64 kMaxGuestPhys = 64 * GiB;              // the VMM's direct map reaches at most this much guest RAM
constexpr u64 kSelftestFaultAddress = 0x7000000000;  // 448 GiB: never in the direct map
constexpr u64 kSelftestNonCanonical = 0x8000000000000000ull;

u64 g_boot_tsc = 0;

struct BootData {
  char cmdline[4096];
  BootModule modules[kMaxModules];
  char module_strings[kMaxModules][256];
  usize module_count = 0;
  MemRegion regions[kMaxRegions];
  usize region_count = 0;
};
BootData g_boot;
E820Map g_guest_e820;

// Copies what the VMM needs out of the multiboot information (it lives in
// memory the guest will own) and validates it.
void read_multiboot(u32 magic, u64 info_pa) {
  if (magic != kMultibootBootloaderMagic) panic("not started by a multiboot loader (magic %x)", magic);
  const auto* mbi = mem::phys_to_ptr<const MultibootInfo>(info_pa);
  if ((mbi->flags & kMbInfoCmdline) != 0 && mbi->cmdline != 0) {
    const char* s = mem::phys_to_ptr<const char>(mbi->cmdline);
    usize n = str_nlen(s, sizeof g_boot.cmdline - 1);
    mem_copy(g_boot.cmdline, s, n);
  }
  if ((mbi->flags & kMbInfoMmap) == 0) panic("the boot loader gave no memory map");
  g_boot.region_count =
      parse_multiboot_mmap(mem::phys_to_ptr<const u8>(mbi->mmap_addr), mbi->mmap_length, g_boot.regions, kMaxRegions);
  if ((mbi->flags & kMbInfoMods) != 0) {
    const auto* mods = mem::phys_to_ptr<const MultibootModule>(mbi->mods_addr);
    if (mbi->mods_count > kMaxModules) panic("%u boot modules; at most %lu supported", mbi->mods_count, kMaxModules);
    for (u32 i = 0; i < mbi->mods_count; ++i) {
      if (mods[i].mod_end < mods[i].mod_start) panic("boot module %u has a negative size", i);
      char* str = g_boot.module_strings[i];
      if (mods[i].string != 0)
        mem_copy(str, mem::phys_to_ptr<const char>(mods[i].string),
                 str_nlen(mem::phys_to_ptr<const char>(mods[i].string), 255));
      g_boot.modules[i] = {mods[i].mod_start, u64(mods[i].mod_end) - mods[i].mod_start, str};
    }
    g_boot.module_count = mbi->mods_count;
  }
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
  read_multiboot(magic, info_pa);

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
  Range module_ranges[kMaxModules];
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

  auto e820 = build_guest_e820(g_boot.regions, g_boot.region_count, &vmm, 1);
  if (!e820) panic("cannot build the guest memory map: %s", to_string(e820.error()));
  g_guest_e820 = *e820;
  for (const E820Entry& e : g_guest_e820) TV_LOG("guest e820: %016lx-%016lx type %u", e.addr, e.end(), e.type);

  u64 top = usable_ram_top(g_boot.regions, g_boot.region_count, kMaxGuestPhys);
  if (auto st = mem::extend_direct_map(top); !st) panic("direct map: %s", to_string(st.error()));
  guest_physical().set_map(g_guest_e820, vmm, mem::direct_map_top());

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
  dma::init(guest_physical(), vmm, top);
  // Stores to the interrupt controllers exit to apic_exit.cpp (INIT and SMI
  // are the VMM's), those to guarded ECAM pages to pci_config_exit.cpp.
  Range trapped[NestedMapSpec::kMaxRanges] = {{0xFEE00000, 0x100000}, {0xFEC00000, kPageSize}};
  const usize n_trapped = 2 + dma::trapped_ranges(trapped + 2, NestedMapSpec::kMaxRanges - 2);
  Range hidden[NestedMapSpec::kMaxRanges - 1];
  const usize n_hidden = dma::hidden_ranges(hidden, NestedMapSpec::kMaxRanges - 1);
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
  init_module_watch(g_boot.modules, g_boot.module_count);  // before the loader moves the modules
  GuestBootInfo boot{g_boot.modules, g_boot.module_count, cmd->guest_cmdline(), &g_guest_e820};
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
