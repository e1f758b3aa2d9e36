#include "virt/instruction.hpp"

#include "kernel/log.hpp"
#include "virt/guest_memory.hpp"

namespace tv {

namespace {

// Where the instruction at CS:RIP is, and how to decode it.
struct Location {
  const PagingState& paging;
  u64 linear;
  CpuMode mode;
};

Location locate(const Vcpu& vcpu) {
  const CodeState& c = vcpu.code_state();
  Location l{c.paging, vcpu.rip(), c.mode};
  if (l.mode != CpuMode::Long64) l.linear = (c.cs_base + l.linear) & 0xFFFFFFFFull;
  return l;
}

// The full path: fetch through the page tables and decode, then remember the
// result for the next exit at this instruction.
DecodedInsn fetch_and_decode(const Vcpu& vcpu, const Location& l) {
  InsnCache& cache = vcpu.insn_cache();
  cache.valid = false;  // the fetch below may leave another page's walk in cache.walk
  u8 bytes[16];
  const usize avail = fetch_guest_code(l.paging, l.linear, bytes, cache.walk);
  const DecodedInsn d = decode_insn(bytes, avail, l.mode);
  remember_insn(guest_physical(), cache, l.paging, l.mode, l.linear, d);
  return d;
}

}  // namespace

DecodedInsn decode_at_rip(const Vcpu& vcpu) {
  const Location l = locate(vcpu);
  if (const DecodedInsn* d = cached_insn(guest_physical(), vcpu.insn_cache(), l.paging, l.mode, l.linear)) return *d;
  return fetch_and_decode(vcpu, l);
}

void skip_instruction(Vcpu& vcpu, InsnKind expected, u8 fallback_length) {
  const Location l = locate(vcpu);
  const DecodedInsn* hit = cached_insn(guest_physical(), vcpu.insn_cache(), l.paging, l.mode, l.linear);
  if (hit != nullptr && hit->kind == expected) [[likely]]
    return vcpu.advance_rip(hit->length);
  const DecodedInsn d = fetch_and_decode(vcpu, l);
  if (d.kind != expected || d.length == 0) {
    TV_LOG_GUEST("warning: expected %s at rip %lx, decoded %s; assuming %u bytes", to_string(expected), vcpu.rip(),
                 to_string(d.kind), unsigned(fallback_length));
    vcpu.advance_rip(fallback_length);
    return;
  }
  vcpu.advance_rip(d.length);
}

}  // namespace tv
