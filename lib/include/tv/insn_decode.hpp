// Minimal x86 length decoder for the instructions SVM intercepts.
// QEMU TCG's SVM does not implement next-RIP save (AMD APM vol.2 §15.7.1), so the
// VMM must compute the length of an intercepted instruction itself to skip it.
#pragma once
#include "tv/effective_address.hpp"
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
  MovToCr,      // 0F 22 /r: reg = CRn, rm = source GPR
  MovFromCr,    // 0F 20 /r: reg = CRn, rm = destination GPR
  MovToDr,      // 0F 23 /r: reg = DRn, rm = source GPR
  MovFromDr,    // 0F 21 /r: reg = DRn, rm = destination GPR
  Lmsw,         // 0F 01 /6: register (rm) or memory (mem) source, 16-bit
  Clts,         // 0F 06
  MovStore,     // 88 /r, 89 /r to memory: reg = source GPR
  MovStoreImm,  // C6 /0 ib, C7 /0 iw/id to memory: immediate
  Xchg,         // 86 /r, 87 /r with memory: reg = the GPR exchanged
};

struct DecodedInsn {
  InsnKind kind = InsnKind::Unknown;
  u8 length = 0;        // length includes prefixes; 0 when kind == Unknown
  u8 operand_size = 0;  // bytes (1, 2, 4, 8); 0 for kinds without a sized data operand
  // ModRM.reg with REX.R: CRn/DRn for MOV CR/DR (LOCK MOV CRn already folded into
  // CR8+n), GPR 0-15 for MovStore/Xchg. /digit forms (Lmsw, MovStoreImm) hold the digit.
  u8 reg = 0;
  u8 rm = 0;                // ModRM.rm with REX.B, register forms only (has_memory false)
  bool high_byte = false;   // 8-bit reg operand names AH, CH, DH or BH (reg 4-7, no REX)
  bool has_memory = false;  // ModRM.mod != 11b; mem is then valid
  u64 immediate = 0;        // MovStoreImm: value already sign-extended to operand_size
  MemOperand mem{};
};

enum class CpuMode : u8 { Real16, Prot16, Prot32, Long64 };

// Decodes the instruction at bytes[0..avail). Never reads past `avail` or beyond the
// architectural 15-byte limit; anything not in the supported set, or not fitting in
// the window, is {Unknown, 0} with every other field at its default.
DecodedInsn decode_insn(const u8* bytes, usize avail, CpuMode mode);
const char* to_string(InsnKind);

}  // namespace tv
