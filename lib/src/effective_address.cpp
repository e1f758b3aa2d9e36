// Effective-address arithmetic for decoded memory operands (AMD APM vol.3 §1.4).
#include "tv/effective_address.hpp"

namespace tv {
namespace {

// The sum is computed modulo 2^64 and then cut to the address size. Truncating only
// at the end is exact: the low 16/32 bits of a sum depend only on the low 16/32
// bits of its terms, so [BX+SI] wraps at 64 KiB just like the 16-bit adder.
u64 address_mask(u8 address_size) {
  switch (address_size) {
    case 2: return 0xFFFFull;
    case 4: return 0xFFFFFFFFull;
    default: return ~0ull;
  }
}

u64 reg_value(const u64 (&gpr)[16], u8 r) {
  return r < 16 ? gpr[r] : 0;
}

}  // namespace

u64 effective_address(const MemOperand& m, const u64 (&gpr)[16], u64 next_rip) {
  u64 ea = m.rip_relative ? next_rip : reg_value(gpr, m.base);
  if (m.index < 16) ea += gpr[m.index] * m.scale;
  ea += static_cast<u64>(m.disp);
  return ea & address_mask(m.address_size);
}

}  // namespace tv
