// The last instruction a vCPU decoded at its RIP, with the evidence it was
// decoded from: the linear address, the CPU mode, the page-table entries of
// the translation and the instruction's own bytes. A guest edits its page
// tables, runs INVLPG and rewrites code without any exit, so a hit is trusted
// only after every one of those entries and the instruction's bytes read back
// unchanged: then a fresh fetch and decode would give the same answer. That
// costs one load per paging level and one for the bytes instead of a fetch,
// its range checks and the decoder (the exit path's hot spot without
// nRIP-save and DecodeAssists).
//
// Only instructions of at most 8 bytes that lie in one page are remembered
// (one load covers them), in long-mode paging or with paging off; prefixed
// forms are fine, page-crossing ones always take the full path.
#pragma once
#include "tv/fetch_walk.hpp"
#include "tv/insn_decode.hpp"

namespace tv {

struct InsnCache {
  // The translation of the instruction's page while valid(). The fetch path
  // uses it as its own cache too: forget() before anything else may change
  // it, as only remember_insn may pair it with an instruction.
  FetchTranslation walk;
  u64 key = 0;  // insn_cache_key() when it was decoded; 0 while nothing is remembered
  u64 linear = 0;
  u64 code_gpa = 0;
  u64 code_bytes = 0;  // the instruction's bytes, little-endian, masked by code_mask
  u64 code_mask = 0;
  DecodedInsn insn{};
  bool valid() const { return key != 0; }
  void forget() { key = 0; }
};

// What besides the address decides how the bytes decode and translate: the CPU
// mode, CR0.PG, EFER.LMA and CR4.LA57. Never 0.
inline u64 insn_cache_key(const PagingState& st, CpuMode mode) {
  return (st.cr0 & x86::cr0::kPg) | (st.efer & x86::efer::kLma) | (st.cr4 & x86::cr4::kLa57) | (u64(mode) + 1) << 32;
}

// The remembered instruction if it is still the one at `linear`, else nullptr.
// `key` is insn_cache_key(st, mode) (the exit path computes it once per exit).
// Mem: as for translate_fetched_cached (load_u64 for addresses read_u64 accepted).
template <typename Mem>
const DecodedInsn* cached_insn_keyed(const Mem& mem, const InsnCache& c, const PagingState& st, u64 key, u64 linear) {
  if (c.key != key || c.linear != linear) return nullptr;
  if ((st.cr0 & x86::cr0::kPg) != 0) {
    if (c.walk.cr3 != st.cr3 || c.walk.levels == 0) return nullptr;
    for (u8 i = 0; i < c.walk.levels; ++i)
      if (mem.load_u64(c.walk.entry_gpa[i]) != c.walk.entry_value[i]) return nullptr;
  }
  if ((mem.load_u64(c.code_gpa) & c.code_mask) != c.code_bytes) return nullptr;
  return &c.insn;
}

template <typename Mem>
const DecodedInsn* cached_insn(const Mem& mem, const InsnCache& c, const PagingState& st, CpuMode mode, u64 linear) {
  return cached_insn_keyed(mem, c, st, insn_cache_key(st, mode), linear);
}

// After a full fetch and decode of `d` at `linear`: remember it when it can be
// re-validated cheaply (see above); otherwise forget whatever was remembered.
template <typename Mem>
void remember_insn(const Mem& mem, InsnCache& c, const PagingState& st, CpuMode mode, u64 linear,
                   const DecodedInsn& d) {
  c.forget();
  if (d.kind == InsnKind::Unknown || d.length == 0 || d.length > 8) return;
  const bool paging = (st.cr0 & x86::cr0::kPg) != 0;
  if (paging && (st.efer & x86::efer::kLma) == 0) return;  // legacy and PAE paging: no entries to re-read
  u64 gpa = linear;
  if (paging) {
    auto t = translate_fetched_cached(mem, st, linear, c.walk);
    if (!t) return;
    gpa = *t;
  }
  if ((gpa & 0xFFF) + d.length > 0x1000) return;  // crosses into the next page
  u64 bytes = 0;
  if ((gpa & 0xFFF) > 0x1000 - sizeof bytes || !mem.read_u64(gpa, bytes)) return;
  const u64 mask = d.length == 8 ? ~0ull : (1ull << (8 * d.length)) - 1;
  c.linear = linear;
  c.code_gpa = gpa;
  c.code_bytes = bytes & mask;
  c.code_mask = mask;
  c.insn = d;
  c.key = insn_cache_key(st, mode);
}

}  // namespace tv
