// Finding the instruction a guest exit was caused by. QEMU's TCG emulates SVM
// without nRIP-save, so the VMM decodes the bytes at the guest's RIP itself.
#pragma once
#include "tv/insn_decode.hpp"
#include "virt/guest_memory.hpp"
#include "virt/vcpu.hpp"

namespace tv {

// Decodes the instruction at CS:RIP; kind Unknown if unreadable or unrecognised.
DecodedInsn decode_at_rip(const Vcpu& vcpu);

// The linear address of CS:RIP.
inline u64 linear_rip(const Vcpu& vcpu) {
  const CodeState& c = vcpu.code_state();
  return c.mode == CpuMode::Long64 ? vcpu.rip() : (c.cs_base + vcpu.rip()) & 0xFFFFFFFFull;
}

// The instruction decoded at CS:RIP by an earlier exit, if it is provably
// still the one there (tv/insn_cache.hpp), else nullptr.
inline const DecodedInsn* remembered_insn_at_rip(const Vcpu& vcpu) {
  const CodeState& c = vcpu.code_state();
  return cached_insn_keyed(guest_physical(), vcpu.insn_cache(), c.paging, c.insn_key, linear_rip(vcpu));
}

// Moves RIP past the instruction at CS:RIP, which the exit says is `expected`.
// Falls back to `fallback_length` (logged) if the bytes cannot be read or disagree.
void skip_decoded_instruction(Vcpu& vcpu, InsnKind expected, u8 fallback_length);
inline void skip_instruction(Vcpu& vcpu, InsnKind expected, u8 fallback_length) {
  const DecodedInsn* d = remembered_insn_at_rip(vcpu);
  if (d != nullptr && d->kind == expected) [[likely]]
    return vcpu.advance_rip(d->length);
  skip_decoded_instruction(vcpu, expected, fallback_length);
}

// The store a decoded MMIO-writing instruction makes (emulated stores to
// write-protected pages: interrupt controllers, guarded ECAM pages).
struct Store {
  u8 size;  // 1, 2, 4 or 8
  u64 value;
};
// The value and width of the store `d` makes; false if it is not a plain store (MOV, MOV imm, XCHG).
bool store_of(const Vcpu& vcpu, const DecodedInsn& d, Store& out);

}  // namespace tv
