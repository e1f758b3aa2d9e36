#include "kernel/memory.hpp"

#include "arch/x86/cpu.hpp"
#include "kernel/integrity.hpp"
#include "kernel/platform.hpp"
#include "tv/spinlock.hpp"
#include "tv/str.hpp"
#include "tv/vmm_placement.hpp"

extern "C" char __vmm_start[], __rodata_end[], __bss_end[];
extern "C" tv::u64 boot_pml4[512], boot_pdpt[512], boot_pd[4 * 512];

namespace tv::mem {
namespace {
u64 g_reservation = 0;
u64 g_direct_top = 4 * GiB;
PoolTableMemory g_pool_tables;
Range g_direct_tables;  // pool pages extend_direct_map took
// The pool's bitmap lives in .bss, sized for the largest reservation plan_pool
// allows, so every pool page stays allocatable (512 bytes).
u64 g_pool_bitmap[PageAllocator::bitmap_words(kMaxVmmReservation / kPageSize)];
PageAllocator g_pool;
SpinLock g_pool_lock;  // every CPU allocates from the one pool
// Accessed/Dirty preset so the CPU never writes the tables (integrity fingerprints them).
constexpr u64 kTableFlags = pte::kPresent | pte::kWritable | pte::kAccessed | pte::kDirty;

Result<u64, AllocError> locked_alloc(usize count) {
  SpinGuard g(g_pool_lock);
  return g_pool.alloc(count);
}
}  // namespace

Status<AllocError> set_reservation(u64 bytes) {
  g_reservation = bytes;
  Range pool = pool_region();
  SpinGuard g(g_pool_lock);
  return g_pool.init(pool.base, usize(pool.size / kPageSize), g_pool_bitmap, sizeof g_pool_bitmap / sizeof(u64));
}

void take_over_page_tables() {
  // The same map boot.S built (arch/x86/boot.S), in this copy's own .bss.
  for (u64& e : boot_pml4) e = 0;
  for (u64& e : boot_pdpt) e = 0;
  boot_pml4[0] = reinterpret_cast<u64>(boot_pdpt) | kTableFlags;
  for (u64 i = 0; i < 4; ++i) boot_pdpt[i] = reinterpret_cast<u64>(&boot_pd[i * 512]) | kTableFlags;
  for (u64 i = 0; i < 4 * 512; ++i) boot_pd[i] = (i << 21) | kTableFlags | pte::kLargePage;
  x86::write_cr3(reinterpret_cast<u64>(boot_pml4));
}

Range vmm_region() {
  return {reinterpret_cast<u64>(__vmm_start), g_reservation};
}
Range image_region() {
  auto b = reinterpret_cast<u64>(__vmm_start);
  return {b, reinterpret_cast<u64>(__rodata_end) - b};
}
Range pool_region() {
  auto b = align_up(reinterpret_cast<u64>(__bss_end), kPageSize);
  Range r = vmm_region();
  return {b, r.end() > b ? r.end() - b : 0};
}

Result<u64, PtError> alloc_pages(usize count) {
  auto pa = locked_alloc(count);
  if (!pa) return Err{PtError::OutOfMemory};
  // Zeroed outside the lock: the pages are this caller's alone now.
  mem_set(phys_to_ptr(*pa), 0, u64(count) * kPageSize);
  return *pa;
}

Result<u64, PtError> alloc_pages_unzeroed(usize count) {
  auto pa = locked_alloc(count);
  if (!pa) return Err{PtError::OutOfMemory};
  return *pa;
}

Status<AllocError> free_pages(u64 pa, usize count) {
  SpinGuard g(g_pool_lock);
  return g_pool.free(pa, count);
}

usize pool_used_bytes() {
  SpinGuard g(g_pool_lock);
  return g_pool.used_pages() * kPageSize;
}
usize pool_free_pages() {
  SpinGuard g(g_pool_lock);
  return g_pool.free_pages();
}
usize pool_total_pages() {
  SpinGuard g(g_pool_lock);
  return g_pool.total_pages();
}

PoolTableMemory& pool_tables() {
  return g_pool_tables;
}

Result<u64, PtError> RunTableMemory::alloc_table() {
  auto pa = alloc_pages(1);
  if (!pa) return pa;
  if (run_.size == 0) run_.base = *pa;
  if (*pa != run_.end()) panic("page tables: pool page %lx does not follow %lx-%lx", *pa, run_.base, run_.end());
  run_.size += kPageSize;
  return pa;
}

Status<PtError> extend_direct_map(u64 top) {
  RunTableMemory tables;
  PageTableBuilder b(tables, reinterpret_cast<u64>(boot_pml4), kTableFlags);
  for (u64 a = g_direct_top; a < top; a += 2 * MiB) {
    auto st = b.map(a, a, PageSize::k2M, kTableFlags);
    if (!st) return st;
    g_direct_top = a + 2 * MiB;
  }
  g_direct_tables = tables.run();
  x86::invlpg_all();
  return Ok{};
}

void protect_host_page_tables() {
  integrity::protect("host page tables (PML4)", reinterpret_cast<u64>(boot_pml4), sizeof boot_pml4);
  integrity::protect("host page tables (PDPT)", reinterpret_cast<u64>(boot_pdpt), sizeof boot_pdpt);
  integrity::protect("host page tables (PD)", reinterpret_cast<u64>(boot_pd), sizeof boot_pd);
  if (g_direct_tables.size != 0)
    integrity::protect("host page tables (above 4 GiB)", g_direct_tables.base, g_direct_tables.size);
}

u64 direct_map_top() {
  return g_direct_top;
}

u64 host_cr3() {
  return reinterpret_cast<u64>(boot_pml4);
}

}  // namespace tv::mem
