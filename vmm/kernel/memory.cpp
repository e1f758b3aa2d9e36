#include "kernel/memory.hpp"

#include "arch/x86/cpu.hpp"
#include "kernel/integrity.hpp"
#include "tv/str.hpp"

extern "C" char __vmm_start[], __rodata_end[], __bss_end[];
extern "C" tv::u64 boot_pml4[512], boot_pdpt[512], boot_pd[4 * 512];

namespace tv::mem {
namespace {
u64 g_reservation = 0;
u64 g_pool_next = 0;
u64 g_direct_top = 4 * GiB;
PoolTableMemory g_pool_tables;
Range g_direct_tables;  // pool pages extend_direct_map took
// Accessed/Dirty preset so the CPU never writes the tables (integrity fingerprints them).
constexpr u64 kTableFlags = pte::kPresent | pte::kWritable | pte::kAccessed | pte::kDirty;
}  // namespace

void set_reservation(u64 bytes) {
  g_reservation = bytes;
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
  Range pool = pool_region();
  if (g_pool_next == 0) g_pool_next = pool.base;
  u64 bytes = u64(count) * kPageSize;
  if (count == 0 || bytes > pool.end() - g_pool_next) return Err{PtError::OutOfMemory};
  u64 pa = g_pool_next;
  g_pool_next += bytes;
  mem_set(phys_to_ptr(pa), 0, bytes);
  return pa;
}

usize pool_used_bytes() {
  return g_pool_next == 0 ? 0 : g_pool_next - pool_region().base;
}

PoolTableMemory& pool_tables() {
  return g_pool_tables;
}

Status<PtError> extend_direct_map(u64 top) {
  PageTableBuilder b(g_pool_tables, reinterpret_cast<u64>(boot_pml4), kTableFlags);
  g_direct_tables.base = g_pool_next != 0 ? g_pool_next : pool_region().base;
  for (u64 a = g_direct_top; a < top; a += 2 * MiB) {
    auto st = b.map(a, a, PageSize::k2M, kTableFlags);
    if (!st) return st;
    g_direct_top = a + 2 * MiB;
  }
  g_direct_tables.size = pool_region().base + pool_used_bytes() - g_direct_tables.base;
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
