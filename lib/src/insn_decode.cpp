// Length decoder for intercepted instructions. Prefix rules: AMD APM vol.3 §1.2
// (legacy prefixes, REX); opcodes: AMD APM vol.3 Appendix A opcode maps.
#include "tv/insn_decode.hpp"

namespace tv {
namespace {

// Architectural maximum instruction length (AMD APM vol.3 §1.1); longer raises #GP.
constexpr usize kMaxInsnLength = 15;

bool is_legacy_prefix(u8 b) {
  switch (b) {
    case 0x66:
    case 0x67:  // operand / address size
    case 0xF0:
    case 0xF2:
    case 0xF3:  // lock / rep
    case 0x2E:
    case 0x36:
    case 0x3E:
    case 0x26:
    case 0x64:
    case 0x65:  // segment
      return true;
    default: return false;
  }
}

// 0F 01 /modrm: the SVM and related instructions are encoded as fixed ModRM bytes
// (AMD APM vol.3 Table A-8, group 7 with mod=11b).
InsnKind group7_kind(u8 modrm) {
  switch (modrm) {
    case 0xC1: return InsnKind::Vmcall;
    case 0xD8: return InsnKind::Vmrun;
    case 0xD9: return InsnKind::Vmmcall;
    case 0xDA: return InsnKind::Vmload;
    case 0xDB: return InsnKind::Vmsave;
    case 0xDC: return InsnKind::Stgi;
    case 0xDD: return InsnKind::Clgi;
    case 0xDE: return InsnKind::Skinit;
    case 0xDF: return InsnKind::Invlpga;
    case 0xF9: return InsnKind::Rdtscp;
    default: return InsnKind::Unknown;
  }
}

constexpr DecodedInsn kUnknown{InsnKind::Unknown, 0};

// REX bits (AMD APM vol.3 §1.2.7): W = 64-bit operand, R/X/B extend ModRM.reg,
// SIB.index and ModRM.rm/SIB.base.
constexpr u8 kRexW = 0x08;
constexpr u8 kRexR = 0x04;
constexpr u8 kRexX = 0x02;
constexpr u8 kRexB = 0x01;

// The prefix bytes that change how the rest of the instruction decodes.
struct Prefixes {
  usize length = 0;
  u8 rex = 0;                 // the effective REX byte, 0 when there is none
  bool operand_size = false;  // 66
  bool address_size = false;  // 67
  bool lock = false;          // F0
};

void note_legacy_prefix(u8 b, Prefixes& p) {
  if (b == 0x66) p.operand_size = true;
  if (b == 0x67) p.address_size = true;
  if (b == 0xF0) p.lock = true;
}

// Prefixes. In 64-bit mode 40-4F are REX; a REX that is not immediately before
// the opcode is ignored by the CPU (AMD APM vol.3 §1.2.7) but still occupies a byte,
// so it counts towards the length like any other prefix. Outside 64-bit mode those
// bytes are INC/DEC opcodes and end the prefix scan.
Prefixes scan_prefixes(const u8* bytes, usize limit, CpuMode mode) {
  Prefixes p;
  for (; p.length < limit; ++p.length) {
    const u8 b = bytes[p.length];
    if (mode == CpuMode::Long64 && (b & 0xF0) == 0x40) {
      p.rex = b;
    } else if (is_legacy_prefix(b)) {
      p.rex = 0;  // a later legacy prefix voids an earlier REX
      note_legacy_prefix(b, p);
    } else {
      break;
    }
  }
  return p;
}

// Effective address size (AMD APM vol.3 §1.2.3): 67 toggles 16<->32 in legacy and
// compatibility modes and selects 32 bits in 64-bit mode.
u8 address_size(CpuMode mode, bool prefix67) {
  switch (mode) {
    case CpuMode::Long64: return prefix67 ? 4 : 8;
    case CpuMode::Prot32: return prefix67 ? 2 : 4;
    default: return prefix67 ? 4 : 2;
  }
}

// Effective operand size of a non-byte opcode whose default is 32 bits (AMD APM
// vol.3 §1.2.2): REX.W selects 64 bits and wins over 66, which toggles 16<->32.
u8 operand_size(CpuMode mode, const Prefixes& p) {
  if (mode == CpuMode::Long64 && (p.rex & kRexW) != 0) return 8;
  const bool default16 = mode == CpuMode::Real16 || mode == CpuMode::Prot16;
  return default16 != p.operand_size ? 2 : 4;
}

u8 rex_bit(u8 rex, u8 bit) {
  return (rex & bit) != 0 ? 8 : 0;
}

// Bounded little-endian reader over the instruction window: a read that would cross
// `limit` fails, so a truncated instruction is rejected instead of over-read.
struct Cursor {
  const u8* bytes;
  usize limit;
  usize pos;

  bool read(usize n, u64& out) {
    if (n > limit - pos) return false;
    u64 v = 0;
    for (usize k = 0; k < n; ++k) v |= u64{bytes[pos + k]} << (8 * k);
    pos += n;
    out = v;
    return true;
  }
  bool skip(usize n) {
    u64 ignored;
    return read(n, ignored);
  }
};

// n is 1, 2 or 4: displacements and imm32 are two's complement of that width.
i64 sign_extend(u64 v, usize n) {
  const unsigned shift = static_cast<unsigned>(64 - 8 * n);
  return static_cast<i64>(v << shift) >> shift;
}

bool read_disp(Cursor& c, usize n, MemOperand& m) {
  if (n == 0) return true;
  u64 v;
  if (!c.read(n, v)) return false;
  m.disp = sign_extend(v, n);
  return true;
}

// 16-bit addressing (AMD APM vol.3 §1.4, Appendix A.4): rm picks one of eight fixed
// BX/BP/SI/DI combinations; mod=00 rm=110 is a bare disp16 instead of [BP].
bool decode_mem16(Cursor& c, u8 mod, u8 rm, MemOperand& m) {
  static constexpr u8 kBase[8] = {3, 3, 5, 5, 6, 7, 5, 3};
  static constexpr u8 kIndex[8] = {6, 7, 6, 7, kNoReg, kNoReg, kNoReg, kNoReg};
  m.base = kBase[rm];
  m.index = kIndex[rm];
  usize disp = mod == 1 ? 1 : mod == 2 ? 2 : 0;
  if (mod == 0 && rm == 6) {
    m.base = kNoReg;
    disp = 2;
  }
  return read_disp(c, disp, m);
}

// SIB (AMD APM vol.3 §1.4.2): index 100b without REX.X means no index; base 101b
// with mod=00 means no base and a disp32, whatever REX.B says.
bool decode_sib(Cursor& c, u8 mod, u8 rex, MemOperand& m, usize& disp) {
  u64 sib;
  if (!c.read(1, sib)) return false;
  m.scale = static_cast<u8>(1u << (sib >> 6));
  const u8 index = static_cast<u8>(((sib >> 3) & 7) | rex_bit(rex, kRexX));
  m.index = index == 4 ? kNoReg : index;
  if ((sib & 7) == 5 && mod == 0) {
    m.base = kNoReg;
    disp = 4;
  } else {
    m.base = static_cast<u8>((sib & 7) | rex_bit(rex, kRexB));
  }
  return true;
}

// 32/64-bit addressing (AMD APM vol.3 §1.4): rm=100b brings a SIB byte; mod=00
// rm=101b is a disp32, RIP-relative in 64-bit mode ("RIP-Relative Addressing").
// Both escapes ignore REX.B, so r12/r13 need the longer forms.
bool decode_mem32(Cursor& c, u8 mod, u8 rm, u8 rex, bool long_mode, MemOperand& m) {
  usize disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
  if (rm == 4) {
    if (!decode_sib(c, mod, rex, m, disp)) return false;
  } else if (mod == 0 && rm == 5) {
    m.rip_relative = long_mode;
    disp = 4;
  } else {
    m.base = static_cast<u8>(rm | rex_bit(rex, kRexB));
  }
  return read_disp(c, disp, m);
}

// Reads ModRM and everything its addressing form implies (SIB, displacement).
// Register forms fill d.rm; memory forms fill d.mem. Returns the raw ModRM byte.
bool decode_modrm(Cursor& c, CpuMode mode, const Prefixes& p, DecodedInsn& d, u8& modrm) {
  u64 b;
  if (!c.read(1, b)) return false;
  modrm = static_cast<u8>(b);
  const u8 mod = modrm >> 6;
  const u8 rm = modrm & 7;
  d.reg = static_cast<u8>(((modrm >> 3) & 7) | rex_bit(p.rex, kRexR));
  if (mod == 3) {
    d.rm = static_cast<u8>(rm | rex_bit(p.rex, kRexB));
    return true;
  }
  d.has_memory = true;
  d.mem.address_size = address_size(mode, p.address_size);
  if (d.mem.address_size == 2) return decode_mem16(c, mod, rm, d.mem);
  return decode_mem32(c, mod, rm, p.rex, mode == CpuMode::Long64, d.mem);
}

InsnKind crdr_kind(u8 op) {
  switch (op) {
    case 0x20: return InsnKind::MovFromCr;
    case 0x21: return InsnKind::MovFromDr;
    case 0x22: return InsnKind::MovToCr;
    default: return InsnKind::MovToDr;
  }
}

// MOV CRn/DRn (0F 20-23, AMD APM vol.3 "MOV CRn", "MOV DRn"): mod is ignored and rm
// always names a GPR, so no SIB or displacement follows. The operand is 64 bits in
// 64-bit mode and 32 bits otherwise, prefixes notwithstanding. LOCK on MOV CRn is
// AMD's alternate encoding of CR8+n for code outside 64-bit mode (CPUID AltMovCr8).
bool decode_mov_crdr(Cursor& c, u8 op, CpuMode mode, const Prefixes& p, DecodedInsn& d) {
  u64 modrm;
  if (!c.read(1, modrm)) return false;
  d.reg = static_cast<u8>(((modrm >> 3) & 7) | rex_bit(p.rex, kRexR));
  d.rm = static_cast<u8>((modrm & 7) | rex_bit(p.rex, kRexB));
  d.operand_size = mode == CpuMode::Long64 ? 8 : 4;
  d.kind = crdr_kind(op);
  if (p.lock && (op == 0x20 || op == 0x22)) d.reg |= 8;
  return true;
}

// 0F 01 (group 7, AMD APM vol.3 Table A-8): the SVM instructions and RDTSCP are fixed
// mod=11b ModRM bytes; /6 is LMSW, with a register (ModRM F0-F7) or memory source.
// Other memory forms (LGDT, LIDT, INVLPG, ...) stay Unknown.
bool decode_group7(Cursor& c, CpuMode mode, const Prefixes& p, DecodedInsn& d) {
  if (c.pos >= c.limit) return false;
  const InsnKind fixed = group7_kind(c.bytes[c.pos]);
  if (fixed != InsnKind::Unknown) {
    d.kind = fixed;
    return c.skip(1);
  }
  if (((c.bytes[c.pos] >> 3) & 7) != 6) return false;
  u8 modrm;
  if (!decode_modrm(c, mode, p, d, modrm)) return false;
  d.kind = InsnKind::Lmsw;
  d.reg = 6;
  d.operand_size = 2;  // LMSW always takes a 16-bit source
  return true;
}

// Two-byte opcodes, AMD APM vol.3 Table A-2.
bool decode_0f(Cursor& c, CpuMode mode, const Prefixes& p, DecodedInsn& d) {
  u64 op;
  if (!c.read(1, op)) return false;
  switch (op) {
    case 0xA2: d.kind = InsnKind::Cpuid; return true;
    case 0x32: d.kind = InsnKind::Rdmsr; return true;
    case 0x30: d.kind = InsnKind::Wrmsr; return true;
    case 0x31: d.kind = InsnKind::Rdtsc; return true;
    case 0x06: d.kind = InsnKind::Clts; return true;
    case 0x01: return decode_group7(c, mode, p, d);
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23: return decode_mov_crdr(c, static_cast<u8>(op), mode, p, d);
    default: return false;
  }
}

// 86/87 XCHG and 88/89 MOV r/m, reg (AMD APM vol.3 Table A-1). Only memory forms are
// decoded: a register-to-register form never causes a memory intercept. Even opcodes
// are the byte forms, where reg 4-7 without any REX means AH, CH, DH, BH (§1.2.7).
bool decode_store(Cursor& c, u8 op, CpuMode mode, const Prefixes& p, DecodedInsn& d) {
  u8 modrm;
  if (!decode_modrm(c, mode, p, d, modrm) || !d.has_memory) return false;
  const bool byte_op = (op & 1) == 0;
  d.operand_size = byte_op ? 1 : operand_size(mode, p);
  d.high_byte = byte_op && p.rex == 0 && d.reg >= 4;
  d.kind = op >= 0x88 ? InsnKind::MovStore : InsnKind::Xchg;
  return true;
}

// C6 /0 ib and C7 /0 iw/id: MOV r/m, imm (AMD APM vol.3 Table A-6, group 11). With a
// 64-bit operand the immediate is still 32 bits, sign-extended (AMD APM vol.3 "MOV").
bool decode_store_imm(Cursor& c, u8 op, CpuMode mode, const Prefixes& p, DecodedInsn& d) {
  u8 modrm;
  if (!decode_modrm(c, mode, p, d, modrm) || !d.has_memory || ((modrm >> 3) & 7) != 0) return false;
  d.reg = 0;
  d.operand_size = op == 0xC6 ? 1 : operand_size(mode, p);
  const usize imm_bytes = d.operand_size == 8 ? 4 : d.operand_size;
  u64 imm;
  if (!c.read(imm_bytes, imm)) return false;
  d.immediate = d.operand_size == 8 ? static_cast<u64>(sign_extend(imm, 4)) : imm;
  d.kind = InsnKind::MovStoreImm;
  return true;
}

// IN/OUT: even opcodes move AL; odd ones eAX, 16 or 32 bits by 66 (there is no 64-bit
// form, so REX.W is ignored; AMD APM vol.3 "IN", "OUT"). E4-E7 carry an imm8 port.
bool decode_io(Cursor& c, u8 op, CpuMode mode, const Prefixes& p, DecodedInsn& d) {
  d.kind = (op & 2) != 0 ? InsnKind::Out : InsnKind::In;
  const bool default16 = mode == CpuMode::Real16 || mode == CpuMode::Prot16;
  d.operand_size = (op & 1) == 0 ? 1 : default16 != p.operand_size ? 2 : 4;
  return op < 0xEC ? c.skip(1) : true;
}

// One-byte opcodes, AMD APM vol.3 Table A-1.
bool decode_opcode(Cursor& c, CpuMode mode, const Prefixes& p, DecodedInsn& d) {
  u64 op;
  if (!c.read(1, op)) return false;
  const u8 b = static_cast<u8>(op);
  switch (b) {
    case 0xF4: d.kind = InsnKind::Hlt; return true;
    case 0xE4:
    case 0xE5:
    case 0xE6:
    case 0xE7:
    case 0xEC:
    case 0xED:
    case 0xEE:
    case 0xEF: return decode_io(c, b, mode, p, d);
    case 0x0F: return decode_0f(c, mode, p, d);
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89: return decode_store(c, b, mode, p, d);
    case 0xC6:
    case 0xC7: return decode_store_imm(c, b, mode, p, d);
    default: return false;
  }
}

}  // namespace

DecodedInsn decode_insn(const u8* bytes, usize avail, CpuMode mode) {
  if (bytes == nullptr) return kUnknown;
  // Everything we index must lie inside both the buffer and the 15-byte window.
  const usize limit = avail < kMaxInsnLength ? avail : kMaxInsnLength;
  const Prefixes p = scan_prefixes(bytes, limit, mode);
  Cursor c{bytes, limit, p.length};
  DecodedInsn d;
  if (!decode_opcode(c, mode, p, d) || d.kind == InsnKind::Unknown) return kUnknown;
  d.length = static_cast<u8>(c.pos);
  return d;
}

const char* to_string(InsnKind k) {
  switch (k) {
    case InsnKind::Unknown: return "unknown";
    case InsnKind::Cpuid: return "cpuid";
    case InsnKind::Rdmsr: return "rdmsr";
    case InsnKind::Wrmsr: return "wrmsr";
    case InsnKind::Vmmcall: return "vmmcall";
    case InsnKind::Vmcall: return "vmcall";
    case InsnKind::Vmrun: return "vmrun";
    case InsnKind::Vmload: return "vmload";
    case InsnKind::Vmsave: return "vmsave";
    case InsnKind::Stgi: return "stgi";
    case InsnKind::Clgi: return "clgi";
    case InsnKind::Skinit: return "skinit";
    case InsnKind::Invlpga: return "invlpga";
    case InsnKind::Hlt: return "hlt";
    case InsnKind::Rdtsc: return "rdtsc";
    case InsnKind::Rdtscp: return "rdtscp";
    case InsnKind::In: return "in";
    case InsnKind::Out: return "out";
    case InsnKind::MovToCr: return "mov_to_cr";
    case InsnKind::MovFromCr: return "mov_from_cr";
    case InsnKind::MovToDr: return "mov_to_dr";
    case InsnKind::MovFromDr: return "mov_from_dr";
    case InsnKind::Lmsw: return "lmsw";
    case InsnKind::Clts: return "clts";
    case InsnKind::MovStore: return "mov_store";
    case InsnKind::MovStoreImm: return "mov_store_imm";
    case InsnKind::Xchg: return "xchg";
  }
  return "unknown";
}

}  // namespace tv
