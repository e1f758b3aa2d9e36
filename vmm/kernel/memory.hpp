// The VMM's own physical memory. The VMM is identity-mapped (virtual =
// physical) and owns exactly one region, [__vmm_start, __vmm_start +
// reservation): its image, .bss and a page pool. It is linked at kLinkBase,
// where multiboot loaders put it, and moves itself to the top of RAM below
// 4 GiB at start-up (kernel/relocate.cpp). Everything else belongs to the guest.
#pragma once
#include "tv/page_allocator.hpp"
#include "tv/page_table_builder.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv::mem {

inline constexpr u64 kLinkBase = 0x200000;  // VMM_LINK_BASE in arch/x86/linker.ld

// Called once, first thing after the move: the size of the whole reservation.
// Every page from the end of .bss to the end of the reservation becomes the pool.
Status<AllocError> set_reservation(u64 bytes);
// Rebuilds the boot identity map (0..4 GiB, 2 MiB pages) inside the moved
// image and switches to it, so nothing refers to the image as loaded.
void take_over_page_tables();

Range vmm_region();    // the whole reservation (what the guest must never see)
Range image_region();  // code + read-only data, checksummed for integrity
Range pool_region();

// Zeroed, physically contiguous pages from the pool (first fit; until the
// first free_pages() they come in address order). Every failure (zero pages,
// no run that long) is PtError::OutOfMemory, as page tables need it.
Result<u64, PtError> alloc_pages(usize count);
// The same without zeroing, for a caller that fills every byte itself (the
// IOMMU's 2 MiB device table: zeroing it first would cost 262,144 more
// instructions at every start-up).
Result<u64, PtError> alloc_pages_unzeroed(usize count);
// Gives pages back; refuses, changing nothing, pages that are not all allocated pool pages.
Status<AllocError> free_pages(u64 pa, usize count);
usize pool_used_bytes();  // bytes in use now (not a high-water mark)
usize pool_free_pages();
usize pool_total_pages();

template <typename T = void>
T* phys_to_ptr(u64 pa) {
  return reinterpret_cast<T*>(pa);
}

// Page tables built from pool pages (used for the host direct map and the NPT).
class PoolTableMemory final : public TableMemory {
 public:
  Result<u64, PtError> alloc_table() override { return alloc_pages(1); }
  u64* table_at(u64 phys) override { return phys_to_ptr<u64>(phys); }
};
PoolTableMemory& pool_tables();

// Page tables from pool pages that form one run of consecutive pages, so the
// integrity check can fingerprint them as one Range. Pages come in address
// order while nothing has been freed, which holds for the tables built before
// the guest starts (direct map, nested paging); a page that does not extend
// the run is a VMM bug and stops the VMM.
class RunTableMemory final : public TableMemory {
 public:
  Result<u64, PtError> alloc_table() override;
  u64* table_at(u64 phys) override { return phys_to_ptr<u64>(phys); }
  Range run() const { return run_; }

 private:
  Range run_;
};

// Extends the boot identity map (0..4 GiB) up to `top` so the VMM can reach
// all of the guest's RAM.
Status<PtError> extend_direct_map(u64 top);
u64 direct_map_top();
// Adds the VMM's own page tables to the integrity check.
void protect_host_page_tables();
u64 host_cr3();

}  // namespace tv::mem
