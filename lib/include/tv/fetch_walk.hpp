// The translation the guest's CPU has just used to fetch the instruction a VM
// exit stopped at, found cheaply: every exit that has to decode an instruction
// (QEMU's TCG has no nRIP-save or DecodeAssists) walks the guest's page tables
// for it, so this is the exit path's hot spot. The fetch itself already proved
// what the full walker (walk() in tv/page_walk.hpp) checks -- permissions,
// reserved bits, canonical form -- so only presence and page size matter here.
// Other paging modes, and every access the VMM makes on the guest's behalf,
// use the full walker.
#pragma once
#include "tv/page_walk.hpp"
#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace tv {

// Mem: any type with `bool read_u64(u64 gpa, u64& out) const` (a final class
// lets the compiler inline it). Long mode, 4- and 5-level (AMD APM vol.2 §5.3).
template <typename Mem>
Result<u64, WalkError> translate_fetched(const Mem& mem, const PagingState& st, u64 va) {
  constexpr u64 kP = 1ull << 0, kPs = 1ull << 7, kAddr = 0x000F'FFFF'FFFF'F000ull;
  if ((st.cr0 & x86::cr0::kPg) == 0 || (st.efer & x86::efer::kLma) == 0) {
    auto t = walk(mem, st, va);
    if (!t) return Err{t.error()};
    return t->gpa;
  }
  u64 table = st.cr3 & kAddr;
  for (int level = (st.cr4 & x86::cr4::kLa57) != 0 ? 5 : 4; level >= 1; --level) {
    const unsigned shift = 12 + 9 * unsigned(level - 1);
    u64 e = 0;
    if (!mem.read_u64(table + ((va >> shift) & 0x1FF) * 8, e)) return Err{WalkError::PhysReadFailed};
    if ((e & kP) == 0) return Err{WalkError::NotPresent};
    if (level == 1 || (level <= 3 && (e & kPs) != 0)) {
      const u64 mask = (1ull << shift) - 1;
      return (e & kAddr & ~mask) | (va & mask);
    }
    table = e & kAddr;
  }
  return Err{WalkError::NotPresent};  // not reached: level 1 returns
}

// The last code translation a vCPU used, with every table entry it went
// through. A guest edits its page tables (and runs INVLPG) without any exit,
// so a hit is only trusted after re-reading each of those entries and finding
// it unchanged: then the walk would take the same path to the same page.
// That costs one load per level instead of a full walk's checks.
struct FetchTranslation {
  u64 cr3 = ~0ull;
  u64 cr4_la57 = 0;
  u64 va_page = 0;  // va >> 12
  u64 leaf_base = 0;
  u64 leaf_mask = 0;  // offset bits of the leaf page (4 KiB, 2 MiB or 1 GiB)
  u8 levels = 0;
  u64 entry_gpa[5] = {};
  u64 entry_value[5] = {};
};

// translate_fetched through the cache. Mem must also offer
// `u64 load_u64(u64 gpa) const` for addresses its read_u64 accepted before
// (the readable view never changes after start-up, so no re-check is needed).
template <typename Mem>
Result<u64, WalkError> translate_fetched_cached(const Mem& mem, const PagingState& st, u64 va, FetchTranslation& c) {
  constexpr u64 kP = 1ull << 0, kPs = 1ull << 7, kAddr = 0x000F'FFFF'FFFF'F000ull;
  const bool long_paging = (st.cr0 & x86::cr0::kPg) != 0 && (st.efer & x86::efer::kLma) != 0;
  if (!long_paging) return translate_fetched(mem, st, va);
  const u64 la57 = st.cr4 & x86::cr4::kLa57;
  if (c.levels != 0 && c.cr3 == st.cr3 && c.cr4_la57 == la57 && c.va_page == (va >> 12)) {
    bool same = true;
    for (u8 i = 0; i < c.levels; ++i) same = same && mem.load_u64(c.entry_gpa[i]) == c.entry_value[i];
    if (same) return c.leaf_base | (va & c.leaf_mask);
  }
  c.levels = 0;
  u64 table = st.cr3 & kAddr;
  for (int level = la57 != 0 ? 5 : 4; level >= 1; --level) {
    const unsigned shift = 12 + 9 * unsigned(level - 1);
    const u64 at = table + ((va >> shift) & 0x1FF) * 8;
    u64 e = 0;
    if (!mem.read_u64(at, e)) return Err{WalkError::PhysReadFailed};
    if ((e & kP) == 0) return Err{WalkError::NotPresent};
    c.entry_gpa[c.levels] = at;
    c.entry_value[c.levels] = e;
    ++c.levels;
    if (level == 1 || (level <= 3 && (e & kPs) != 0)) {
      const u64 mask = (1ull << shift) - 1;
      c.cr3 = st.cr3;
      c.cr4_la57 = la57;
      c.va_page = va >> 12;
      c.leaf_base = e & kAddr & ~mask;
      c.leaf_mask = mask;
      return c.leaf_base | (va & mask);
    }
    table = e & kAddr;
  }
  c.levels = 0;
  return Err{WalkError::NotPresent};
}

}  // namespace tv
