// A domain's address space: one PML4 whose slot 128 (dom::kUserBase) holds
// the domain's own pages and whose slot 0 holds only the trampoline
// (supervisor-only, shared by every domain). Nothing else of the VMM is
// mapped, and the VMM's own tables never map user memory: the VMM reaches a
// domain's memory only through translate()/copy_in()/copy_out(), which check
// the domain's own permissions.
#pragma once
#include "tv/domain_abi.hpp"
#include "tv/domain_error.hpp"
#include "tv/result.hpp"

namespace tv::dom {

// Leaf flags for map_page (P, U, A, D are added).
inline constexpr u64 kMapWritable = 1ull << 1;
inline constexpr u64 kMapOwned = 1ull << 9;  // an AVL bit: the page is freed with the space
inline constexpr u64 kMapNoExecute = 1ull << 63;

// Builds the shared trampoline tables (once, at start-up, before integrity::seal).
Status<DomainError> init_trampoline_tables();
Range trampoline_tables_region();  // the pool pages they took, for the integrity check

Result<u64, DomainError> create_space();  // returns the PML4's physical address
void destroy_space(u64 pml4);             // frees owned pages and every user table
Status<DomainError> map_page(u64 pml4, u64 va, u64 pa, u64 flags);
void unmap_page(u64 pml4, u64 va);
// The physical address behind a user address, if the domain itself could
// access it (present and user at every level, and writable if `write`).
Result<u64, DomainError> translate(u64 pml4, u64 va, bool write);
Status<DomainError> copy_in(u64 pml4, u64 va, void* dst, usize n);
Status<DomainError> copy_out(u64 pml4, u64 va, const void* src, usize n);
// A NUL-terminated name of at most kMaxNameBytes (with the NUL).
Status<DomainError> read_name(u64 pml4, u64 va, char (&out)[kMaxNameBytes]);

}  // namespace tv::dom

namespace tv::dom {
// The page table (level 1) that maps va, created if missing: for mapping many
// pages of one buffer with one walk.
Result<u64*, DomainError> leaf_table(u64 pml4, u64 va);
inline u64* pte_for(u64* pt, u64 va) {
  return &pt[(va >> 12) & 511];
}
}  // namespace tv::dom
