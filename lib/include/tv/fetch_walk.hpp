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

}  // namespace tv
