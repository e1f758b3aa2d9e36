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

}  // namespace

DecodedInsn decode_insn(const u8* bytes, usize avail, CpuMode mode) {
  if (bytes == nullptr) return kUnknown;
  // Everything we index must lie inside both the buffer and the 15-byte window.
  const usize limit = avail < kMaxInsnLength ? avail : kMaxInsnLength;

  usize i = 0;
  // Prefixes. In 64-bit mode 40-4F are REX; a REX that is not immediately before
  // the opcode is ignored by the CPU (AMD APM vol.3 §1.2.7) but still occupies a byte,
  // so it counts towards the length like any other prefix. Outside 64-bit mode those
  // bytes are INC/DEC opcodes and end the prefix scan.
  while (i < limit) {
    const u8 b = bytes[i];
    const bool rex = mode == CpuMode::Long64 && (b & 0xF0) == 0x40;
    if (!is_legacy_prefix(b) && !rex) break;
    ++i;
  }
  if (i >= limit) return kUnknown;

  InsnKind kind = InsnKind::Unknown;
  usize len = 0;  // bytes from the opcode on
  const u8 op = bytes[i];
  switch (op) {
    case 0xF4:
      kind = InsnKind::Hlt;
      len = 1;
      break;
    case 0xE4:
    case 0xE5:
      kind = InsnKind::In;
      len = 2;
      break;  // IN AL/eAX, imm8
    case 0xE6:
    case 0xE7:
      kind = InsnKind::Out;
      len = 2;
      break;  // OUT imm8, AL/eAX
    case 0xEC:
    case 0xED:
      kind = InsnKind::In;
      len = 1;
      break;  // IN AL/eAX, DX
    case 0xEE:
    case 0xEF:
      kind = InsnKind::Out;
      len = 1;
      break;  // OUT DX, AL/eAX
    case 0x0F: {
      if (i + 1 >= limit) return kUnknown;
      switch (bytes[i + 1]) {
        case 0xA2:
          kind = InsnKind::Cpuid;
          len = 2;
          break;
        case 0x32:
          kind = InsnKind::Rdmsr;
          len = 2;
          break;
        case 0x30:
          kind = InsnKind::Wrmsr;
          len = 2;
          break;
        case 0x31:
          kind = InsnKind::Rdtsc;
          len = 2;
          break;
        case 0x01:
          if (i + 2 >= limit) return kUnknown;
          kind = group7_kind(bytes[i + 2]);
          len = 3;
          break;
        default: break;
      }
      break;
    }
    default: break;
  }
  if (kind == InsnKind::Unknown) return kUnknown;
  // Bytes at [i, i+len) must be inside the window (the imm8 of IN/OUT included).
  if (i + len > limit) return kUnknown;
  return DecodedInsn{kind, static_cast<u8>(i + len)};
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
  }
  return "unknown";
}

}  // namespace tv
