#include "kernel/dma_protection.hpp"

#include <initializer_list>

#include "arch/x86/amd_iommu.hpp"
#include "kernel/integrity.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/acpi.hpp"
#include "tv/acpi_edit.hpp"
#include "tv/amdvi_tables.hpp"
#include "tv/ivrs.hpp"
#include "tv/spinlock.hpp"
#include "tv/str.hpp"
#include "virt/guest_memory.hpp"
#include "virt/io_ports.hpp"
#include "virt/pci_config_exit.hpp"

namespace tv::dma {
namespace {

// Devices never reach the chipset's interrupt and IOMMU registers either: a
// DMA write there would program the IOAPIC (INIT/SMI redirections the VMM
// refuses the CPU) or the IOMMU itself (FEC00000h-FEFFFFFFh: IOAPIC, HPET,
// the usual IOMMU window, the local APIC/MSI range).
constexpr Range kChipsetWindow{0xFEC00000, 0x400000};
constexpr u16 kDomainId = 1;  // one protection domain for every device
constexpr usize kMaxEcamWindows = 4;
// PCI Local Bus 3.0 §6.2.3: Status register (config offset 06h) bit 11,
// Signaled Target Abort (RW1C). QEMU's IOMMU sets it on its own function for
// every DMA it refuses (hw/i386/amd_iommu.c amdvi_page_fault).
constexpr u16 kPciStatusOffset = 0x06;
constexpr u16 kSignaledTargetAbort = 1u << 11;

struct State {
  bool on = false;
  Ivrs ivrs;  // ~14 KiB: static, never on a stack
  usize iommu_count = 0;
  x86::AmdIommu iommus[Ivrs::kMaxIommus];
  pci::EcamWindow ecam[kMaxEcamWindows];
  usize ecam_count = 0;
  pci::ConfigGuard guard;
  Range hidden[Ivrs::kMaxIommus * 2];
  usize hidden_count = 0;
  Range trapped[2];
  usize trapped_count = 0;
  u64 faults = 0;
  u64 target_aborts = 0;
  u64 other_events = 0;
  u64 io_map_top = 0;
};
constinit State g{};
SpinLock g_event_lock;

void off(const char* why) {
  g.on = false;
  TV_LOG("DMA protection: off: %s; devices the guest drives can read and write the VMM's memory", why);
}

bool add_hidden(Range r) {
  if (g.hidden_count == sizeof g.hidden / sizeof g.hidden[0]) return false;
  g.hidden[g.hidden_count++] = r;
  return true;
}

// false: the machine has ECAM windows the VMM cannot track (so it cannot hide the IOMMU's pages in them).
bool read_mcfg(const GuestPhysical& mem) {
  auto mcfg = firmware_table(mem, "MCFG");
  if (!mcfg && mcfg.error() == AcpiError::NoSuchTable) return true;       // no ECAM: the ports only
  if (!mcfg || !mem.readable(mcfg->address, mcfg->length)) return false;  // one the VMM cannot read: fail closed
  auto n = pci::parse_mcfg(reinterpret_cast<const u8*>(mcfg->address), mcfg->length, g.ecam, kMaxEcamWindows);
  if (!n) {
    TV_LOG_WARN("ACPI: MCFG at %lx: %s", mcfg->address, to_string(n.error()));
    return false;
  }
  g.ecam_count = *n < kMaxEcamWindows ? *n : kMaxEcamWindows;
  return *n <= kMaxEcamWindows;
}

// The ECAM page of a function on segment 0, or 0.
u64 ecam_page_of(u16 device_id) {
  for (usize i = 0; i < g.ecam_count; ++i)
    if (g.ecam[i].segment == 0)
      if (u64 p = pci::ecam_page(g.ecam[i], device_id)) return p;
  return 0;
}

// Removes IVRS from the RSDT and the XSDT: the guest then sees a machine without an IOMMU.
void hide_ivrs(const GuestPhysical& mem) {
  auto rsdp = firmware_rsdp(mem);
  u8 raw[36];
  if (!rsdp || !mem.read(*rsdp, raw, sizeof raw)) return;
  auto roots = read_rsdp(raw, raw[15] >= 2 ? 36 : 20);
  if (!roots) return;
  usize removed = 0;
  for (u64 sdt : {roots->rsdt, roots->xsdt}) {
    u8 header[8];
    if (sdt == 0 || !mem.read(sdt, header, sizeof header)) continue;
    const u32 len = load_le32(header + 4);
    if (!mem.readable(sdt, len)) continue;
    auto n = remove_sdt_entries(reinterpret_cast<u8*>(sdt), len, mem, "IVRS");
    if (n) removed += *n;
  }
  TV_LOG("ACPI: IVRS removed from the RSDT/XSDT (%lu entries): the guest sees no IOMMU", u64(removed));
}

// One device table for all 65536 DeviceIDs of segment 0: an entry left out
// would let that device's DMA through untranslated. Filled by doubling copies
// (8 bytes per instruction): start-up cost matters (bench vmm_startup).
Result<u64, AmdViError> build_device_table(u64 io_root) {
  constexpr usize kBytes = kDeviceTableMaxEntries * sizeof(DeviceTableEntry);
  auto dt = mem::alloc_pages_unzeroed(kBytes / kPageSize);
  if (!dt) return Err{AmdViError::OutOfMemory};
  auto e = make_dte({DteMode::Translate, io_root, amdvi::kLevels, kDomainId});
  if (!e) return Err{e.error()};
  auto* table = mem::phys_to_ptr<u8>(*dt);
  mem_copy(table, &*e, sizeof *e);
  integrity::protect_repeated("IOMMU device table", *dt, kBytes, e->data);
  for (usize filled = sizeof *e; filled < kBytes; filled *= 2)
    mem_copy(table + filled, table, filled < kBytes - filled ? filled : kBytes - filled);
  return device_table_base_register(*dt, kDeviceTableMaxEntries);
}

Result<u64, AmdViError> build_io_page_table(Range vmm, u64 ram_top) {
  Range excluded[kMaxExcludedRanges];
  usize n = 0;
  excluded[n++] = vmm;
  excluded[n++] = kChipsetWindow;
  for (usize i = 0; i < g.ecam_count && n < kMaxExcludedRanges; ++i)
    excluded[n++] = {g.ecam[i].base, u64(g.ecam[i].end_bus - g.ecam[i].start_bus + 1) << 20};
  for (usize i = 0; i < g.ivrs.iommu_count && n < kMaxExcludedRanges; ++i)
    excluded[n++] = {g.ivrs.iommus[i].mmio_base, amdvi::kMmioWindowBytes};
  // Up to a whole 2 MiB: the last RAM page's neighbours are firmware tables
  // (ACPI, reserved RAM), harmless to a device, and 4 KiB pages there would
  // cost ~40,000 instructions at every start-up.
  g.io_map_top = align_up(ram_top, 2 * MiB);
  if (g.io_map_top > amdvi::kAddressLimit) g.io_map_top = amdvi::kAddressLimit;
  mem::RunTableMemory tables;  // one run of pages: one integrity region
  auto map = build_io_identity_map(tables, {g.io_map_top, excluded, n, PageSize::k1G});
  if (!map) return Err{map.error()};
  integrity::protect("I/O page tables", tables.run().base, tables.run().size);
  TV_LOG("DMA protection: I/O page table identity-maps %lx bytes (%lu x 1 GiB, %lu x 2 MiB, %lu x 4 KiB, %lu tables)",
         g.io_map_top, u64(map->pages_1g), u64(map->pages_2m), u64(map->pages_4k), u64(map->tables));
  return map->root;
}

void start_iommus(Range vmm, u64 ram_top) {
  auto root = build_io_page_table(vmm, ram_top);
  if (!root) return off(to_string(root.error()));
  auto dt = build_device_table(*root);
  if (!dt) return off(to_string(dt.error()));
  auto rings = mem::alloc_pages(2 * g.ivrs.iommu_count + 1);
  if (!rings) return off("no memory for the command buffers and event logs");
  const u64 semaphores = *rings + 2 * g.ivrs.iommu_count * kPageSize;
  for (usize i = 0; i < g.ivrs.iommu_count; ++i) {
    const IvrsIommu& m = g.ivrs.iommus[i];
    const x86::IommuTables t{*dt, *rings + 2 * i * kPageSize, *rings + (2 * i + 1) * kPageSize, semaphores + 8 * i};
    auto efr = g.iommus[i].start(m.mmio_base, t);
    if (!efr) return off(x86::to_string(efr.error()));
    TV_LOG("DMA protection: IOMMU %lu at %lx (PCI %02x:%02x.%x) enabled, extended features %lx", u64(i), m.mmio_base,
           unsigned(m.device_id >> 8), unsigned((m.device_id >> 3) & 0x1F), unsigned(m.device_id & 7), *efr);
    ++g.iommu_count;
  }
  g.on = true;
}

// The guest must not reach the IOMMUs: their functions vanish from port
// configuration accesses, their ECAM pages and MMIO windows are hidden in the
// nested page tables, and on Q35 the register that moves the ECAM window is
// kept (moving it would bring the hidden pages out elsewhere).
bool hide_iommus() {
  for (usize i = 0; i < g.ivrs.iommu_count; ++i) {
    const IvrsIommu& m = g.ivrs.iommus[i];
    if (!g.guard.hide(m.device_id) || !add_hidden({m.mmio_base, amdvi::kMmioWindowBytes})) return false;
    if (u64 p = ecam_page_of(m.device_id); p != 0 && !add_hidden({p, kPageSize})) return false;
  }
  const u32 host_bridge = pci_config_read32(0, 0);
  if ((host_bridge & 0xFFFF) == pci::kQ35HostBridgeVendor && (host_bridge >> 16) == pci::kQ35HostBridgeDevice) {
    if (!g.guard.protect(0, pci::kQ35PciexbarOffset, pci::kQ35PciexbarBytes)) return false;
    if (u64 p = ecam_page_of(0)) g.trapped[g.trapped_count++] = {p, kPageSize};
  }
  return true;
}

// QEMU 7.2's IOMMU faults refused DMA but never writes its event log (its
// amdvi_test_mask ORs where it should AND, so amdvi_log_event always sees
// "overflow" and returns; fixed in later QEMU). What it does leave is the
// Signaled Target Abort bit in its own PCI status: when that is set and the
// log brought nothing, the VMM still reports (without device and address)
// that DMA was blocked.
void check_target_abort(u16 device_id, usize events_seen) {
  const u16 status = u16(pci_config_read32(device_id, kPciStatusOffset & ~3) >> 16);
  if ((status & kSignaledTargetAbort) == 0) return;
  pci_config_write16(device_id, kPciStatusOffset, kSignaledTargetAbort);  // RW1C: only this bit
  __atomic_fetch_add(&g.target_aborts, 1, __ATOMIC_RELAXED);
  if (events_seen == 0)
    TV_LOG_GUEST(
        "IOMMU: blocked DMA (the IOMMU at %02x:%02x.%x signalled a target abort; its event log has no "
        "entry, so device and address are unknown)",
        unsigned(device_id >> 8), unsigned((device_id >> 3) & 0x1F), unsigned(device_id & 7));
}

}  // namespace

void init(const GuestPhysical& mem, Range vmm, u64 ram_top) {
  auto ivrs = firmware_table(mem, "IVRS");
  if (!ivrs) return off("no IOMMU (no ACPI IVRS table)");
  if (!mem.readable(ivrs->address, ivrs->length)) return off("the IVRS lies outside the firmware's memory map");
  if (auto st = parse_ivrs(reinterpret_cast<const u8*>(ivrs->address), ivrs->length, g.ivrs); !st)
    return off(to_string(st.error()));
  if (g.ivrs.iommu_count == 0) return off("the IVRS lists no IOMMU");
  for (usize i = 0; i < g.ivrs.iommu_count; ++i)
    if (g.ivrs.iommus[i].pci_segment != 0) return off("an IOMMU on PCI segment other than 0 (not supported)");
  if (!read_mcfg(mem)) return off("the MCFG is unusable or lists more ECAM windows than the VMM tracks");
  start_iommus(vmm, ram_top);
  if (!g.on) return;
  intercept_pci_config_ports();
  if (!hide_iommus()) return off("too many IOMMU functions to hide");
  hide_ivrs(mem);
  TV_LOG(
      "DMA protection: on: %lu IOMMU(s); devices reach guest memory below %lx except the VMM's region %lx-%lx; "
      "interrupt remapping off",
      u64(g.iommu_count), g.io_map_top, vmm.base, vmm.end());
}

bool protecting() {
  return g.on;
}

usize hidden_ranges(Range* out, usize max) {
  for (usize n = 0; n < g.hidden_count && n < max; ++n) out[n] = g.hidden[n];
  return g.hidden_count;
}

usize trapped_ranges(Range* out, usize max) {
  for (usize n = 0; n < g.trapped_count && n < max; ++n) out[n] = g.trapped[n];
  return g.trapped_count;
}

bool is_trapped_page(u64 gpa) {
  for (usize i = 0; i < g.trapped_count; ++i)
    if (g.trapped[i].contains(gpa)) return true;
  return false;
}

const pci::ConfigGuard& config_guard() {
  return g.guard;
}

bool ecam_target(u64 gpa, u16& device_id, u16& offset) {
  for (usize i = 0; i < g.ecam_count; ++i) {
    pci::EcamRegister r{};
    if (!pci::ecam_register(g.ecam[i], gpa, r)) continue;
    device_id = r.device_id;
    offset = r.offset;
    return true;
  }
  return false;
}

void poll_events() {
  if (!g.on || !g_event_lock.try_lock()) return;  // another CPU is draining: it will see these too
  for (usize i = 0; i < g.iommu_count; ++i) {
    const usize n = g.iommus[i].drain([](const amdvi::Event& e) {
      if (e.is_dma_fault())
        __atomic_fetch_add(&g.faults, 1, __ATOMIC_RELAXED);
      else
        __atomic_fetch_add(&g.other_events, 1, __ATOMIC_RELAXED);
      TV_LOG_GUEST("IOMMU: blocked DMA from %02x:%02x.%x to 0x%lx (%s, %s)", unsigned(e.device_id >> 8),
                   unsigned((e.device_id >> 3) & 0x1F), unsigned(e.device_id & 7), e.address,
                   e.is_write() ? "write" : "read", amdvi::event_name(e.code));
    });
    check_target_abort(g.ivrs.iommus[i].device_id, n);
  }
  g_event_lock.unlock();
}

Counts counts() {
  return {g.on, __atomic_load_n(&g.faults, __ATOMIC_RELAXED), __atomic_load_n(&g.target_aborts, __ATOMIC_RELAXED),
          __atomic_load_n(&g.other_events, __ATOMIC_RELAXED)};
}

void report(Report& r) {
  poll_events();
  u64 overflows = 0;
  for (usize i = 0; i < g.iommu_count; ++i) overflows += g.iommus[i].overflows();
  r.add(
      "dma_protection %s\ndma_iommus %lu\ndma_faults %lu\ndma_target_aborts %lu\ndma_events_other %lu\n"
      "dma_event_overflows %lu\n",
      g.on ? "on" : "off", u64(g.iommu_count), __atomic_load_n(&g.faults, __ATOMIC_RELAXED),
      __atomic_load_n(&g.target_aborts, __ATOMIC_RELAXED), __atomic_load_n(&g.other_events, __ATOMIC_RELAXED),
      overflows);
}

}  // namespace tv::dma
