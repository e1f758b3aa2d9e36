// Where the VMM puts itself: as BitVisor does, at the top of usable RAM below
// 4 GiB, so the guest keeps its low memory contiguous (a multiboot kernel linked
// at 1, 2, 4 or 16 MiB loads as on bare metal). And how much it reserves there.
#pragma once
#include "tv/e820.hpp"
#include "tv/result.hpp"

namespace tv {

enum class PlacementError : u8 { NoRoom = 1, TooLarge };
const char* to_string(PlacementError e);

// The highest base, aligned to `align`, such that [base, base + size) lies in one
// Usable region, ends at or below `limit` and overlaps none of `avoid` (boot
// modules, the multiboot information, the image as loaded).
Result<u64, PlacementError> choose_vmm_base(const MemRegion* map, usize n, u64 size, const Range* avoid, usize n_avoid,
                                            u64 limit = 4 * GiB, u64 align = 2 * MiB);

// What the VMM's page pool must hold, from facts known before the VMM moves.
struct PoolNeeds {
  u8 maxphyaddr;      // CPUID 8000_0008h EAX[7:0]: the guest-physical space nested paging covers
  bool gib_pages;     // CPUID 8000_0001h EDX bit 26: 1 GiB pages (nested tables use them)
  u64 ram_top;        // end of the highest usable RAM (the VMM's direct map reaches it)
  u64 image_bytes;    // image + .bss, to know how many 2 MiB pages the hidden region spans
  u64 log_bytes = 0;  // a log ring larger than the one in .bss (log.size), taken from the pool
};
struct PoolPlan {
  u64 npt_table_bytes;    // worst case of the nested page tables, all built at start-up
  u64 direct_map_bytes;   // host page tables beyond the boot map's 4 GiB
  u64 fixed_bytes;        // the boot CPU's SVM pages, I/O and MSR permission maps, slack
  u64 cpu_bytes;          // per CPU (all smp::kMaxCpus of them): host stack, VMCB, host VMCB, host save area
  u64 domain_bytes;       // left free after start-up: protection domains, their page tables, per-call stacks
  u64 log_bytes;          // the log ring, if log.size asks for more than the 64 KiB in .bss
  u64 iommu_bytes;        // DMA protection: the device table, I/O page tables, command buffers and event logs
  u64 pool_bytes;         // the sum
  u64 reservation_bytes;  // image + pool, rounded up to 2 MiB (nested paging hides whole 2 MiB pages)
};
inline constexpr u64 kMaxVmmReservation = 16 * MiB;  // bench/budget.txt: vmm_reserved_mib <= 16
// Protection domains are created and destroyed while the guest runs, each
// instance ~10-20 pages (page tables, data, stacks): 2 MiB holds ~25-50 of them.
inline constexpr u64 kDomainPoolBytes = 2 * MiB;
// DMA protection (kernel/dma_protection.cpp), reserved whether or not the
// machine has an IOMMU (the reservation is fixed before ACPI is read): one
// device table for all 65536 DeviceIDs (2 MiB), up to 64 I/O page tables
// (identity map with up to 16 excluded ranges: two tables at each edge), and
// per IOMMU (at most 8) a 4 KiB command buffer and event log, plus one page of
// completion semaphores.
inline constexpr u64 kIommuPoolBytes = 2 * MiB + 64 * 4 * KiB + (8 * 2 + 1) * 4 * KiB;
// Nested paging is 4-level: guest-physical addresses reach 48 bits at most.
inline constexpr u8 kMaxNestedPhysBits = 48;
Result<PoolPlan, PlacementError> plan_pool(const PoolNeeds& needs);

}  // namespace tv
