#include "virt/instruction.hpp"

#include "kernel/log.hpp"
#include "virt/guest_memory.hpp"

namespace tv {

DecodedInsn decode_at_rip(const Vcpu& vcpu) {
  CpuMode mode = vcpu.cpu_mode();
  u64 linear = vcpu.rip();
  if (mode != CpuMode::Long64) linear = (vcpu.segment_cs().base + linear) & 0xFFFFFFFFull;
  u8 bytes[15];
  usize avail = sizeof bytes;
  if (!read_guest_virtual(vcpu, linear, bytes, avail).ok()) {
    // The 15-byte window may reach into an unmapped page after a short
    // instruction: fall back to byte by byte.
    avail = 0;
    while (avail < sizeof bytes && read_guest_virtual(vcpu, linear + avail, &bytes[avail], 1).ok()) ++avail;
  }
  return decode_insn(bytes, avail, mode);
}

void skip_instruction(Vcpu& vcpu, InsnKind expected, u8 fallback_length) {
  DecodedInsn d = decode_at_rip(vcpu);
  if (d.kind != expected || d.length == 0) {
    TV_LOG_GUEST("warning: expected %s at rip %lx, decoded %s; assuming %u bytes", to_string(expected), vcpu.rip(),
                 to_string(d.kind), unsigned(fallback_length));
    vcpu.advance_rip(fallback_length);
    return;
  }
  vcpu.advance_rip(d.length);
}

}  // namespace tv
