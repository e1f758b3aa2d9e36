// DR7's per-slot fields (AMD APM vol.2 §13.1.1.5 "Debug-Control Register
// (DR7)", Figure 13-4): Ln/Gn enable bits at 2n/2n+1, R/Wn at 16+4n, LENn at
// 18+4n.
#pragma once
#include "tv/types.hpp"

namespace tv {

inline constexpr u8 kBreakpointSlots = 4;

// R/Wn (APM vol.2 Table 13-3).
enum class BpType : u8 {
  Execute = 0,    // instruction fetch (a fault: RIP still at the instruction)
  Write = 1,      // data write (a trap)
  Io = 2,         // I/O read or write, only with CR4.DE
  ReadWrite = 3,  // data read or write, not fetch (a trap)
};
const char* to_string(BpType t);

struct BpSlot {
  bool enabled;  // Ln or Gn
  BpType type;
  u8 len;  // bytes covered: 1, 2, 4 or 8 (LEN 00, 01, 11, 10)
};

constexpr u64 dr7_enable_bits(u8 slot) {
  return 3ull << (2 * (slot & 3));
}
constexpr u64 dr7_control_bits(u8 slot) {
  return 0xFull << (16 + 4 * (slot & 3));
}
// LENn encodings (APM vol.2 Table 13-4): 00 = 1 byte, 01 = 2, 10 = 8 (long mode), 11 = 4.
constexpr u8 dr7_len_bytes(u8 code) {
  constexpr u8 kBytes[4] = {1, 2, 8, 4};
  return kBytes[code & 3];
}
constexpr u8 dr7_len_code(u8 bytes) {
  return bytes == 2 ? 1 : bytes == 8 ? 2 : bytes == 4 ? 3 : 0;
}

constexpr BpSlot decode_dr7_slot(u64 dr7, u8 slot) {
  const u8 field = u8((dr7 >> (16 + 4 * (slot & 3))) & 0xF);
  return {(dr7 & dr7_enable_bits(slot)) != 0, BpType(field & 3), dr7_len_bytes(u8(field >> 2))};
}

// Local enable (Ln) plus the slot's R/W and LEN fields.
constexpr u64 encode_dr7_slot(u8 slot, BpType type, u8 len_bytes) {
  const u64 field = u64(type) | (u64(dr7_len_code(len_bytes)) << 2);
  return (1ull << (2 * (slot & 3))) | (field << (16 + 4 * (slot & 3)));
}

// The bits of the slot's enable and control fields together.
constexpr u64 dr7_slot_bits(u8 slot) {
  return dr7_enable_bits(slot) | dr7_control_bits(slot);
}

}  // namespace tv
