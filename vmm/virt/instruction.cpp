#include "virt/instruction.hpp"

#include "kernel/log.hpp"
#include "virt/guest_memory.hpp"

namespace tv {

namespace {

// The full path: fetch through the page tables and decode, then remember the
// result for the next exit at this instruction.
DecodedInsn fetch_and_decode(const Vcpu& vcpu) {
  const CodeState& c = vcpu.code_state();
  const u64 linear = linear_rip(vcpu);
  InsnCache& cache = vcpu.insn_cache();
  cache.forget();  // the fetch below may leave another page's walk in cache.walk
  u8 bytes[16];
  const usize avail = fetch_guest_code(c.paging, linear, bytes, cache.walk);
  const DecodedInsn d = decode_insn(bytes, avail, c.mode);
  remember_insn(guest_physical(), cache, c.paging, c.mode, linear, d);
  return d;
}

}  // namespace

DecodedInsn decode_at_rip(const Vcpu& vcpu) {
  if (const DecodedInsn* d = remembered_insn_at_rip(vcpu)) return *d;
  return fetch_and_decode(vcpu);
}

// skip_instruction's path when nothing remembered is the expected instruction.
void skip_decoded_instruction(Vcpu& vcpu, InsnKind expected, u8 fallback_length) {
  const DecodedInsn d = fetch_and_decode(vcpu);
  if (d.kind != expected || d.length == 0) {
    TV_LOG_GUEST("warning: expected %s at rip %lx, decoded %s; assuming %u bytes", to_string(expected), vcpu.rip(),
                 to_string(d.kind), unsigned(fallback_length));
    vcpu.advance_rip(fallback_length);
    return;
  }
  vcpu.advance_rip(d.length);
}

bool store_of(const Vcpu& vcpu, const DecodedInsn& d, Store& out) {
  if (!d.has_memory) return false;
  u64 v = 0;
  switch (d.kind) {
    case InsnKind::MovStore:
    case InsnKind::Xchg: v = d.high_byte ? vcpu.gpr(Gpr(d.reg - 4)) >> 8 : vcpu.gpr(Gpr(d.reg & 15)); break;
    case InsnKind::MovStoreImm: v = d.immediate; break;
    default: return false;
  }
  out.size = d.operand_size;
  out.value = d.operand_size == 8 ? v : v & ((1ull << (8 * d.operand_size)) - 1);
  return true;
}

}  // namespace tv
