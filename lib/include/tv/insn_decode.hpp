// Minimal x86 length decoder for the instructions SVM intercepts.
// QEMU TCG's SVM does not implement next-RIP save (AMD APM vol.2 §15.7.1), so the
// VMM must compute the length of an intercepted instruction itself to skip it.
#pragma once
#include "tv/types.hpp"

namespace tv {

enum class InsnKind : u8 {
  Unknown,
  Cpuid,
  Rdmsr,
  Wrmsr,
  Vmmcall,
  Vmcall,
  Vmrun,
  Vmload,
  Vmsave,
  Stgi,
  Clgi,
  Skinit,
  Invlpga,
  Hlt,
  Rdtsc,
  Rdtscp,
  In,
  Out,
};

struct DecodedInsn {
  InsnKind kind;
  u8 length;  // length includes prefixes; 0 when kind == Unknown
};

enum class CpuMode : u8 { Real16, Prot16, Prot32, Long64 };

// Decodes the instruction at bytes[0..avail). Never reads past `avail` or beyond the
// architectural 15-byte limit; anything not in the supported set is {Unknown, 0}.
DecodedInsn decode_insn(const u8* bytes, usize avail, CpuMode mode);
const char* to_string(InsnKind);

}  // namespace tv
