// Memory operand of a decoded instruction and its effective address.
// Addressing forms: AMD APM vol.3 §1.4 (ModRM, SIB, RIP-relative) and Appendix A.4.
#pragma once
#include "tv/types.hpp"

namespace tv {

// Register slot of a MemOperand that the addressing form does not use.
constexpr u8 kNoReg = 0xFF;

// base + index * scale + disp, or next_rip + disp when rip_relative. Registers are
// GPR numbers 0-15 in the usual order (rAX, rCX, rDX, rBX, rSP, rBP, rSI, rDI, r8-r15).
// 16-bit addressing is expressed in the same terms: [BX+SI+d] is base 3, index 6.
struct MemOperand {
  u8 base = kNoReg;
  u8 index = kNoReg;
  u8 scale = 1;  // 1, 2, 4 or 8 as encoded in SIB (meaningless without index)
  i64 disp = 0;  // already sign-extended from disp8/16/32
  bool rip_relative = false;
  u8 address_size = 8;  // bytes: 2, 4 or 8; the effective address wraps at this width
};

// Offset within the segment (segment base not added), truncated to m.address_size.
// next_rip is the address of the following instruction, the base of RIP-relative
// operands; with a 67 prefix the RIP-relative sum is cut to 32 bits like any other
// (AMD APM vol.1 §2.2.5).
u64 effective_address(const MemOperand& m, const u64 (&gpr)[16], u64 next_rip);

}  // namespace tv
