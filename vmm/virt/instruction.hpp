// Finding the instruction a guest exit was caused by. QEMU's TCG emulates SVM
// without nRIP-save, so the VMM decodes the bytes at the guest's RIP itself.
#pragma once
#include "tv/insn_decode.hpp"
#include "virt/vcpu.hpp"

namespace tv {

// Decodes the instruction at CS:RIP; kind Unknown if unreadable or unrecognised.
DecodedInsn decode_at_rip(const Vcpu& vcpu);
// Moves RIP past the instruction at CS:RIP, which the exit says is `expected`.
// Falls back to `fallback_length` (logged) if the bytes cannot be read or disagree.
void skip_instruction(Vcpu& vcpu, InsnKind expected, u8 fallback_length);

}  // namespace tv
