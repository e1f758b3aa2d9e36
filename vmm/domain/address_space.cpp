#include "domain/address_space.hpp"

#include "arch/x86/descriptors.hpp"
#include "kernel/memory.hpp"
#include "tv/page_table_builder.hpp"
#include "tv/str.hpp"

namespace tv::dom {
namespace {

constexpr u64 kUserSlot = kUserBase >> 39;
constexpr u64 kPresentUser = pte::kPresent | pte::kUser;
constexpr u64 kUserTableFlags = pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed;
constexpr u64 kTrampTableFlags = pte::kPresent | pte::kWritable | pte::kAccessed;
u64 g_tramp_slot0 = 0;  // PML4 entry 0 of every domain
Range g_tramp_tables;

u64* table(u64 pa) {
  return mem::phys_to_ptr<u64>(pa & pte::kAddrMask);
}
u64 index_of(u64 va, int level) {
  return (va >> (12 + 9 * (level - 1))) & 511;
}

Status<DomainError> map_range(PageTableBuilder& b, Range r, u64 flags) {
  for (u64 a = align_down(r.base, kPageSize); a < align_up(r.end(), kPageSize); a += kPageSize)
    if (!b.map(a, a, PageSize::k4K, flags | pte::kPresent | pte::kAccessed | pte::kDirty))
      return Err{DomainError::OutOfMemory};
  return Ok{};
}

void free_tree(u64 table_pa, int level) {
  u64* t = table(table_pa);
  for (u64 i = 0; i < 512; ++i) {
    u64 e = t[i];
    if ((e & pte::kPresent) == 0) continue;
    if (level > 1)
      free_tree(e, level - 1);
    else if ((e & kMapOwned) != 0)
      (void)mem::free_pages(e & pte::kAddrMask, 1);
  }
  (void)mem::free_pages(table_pa & pte::kAddrMask, 1);
}

}  // namespace

Status<DomainError> init_trampoline_tables() {
  auto root = mem::alloc_pages(1);
  if (!root) return Err{DomainError::OutOfMemory};
  u64 first = *root;
  PageTableBuilder b(mem::pool_tables(), *root, kTrampTableFlags);
  const x86::TrampolineRegions t = x86::trampoline_regions();
  if (auto st = map_range(b, t.text, 0); !st) return st;                // code: read-only, executable
  if (auto st = map_range(b, t.tables, kMapNoExecute); !st) return st;  // GDT/IDT/TSS: read-only
  if (auto st = map_range(b, t.stacks, pte::kWritable | kMapNoExecute); !st) return st;
  g_tramp_slot0 = table(*root)[0];
  // The tables are the pool pages allocated from `first` on (the pool is first-fit
  // and nothing has been freed yet at start-up).
  g_tramp_tables = {first, mem::pool_used_bytes() - (first - mem::pool_region().base)};
  return Ok{};
}

Range trampoline_tables_region() {
  return g_tramp_tables;
}

Result<u64, DomainError> create_space() {
  auto pml4 = mem::alloc_pages(1);
  if (!pml4) return Err{DomainError::OutOfMemory};
  table(*pml4)[0] = g_tramp_slot0;
  return *pml4;
}

void destroy_space(u64 pml4) {
  u64 e = table(pml4)[kUserSlot];
  if ((e & pte::kPresent) != 0) free_tree(e, 3);
  (void)mem::free_pages(pml4, 1);
}

Status<DomainError> map_page(u64 pml4, u64 va, u64 pa, u64 flags) {
  if (va < kUserBase || va >= kUserEnd) return Err{DomainError::BadArgument};
  PageTableBuilder b(mem::pool_tables(), pml4, kUserTableFlags);
  if (!b.map(va, pa, PageSize::k4K, flags | kPresentUser | pte::kAccessed | pte::kDirty))
    return Err{DomainError::OutOfMemory};
  return Ok{};
}

void unmap_page(u64 pml4, u64 va) {
  u64 t = pml4;
  for (int level = 4; level > 1; --level) {
    u64 e = table(t)[index_of(va, level)];
    if ((e & pte::kPresent) == 0) return;
    t = e;
  }
  table(t)[index_of(va, 1)] = 0;
  asm volatile("invlpg (%0)" ::"r"(va) : "memory");
}

Result<u64, DomainError> translate(u64 pml4, u64 va, bool write) {
  if (va < kUserBase || va >= kUserEnd) return Err{DomainError::BadArgument};
  u64 t = pml4;
  for (int level = 4; level >= 1; --level) {
    u64 e = table(t)[index_of(va, level)];
    if ((e & kPresentUser) != kPresentUser) return Err{DomainError::BadArgument};
    if (write && (e & pte::kWritable) == 0) return Err{DomainError::BadArgument};
    t = e;
  }
  return (t & pte::kAddrMask) | (va & (kPageSize - 1));
}

namespace {
template <typename Fn>
Status<DomainError> each_page(u64 pml4, u64 va, usize n, bool write, Fn&& fn) {
  if (n > kMaxBufBytes || va + n < va) return Err{DomainError::BadArgument};
  usize done = 0;
  while (done < n) {
    auto pa = translate(pml4, va + done, write);
    if (!pa) return Err{pa.error()};
    usize chunk = kPageSize - ((va + done) & (kPageSize - 1));
    if (chunk > n - done) chunk = n - done;
    fn(mem::phys_to_ptr<u8>(*pa), done, chunk);
    done += chunk;
  }
  return Ok{};
}
}  // namespace

Status<DomainError> copy_in(u64 pml4, u64 va, void* dst, usize n) {
  return each_page(pml4, va, n, false,
                   [&](u8* p, usize off, usize len) { mem_copy(static_cast<u8*>(dst) + off, p, len); });
}

Status<DomainError> copy_out(u64 pml4, u64 va, const void* src, usize n) {
  return each_page(pml4, va, n, true,
                   [&](u8* p, usize off, usize len) { mem_copy(p, static_cast<const u8*>(src) + off, len); });
}

Status<DomainError> read_name(u64 pml4, u64 va, char (&out)[kMaxNameBytes]) {
  for (usize i = 0; i < kMaxNameBytes; ++i) {
    auto pa = translate(pml4, va + i, false);
    if (!pa) return Err{pa.error()};
    out[i] = *mem::phys_to_ptr<char>(*pa);
    if (out[i] == '\0') return i == 0 ? Status<DomainError>{Err{DomainError::BadArgument}} : Ok{};
  }
  return Err{DomainError::BadArgument};
}

}  // namespace tv::dom

namespace tv::dom {

Result<u64*, DomainError> leaf_table(u64 pml4, u64 va) {
  if (va < kUserBase || va >= kUserEnd) return Err{DomainError::BadArgument};
  u64 t = pml4;
  for (int level = 4; level > 1; --level) {
    u64& e = table(t)[index_of(va, level)];
    if ((e & pte::kPresent) == 0) {
      auto page = mem::alloc_pages(1);
      if (!page) return Err{DomainError::OutOfMemory};
      e = *page | kUserTableFlags;
    }
    t = e;
  }
  return table(t);
}

}  // namespace tv::dom
