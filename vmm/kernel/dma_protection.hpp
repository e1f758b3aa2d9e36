// DMA protection: the VMM owns the machine's AMD IOMMUs, so a device the
// guest programs reaches guest RAM but never the VMM's region (ARCHITECTURE.md
// "Memory protection"). init() finds the IOMMUs in ACPI IVRS, builds one
// device table and one I/O page table for all devices, enables them, and
// hides them from the guest: IVRS leaves the RSDT/XSDT, their MMIO windows
// and configuration pages are hidden in the nested page tables, and their
// PCI functions disappear from port 0CF8h/0CFCh configuration accesses.
#pragma once
#include "kernel/report.hpp"
#include "tv/pci_config.hpp"
#include "tv/range_set.hpp"

namespace tv {
class GuestPhysical;
}

namespace tv::dma {

// Call once, before the nested page tables and the vCPUs are built and before
// the guest runs. ram_top: the end of the guest's RAM (the I/O page table
// identity-maps [0, ram_top) minus what devices must not reach).
void init(const GuestPhysical& mem, Range vmm, u64 ram_top);
bool protecting();

// What the nested page tables must hide (behind the scratch page) and trap
// (read-only: stores exit to the VMM) for the IOMMUs to stay the VMM's.
// Each returns how many there are, of which min(that, max) were written: a
// caller with less room must not build the tables (the guest would reach an IOMMU).
usize hidden_ranges(Range* out, usize max);
usize trapped_ranges(Range* out, usize max);

// gpa lies in one of trapped_ranges().
bool is_trapped_page(u64 gpa);
// The guest's configuration accesses (virt/pci_config_exit.cpp) and stores
// to a trapped ECAM page go through this guard.
const pci::ConfigGuard& config_guard();
// The ECAM page that holds gpa's configuration space, decoded: false if gpa
// is not in an ECAM window the VMM knows.
bool ecam_target(u64 gpa, u16& device_id, u16& offset);

// Reads the IOMMUs' event logs: each blocked DMA is logged (rate-limited)
// and counted. Cheap when there is nothing new; any CPU, any time.
void poll_events();
// "dma_protection on|off", "dma_faults N", ... for status (drains first).
void report(Report& r);
// The counts as they stand, without touching the hardware (the run report,
// which may run while another CPU is stopped holding any lock).
struct Counts {
  bool on;
  u64 faults, target_aborts, other_events;
};
Counts counts();

}  // namespace tv::dma
