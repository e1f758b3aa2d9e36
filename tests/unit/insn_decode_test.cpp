// Length decoder tests for intercepted instructions.
#include "tv/insn_decode.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tv/effective_address.hpp"

namespace {

using tv::CpuMode;
using tv::DecodedInsn;
using tv::i64;
using tv::InsnKind;
using tv::kNoReg;
using tv::MemOperand;
using tv::u64;
using tv::u8;

constexpr CpuMode kAllModes[] = {CpuMode::Real16, CpuMode::Prot16, CpuMode::Prot32, CpuMode::Long64};

DecodedInsn decode(const std::vector<u8>& b, CpuMode m = CpuMode::Long64) {
  return tv::decode_insn(b.data(), b.size(), m);
}

void expect(const DecodedInsn& d, InsnKind k, unsigned len) {
  EXPECT_EQ(d.kind, k) << "got " << tv::to_string(d.kind) << ", want " << tv::to_string(k);
  EXPECT_EQ(d.length, len);
}

void expect_unknown(const DecodedInsn& d) {
  expect(d, InsnKind::Unknown, 0);
}

struct Case {
  std::vector<u8> bytes;
  InsnKind kind;
};

const std::vector<Case>& all_opcodes() {
  static const std::vector<Case> cases = {
      {{0x0F, 0xA2}, InsnKind::Cpuid},
      {{0x0F, 0x32}, InsnKind::Rdmsr},
      {{0x0F, 0x30}, InsnKind::Wrmsr},
      {{0x0F, 0x31}, InsnKind::Rdtsc},
      {{0x0F, 0x01, 0xF9}, InsnKind::Rdtscp},
      {{0x0F, 0x01, 0xD9}, InsnKind::Vmmcall},
      {{0x0F, 0x01, 0xC1}, InsnKind::Vmcall},
      {{0x0F, 0x01, 0xD8}, InsnKind::Vmrun},
      {{0x0F, 0x01, 0xDA}, InsnKind::Vmload},
      {{0x0F, 0x01, 0xDB}, InsnKind::Vmsave},
      {{0x0F, 0x01, 0xDC}, InsnKind::Stgi},
      {{0x0F, 0x01, 0xDD}, InsnKind::Clgi},
      {{0x0F, 0x01, 0xDE}, InsnKind::Skinit},
      {{0x0F, 0x01, 0xDF}, InsnKind::Invlpga},
      {{0xF4}, InsnKind::Hlt},
      {{0xE4, 0x60}, InsnKind::In},
      {{0xE5, 0x71}, InsnKind::In},
      {{0xE6, 0x80}, InsnKind::Out},
      {{0xE7, 0xF0}, InsnKind::Out},
      {{0xEC}, InsnKind::In},
      {{0xED}, InsnKind::In},
      {{0xEE}, InsnKind::Out},
      {{0xEF}, InsnKind::Out},
  };
  return cases;
}

TEST(InsnDecode, EveryOpcodeInEveryMode) {
  for (CpuMode m : kAllModes) {
    for (const Case& c : all_opcodes()) {
      SCOPED_TRACE(tv::to_string(c.kind));
      expect(decode(c.bytes, m), c.kind, static_cast<unsigned>(c.bytes.size()));
    }
  }
}

TEST(InsnDecode, TrailingBytesAreNotPartOfTheInstruction) {
  for (const Case& c : all_opcodes()) {
    std::vector<u8> b = c.bytes;
    b.insert(b.end(), {0x90, 0x90, 0x0F, 0xA2});
    expect(decode(b), c.kind, static_cast<unsigned>(c.bytes.size()));
  }
}

TEST(InsnDecode, UnknownOpcodes) {
  expect_unknown(decode({0x90}));
  expect_unknown(decode({0x0F, 0x05}));        // syscall
  expect_unknown(decode({0x0F, 0x01, 0xD0}));  // xgetbv
  expect_unknown(decode({0x0F, 0x01, 0x10}));  // lgdt [rax] (memory form)
  expect_unknown(decode({0xCC}));
  expect_unknown(decode({0x0F, 0x0B}));  // ud2
}

TEST(InsnDecode, LegacyPrefixesCountTowardsLength) {
  for (u8 p : {0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65}) {
    for (CpuMode m : kAllModes) {
      expect(decode({p, 0x0F, 0xA2}, m), InsnKind::Cpuid, 3);
      expect(decode({p, 0xE5, 0x40}, m), InsnKind::In, 3);
    }
  }
  expect(decode({0x67, 0x0F, 0x01, 0xD8}, CpuMode::Prot32), InsnKind::Vmrun, 4);  // vmrun ax
  expect(decode({0x66, 0xEF}, CpuMode::Real16), InsnKind::Out, 2);                // out dx, eax
  expect(decode({0xF3, 0x2E, 0x66, 0x67, 0xF4}, CpuMode::Prot32), InsnKind::Hlt, 5);
}

TEST(InsnDecode, RexOnlyIn64BitMode) {
  for (u8 rex = 0x40; rex <= 0x4F; ++rex) {
    expect(decode({rex, 0x0F, 0x32}, CpuMode::Long64), InsnKind::Rdmsr, 3);
    // Outside 64-bit mode 40-4F are INC/DEC, not prefixes.
    expect_unknown(decode({rex, 0x0F, 0x32}, CpuMode::Prot32));
    expect_unknown(decode({rex, 0x0F, 0x32}, CpuMode::Prot16));
    expect_unknown(decode({rex, 0x0F, 0x32}, CpuMode::Real16));
  }
  expect(decode({0x66, 0x48, 0xE7, 0x12}, CpuMode::Long64), InsnKind::Out, 4);
}

TEST(InsnDecode, TruncatedBuffer) {
  for (const Case& c : all_opcodes()) {
    for (std::size_t n = 0; n < c.bytes.size(); ++n) {
      expect_unknown(tv::decode_insn(c.bytes.data(), n, CpuMode::Long64));
    }
  }
  expect_unknown(decode({0x66, 0xF3}));  // prefixes only
  expect_unknown(decode({0x48}));
  expect_unknown(tv::decode_insn(nullptr, 0, CpuMode::Long64));
}

TEST(InsnDecode, NeverReadsPastAvail) {
  // Bytes beyond `avail` would complete a valid instruction if the decoder peeked.
  const u8 buf[] = {0x66, 0x0F, 0x01, 0xD9, 0xE4, 0x00};
  expect_unknown(tv::decode_insn(buf, 3, CpuMode::Long64));
  expect(tv::decode_insn(buf, 4, CpuMode::Long64), InsnKind::Vmmcall, 4);
  expect_unknown(tv::decode_insn(buf + 4, 1, CpuMode::Long64));  // imm8 missing
}

TEST(InsnDecode, FifteenByteLimit) {
  // 13 prefixes + 0F A2 = 15 bytes: valid.
  std::vector<u8> b(13, 0x2E);
  b.insert(b.end(), {0x0F, 0xA2});
  expect(decode(b, CpuMode::Prot32), InsnKind::Cpuid, 15);
  // 14 prefixes + 0F A2 = 16 bytes: #GP on hardware, Unknown here.
  b.insert(b.begin(), 0x3E);
  expect_unknown(decode(b, CpuMode::Prot32));
  // 13 prefixes + IN imm8 = 15; 14 prefixes + IN imm8 = 16.
  std::vector<u8> in(13, 0x66);
  in.insert(in.end(), {0xE4, 0x80});
  expect(decode(in), InsnKind::In, 15);
  in.insert(in.begin(), 0x66);
  expect_unknown(decode(in));
  // 12 prefixes + REX + 0F 01 D9 = 16 bytes.
  std::vector<u8> vmm(12, 0x66);
  vmm.insert(vmm.end(), {0x48, 0x0F, 0x01, 0xD9});
  expect_unknown(decode(vmm));
  vmm.erase(vmm.begin());
  expect(decode(vmm), InsnKind::Vmmcall, 15);
  // A long run of prefixes must not be scanned past 15 bytes.
  std::vector<u8> many(64, 0x66);
  expect_unknown(decode(many));
}

TEST(InsnDecode, KindNames) {
  EXPECT_STREQ(tv::to_string(InsnKind::Cpuid), "cpuid");
  EXPECT_STREQ(tv::to_string(InsnKind::Vmmcall), "vmmcall");
  EXPECT_STREQ(tv::to_string(InsnKind::Unknown), "unknown");
  for (const Case& c : all_opcodes()) {
    EXPECT_GT(std::strlen(tv::to_string(c.kind)), 0u);
  }
}

// ---- ModRM-based kinds: MOV CR/DR, LMSW, CLTS, stores to memory ----

MemOperand mem(u8 base, u8 index, u8 scale, i64 disp, bool rip, u8 address_size) {
  MemOperand m;
  m.base = base;
  m.index = index;
  m.scale = scale;
  m.disp = disp;
  m.rip_relative = rip;
  m.address_size = address_size;
  return m;
}

void expect_mem(const MemOperand& got, const MemOperand& want) {
  EXPECT_EQ(got.base, want.base);
  EXPECT_EQ(got.index, want.index);
  EXPECT_EQ(got.scale, want.scale);
  EXPECT_EQ(got.disp, want.disp);
  EXPECT_EQ(got.rip_relative, want.rip_relative);
  EXPECT_EQ(got.address_size, want.address_size);
}

// A register-operand instruction: MOV CR/DR, LMSW reg.
struct RegCase {
  std::vector<u8> bytes;
  CpuMode mode;
  InsnKind kind;
  u8 operand_size;
  u8 reg;
  u8 rm;
};

const std::vector<RegCase>& reg_cases() {
  static const std::vector<RegCase> cases = {
      // 0F 22 /r, ModRM D8 = 11 011 000: mov cr3, rax.
      {{0x0F, 0x22, 0xD8}, CpuMode::Long64, InsnKind::MovToCr, 8, 3, 0},
      // REX.R extends reg: mov cr8, rax.
      {{0x44, 0x0F, 0x22, 0xC0}, CpuMode::Long64, InsnKind::MovToCr, 8, 8, 0},
      // LOCK mov cr0, eax is AMD's CR8 in 32-bit code.
      {{0xF0, 0x0F, 0x22, 0xC0}, CpuMode::Prot32, InsnKind::MovToCr, 4, 8, 0},
      {{0xF0, 0x0F, 0x20, 0xC1}, CpuMode::Prot32, InsnKind::MovFromCr, 4, 8, 1},  // mov ecx, cr8
      // 0F 20 E0 = 11 100 000: mov rax, cr4.
      {{0x0F, 0x20, 0xE0}, CpuMode::Long64, InsnKind::MovFromCr, 8, 4, 0},
      // REX.B extends rm: mov r15, cr0.
      {{0x41, 0x0F, 0x20, 0xC7}, CpuMode::Long64, InsnKind::MovFromCr, 8, 0, 15},
      // mod is ignored: 18 = 00 011 000 is still mov cr3, rax, and 05 takes no disp32.
      {{0x0F, 0x22, 0x18}, CpuMode::Long64, InsnKind::MovToCr, 8, 3, 0},
      {{0x0F, 0x22, 0x05}, CpuMode::Long64, InsnKind::MovToCr, 8, 0, 5},
      // 66 does not change the operand size of MOV CRn.
      {{0x66, 0x0F, 0x20, 0xC0}, CpuMode::Prot32, InsnKind::MovFromCr, 4, 0, 0},
      {{0x0F, 0x22, 0xC0}, CpuMode::Real16, InsnKind::MovToCr, 4, 0, 0},
      // 0F 23 F8 = 11 111 000: mov dr7, rax.
      {{0x0F, 0x23, 0xF8}, CpuMode::Long64, InsnKind::MovToDr, 8, 7, 0},
      // 0F 21 C1 = 11 000 001: mov ecx, dr0; LOCK does not remap DRs.
      {{0x0F, 0x21, 0xC1}, CpuMode::Prot32, InsnKind::MovFromDr, 4, 0, 1},
      {{0xF0, 0x0F, 0x23, 0xF8}, CpuMode::Prot32, InsnKind::MovToDr, 4, 7, 0},
      // 0F 01 /6 register form: F0 = lmsw ax, F3 = lmsw bx, REX.B + F6 = lmsw r14w.
      {{0x0F, 0x01, 0xF0}, CpuMode::Real16, InsnKind::Lmsw, 2, 6, 0},
      {{0x0F, 0x01, 0xF3}, CpuMode::Prot32, InsnKind::Lmsw, 2, 6, 3},
      {{0x41, 0x0F, 0x01, 0xF6}, CpuMode::Long64, InsnKind::Lmsw, 2, 6, 14},
  };
  return cases;
}

TEST(InsnDecode, RegisterOperandForms) {
  for (const RegCase& c : reg_cases()) {
    SCOPED_TRACE(testing::PrintToString(c.bytes));
    const DecodedInsn d = decode(c.bytes, c.mode);
    expect(d, c.kind, static_cast<unsigned>(c.bytes.size()));
    EXPECT_EQ(d.operand_size, c.operand_size);
    EXPECT_EQ(d.reg, c.reg);
    EXPECT_EQ(d.rm, c.rm);
    EXPECT_FALSE(d.has_memory);
    EXPECT_FALSE(d.high_byte);
  }
}

TEST(InsnDecode, CltsInEveryMode) {
  for (CpuMode m : kAllModes) {
    expect(decode({0x0F, 0x06}, m), InsnKind::Clts, 2);
    expect(decode({0x0F, 0x06, 0x0F, 0x06}, m), InsnKind::Clts, 2);
  }
}

TEST(InsnDecode, Group7KeepsFixedEncodings) {
  expect(decode({0x0F, 0x01, 0xF9}), InsnKind::Rdtscp, 3);
  expect(decode({0x0F, 0x01, 0xD8}), InsnKind::Vmrun, 3);
  expect_unknown(decode({0x0F, 0x01, 0xF8}));  // swapgs: /7
  expect_unknown(decode({0x0F, 0x01, 0x38}));  // invlpg [rax]: /7 memory
  expect_unknown(decode({0x0F, 0x01, 0xE0}));  // smsw eax: /4
}

// A memory-operand instruction.
struct MemCase {
  std::vector<u8> bytes;
  CpuMode mode;
  InsnKind kind;
  unsigned length;  // may be shorter than bytes: the rest is the next instruction
  u8 operand_size;
  u8 reg;
  bool high_byte;
  MemOperand mem;
  u64 immediate;
};

const std::vector<MemCase>& mem_cases() {
  constexpr auto L = CpuMode::Long64;
  constexpr auto P32 = CpuMode::Prot32;
  constexpr auto R16 = CpuMode::Real16;
  constexpr auto P16 = CpuMode::Prot16;
  constexpr auto St = InsnKind::MovStore;
  constexpr auto Imm = InsnKind::MovStoreImm;
  constexpr u8 N = kNoReg;
  static const std::vector<MemCase> cases = {
      // mov [0xfee00300], eax: SIB 25 = no index, no base (mod=00 base=101), disp32
      // sign-extended to 64 bits in long mode.
      {{0x89, 0x04, 0x25, 0x00, 0x03, 0xE0, 0xFE}, L, St, 7, 4, 0, false, mem(N, N, 1, -0x11FFD00, false, 8), 0},
      {{0x89, 0x04, 0x25, 0x00, 0x03, 0xE0, 0xFE}, P32, St, 7, 4, 0, false, mem(N, N, 1, -0x11FFD00, false, 4), 0},
      // mov dword [rip+0x10], 0x12345678: disp32 then imm32.
      {{0xC7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12},
       L,
       Imm,
       10,
       4,
       0,
       false,
       mem(N, N, 1, 0x10, true, 8),
       0x12345678},
      // The same bytes outside long mode are an absolute disp32.
      {{0xC7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12},
       P32,
       Imm,
       10,
       4,
       0,
       false,
       mem(N, N, 1, 0x10, false, 4),
       0x12345678},
      // mov qword [rax], -1: imm32 sign-extended by REX.W; without it, 32 bits.
      {{0x48, 0xC7, 0x00, 0xFF, 0xFF, 0xFF, 0xFF}, L, Imm, 7, 8, 0, false, mem(0, N, 1, 0, false, 8), ~0ull},
      {{0xC7, 0x00, 0xFF, 0xFF, 0xFF, 0xFF}, L, Imm, 6, 4, 0, false, mem(0, N, 1, 0, false, 8), 0xFFFFFFFFull},
      {{0x48, 0xC7, 0x00, 0x00, 0x00, 0x00, 0x80},
       L,
       Imm,
       7,
       8,
       0,
       false,
       mem(0, N, 1, 0, false, 8),
       0xFFFFFFFF80000000ull},
      {{0x66, 0xC7, 0x00, 0x34, 0x12}, L, Imm, 5, 2, 0, false, mem(0, N, 1, 0, false, 8), 0x1234},
      {{0xC6, 0x00, 0xAB}, L, Imm, 3, 1, 0, false, mem(0, N, 1, 0, false, 8), 0xAB},
      // REX.W wins over 66.
      {{0x66, 0x48, 0xC7, 0x00, 0x01, 0x00, 0x00, 0x00}, L, Imm, 8, 8, 0, false, mem(0, N, 1, 0, false, 8), 1},
      // mov [rax], cx.
      {{0x66, 0x89, 0x08}, L, St, 3, 2, 1, false, mem(0, N, 1, 0, false, 8), 0},
      // A REX followed by 66 is ignored: 16-bit, not 64-bit.
      {{0x48, 0x66, 0x89, 0x08}, L, St, 4, 2, 1, false, mem(0, N, 1, 0, false, 8), 0},
      // mov [rax], ah (reg 4 without REX) vs mov [rax], spl (any REX) vs r12b.
      {{0x88, 0x20}, L, St, 2, 1, 4, true, mem(0, N, 1, 0, false, 8), 0},
      {{0x40, 0x88, 0x20}, L, St, 3, 1, 4, false, mem(0, N, 1, 0, false, 8), 0},
      {{0x44, 0x88, 0x20}, L, St, 3, 1, 12, false, mem(0, N, 1, 0, false, 8), 0},
      {{0x88, 0x3B}, P32, St, 2, 1, 7, true, mem(3, N, 1, 0, false, 4), 0},   // mov [ebx], bh
      {{0x88, 0x18}, P32, St, 2, 1, 3, false, mem(0, N, 1, 0, false, 4), 0},  // mov [eax], bl
      // xchg [rbx], eax; xchg [rbx], al; xchg [rbx+8], r12 (REX.W+R, disp8).
      {{0x87, 0x03}, L, InsnKind::Xchg, 2, 4, 0, false, mem(3, N, 1, 0, false, 8), 0},
      {{0x86, 0x03}, L, InsnKind::Xchg, 2, 1, 0, false, mem(3, N, 1, 0, false, 8), 0},
      {{0x86, 0x23}, P32, InsnKind::Xchg, 2, 1, 4, true, mem(3, N, 1, 0, false, 4), 0},
      {{0x4C, 0x87, 0x63, 0x08}, L, InsnKind::Xchg, 4, 8, 12, false, mem(3, N, 1, 8, false, 8), 0},
      // 32/64-bit SIB forms: [ebx+ecx*4+0x10]; [rbp+rcx*8+0x100] (mod=10 base=101 is rBP).
      {{0x89, 0x44, 0x8B, 0x10}, P32, St, 4, 4, 0, false, mem(3, 1, 4, 0x10, false, 4), 0},
      {{0x89, 0x84, 0xCD, 0x00, 0x01, 0x00, 0x00}, L, St, 7, 4, 0, false, mem(5, 1, 8, 0x100, false, 8), 0},
      // No base: [index*2 + disp32]; index 100b is "none" without REX.X and r12 with it.
      {{0x89, 0x04, 0x65, 0x00, 0x10, 0x00, 0x00}, L, St, 7, 4, 0, false, mem(N, N, 2, 0x1000, false, 8), 0},
      {{0x42, 0x89, 0x04, 0x65, 0x00, 0x10, 0x00, 0x00}, L, St, 8, 4, 0, false, mem(N, 12, 2, 0x1000, false, 8), 0},
      // REX.B does not defeat the rm=100 (SIB) and mod=00 rm=101 (RIP) escapes.
      {{0x41, 0x89, 0x04, 0x24}, L, St, 4, 4, 0, false, mem(12, N, 1, 0, false, 8), 0},
      {{0x41, 0x89, 0x45, 0x00}, L, St, 4, 4, 0, false, mem(13, N, 1, 0, false, 8), 0},
      {{0x41, 0x89, 0x05, 0xF0, 0xFF, 0xFF, 0xFF}, L, St, 7, 4, 0, false, mem(N, N, 1, -0x10, true, 8), 0},
      // disp8 is sign-extended: [rax-0x80].
      {{0x89, 0x40, 0x80}, L, St, 3, 4, 0, false, mem(0, N, 1, -0x80, false, 8), 0},
      // 67 in long mode: 32-bit addressing, RIP-relative stays RIP-relative.
      {{0x67, 0x89, 0x05, 0x00, 0x10, 0x00, 0x00}, L, St, 7, 4, 0, false, mem(N, N, 1, 0x1000, true, 4), 0},
      {{0x67, 0x89, 0x04, 0x24}, L, St, 4, 4, 0, false, mem(4, N, 1, 0, false, 4), 0},
      // 32-bit mode without 67 has no RIP-relative form: absolute disp32.
      {{0x89, 0x05, 0x00, 0x10, 0x00, 0x00}, P32, St, 6, 4, 0, false, mem(N, N, 1, 0x1000, false, 4), 0},
      // 16-bit addressing: [bx], [bx+si], [bp-2], [disp16], [bx+disp16], [bp+di+disp8].
      {{0x89, 0x07}, R16, St, 2, 2, 0, false, mem(3, N, 1, 0, false, 2), 0},
      {{0x89, 0x07}, P16, St, 2, 2, 0, false, mem(3, N, 1, 0, false, 2), 0},
      {{0x66, 0x89, 0x07}, R16, St, 3, 4, 0, false, mem(3, N, 1, 0, false, 2), 0},
      {{0x89, 0x00}, R16, St, 2, 2, 0, false, mem(3, 6, 1, 0, false, 2), 0},
      {{0x89, 0x46, 0xFE}, R16, St, 3, 2, 0, false, mem(5, N, 1, -2, false, 2), 0},
      {{0x89, 0x06, 0x00, 0x80}, R16, St, 4, 2, 0, false, mem(N, N, 1, -0x8000, false, 2), 0},
      {{0x89, 0x87, 0x34, 0x12}, R16, St, 4, 2, 0, false, mem(3, N, 1, 0x1234, false, 2), 0},
      {{0x88, 0x63, 0x05}, R16, St, 3, 1, 4, true, mem(5, 7, 1, 5, false, 2), 0},  // mov [bp+di+5], ah
      // 16-bit mode with 67 uses 32-bit addressing and SIB: mov [esp], ax.
      {{0x67, 0x89, 0x04, 0x24}, R16, St, 4, 2, 0, false, mem(4, N, 1, 0, false, 4), 0},
      // 32-bit mode with 67 uses 16-bit addressing: 89 04 is mov [si], eax and the 24
      // byte belongs to the next instruction.
      {{0x67, 0x89, 0x04, 0x24}, P32, St, 3, 4, 0, false, mem(6, N, 1, 0, false, 2), 0},
      // mov word [0x1000], 0x1234 and its 66 form with imm32.
      {{0xC7, 0x06, 0x00, 0x10, 0x34, 0x12}, R16, Imm, 6, 2, 0, false, mem(N, N, 1, 0x1000, false, 2), 0x1234},
      {{0x66, 0xC7, 0x06, 0x00, 0x10, 0x78, 0x56, 0x34, 0x12},
       R16,
       Imm,
       9,
       4,
       0,
       false,
       mem(N, N, 1, 0x1000, false, 2),
       0x12345678},
      // LMSW memory forms: lmsw [rax]; lmsw [rsp] (SIB); lmsw [0x1234]; lmsw [eax+disp32].
      {{0x0F, 0x01, 0x30}, L, InsnKind::Lmsw, 3, 2, 6, false, mem(0, N, 1, 0, false, 8), 0},
      {{0x0F, 0x01, 0x34, 0x24}, L, InsnKind::Lmsw, 4, 2, 6, false, mem(4, N, 1, 0, false, 8), 0},
      {{0x0F, 0x01, 0x36, 0x34, 0x12}, R16, InsnKind::Lmsw, 5, 2, 6, false, mem(N, N, 1, 0x1234, false, 2), 0},
      {{0x0F, 0x01, 0xB0, 0x78, 0x56, 0x34, 0x12},
       P32,
       InsnKind::Lmsw,
       7,
       2,
       6,
       false,
       mem(0, N, 1, 0x12345678, false, 4),
       0},
  };
  return cases;
}

TEST(InsnDecode, MemoryOperandForms) {
  for (const MemCase& c : mem_cases()) {
    SCOPED_TRACE(testing::PrintToString(c.bytes) + " mode " + std::to_string(static_cast<int>(c.mode)));
    const DecodedInsn d = decode(c.bytes, c.mode);
    expect(d, c.kind, c.length);
    EXPECT_EQ(d.operand_size, c.operand_size);
    EXPECT_EQ(d.reg, c.reg);
    EXPECT_EQ(d.high_byte, c.high_byte);
    EXPECT_TRUE(d.has_memory);
    EXPECT_EQ(d.rm, 0);
    EXPECT_EQ(d.immediate, c.immediate);
    expect_mem(d.mem, c.mem);
  }
}

TEST(InsnDecode, EveryProperPrefixOfAnInstructionIsUnknown) {
  for (const MemCase& c : mem_cases()) {
    for (std::size_t n = 0; n < c.length; ++n) {
      SCOPED_TRACE(testing::PrintToString(c.bytes) + " avail " + std::to_string(n));
      const DecodedInsn d = tv::decode_insn(c.bytes.data(), n, c.mode);
      expect_unknown(d);
      // A failed decode must not leak half-filled fields.
      EXPECT_FALSE(d.has_memory);
      EXPECT_EQ(d.operand_size, 0);
      EXPECT_EQ(d.immediate, 0u);
    }
  }
  for (const RegCase& c : reg_cases()) {
    for (std::size_t n = 0; n < c.bytes.size(); ++n) {
      expect_unknown(tv::decode_insn(c.bytes.data(), n, c.mode));
    }
  }
  for (CpuMode m : kAllModes) expect_unknown(tv::decode_insn(std::vector<u8>{0x0F, 0x06}.data(), 1, m));
}

TEST(InsnDecode, RegisterToRegisterStoresAreUnknown) {
  expect_unknown(decode({0x89, 0xC0}));  // mov eax, eax
  expect_unknown(decode({0x88, 0xE0}));  // mov al, ah
  expect_unknown(decode({0x86, 0xC4}));  // xchg ah, al
  expect_unknown(decode({0x87, 0xD8}));  // xchg eax, ebx
  expect_unknown(decode({0xC6, 0xC0, 0x01}));
  expect_unknown(decode({0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00}));
  expect_unknown(decode({0x48, 0x89, 0xC0}, CpuMode::Long64));
  expect_unknown(decode({0x89, 0xC0}, CpuMode::Real16));
}

TEST(InsnDecode, StoreImmediateNeedsSlashZero) {
  expect_unknown(decode({0xC7, 0x08, 0x00, 0x00, 0x00, 0x00}));  // C7 /1
  expect_unknown(decode({0xC6, 0xF8, 0x00}));                    // xabort
  expect_unknown(decode({0xC7, 0xF8, 0x00, 0x00, 0x00, 0x00}));  // xbegin
}

TEST(InsnDecode, ModRmFormsRespectTheFifteenByteLimit) {
  // 3 prefixes + REX.W + C7 84 88 disp32 imm32 = 15 bytes: mov qword [rax+rcx*4+0x12345678], -0x21524111.
  std::vector<u8> b = {0x2E, 0x2E, 0x2E, 0x48, 0xC7, 0x84, 0x88, 0x78, 0x56, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE};
  const DecodedInsn d = decode(b);
  expect(d, InsnKind::MovStoreImm, 15);
  EXPECT_EQ(d.operand_size, 8);
  EXPECT_EQ(d.immediate, 0xFFFFFFFFDEADBEEFull);
  expect_mem(d.mem, mem(0, 1, 4, 0x12345678, false, 8));
  b.insert(b.begin(), 0x2E);
  expect_unknown(decode(b));
}

TEST(InsnDecode, NewFieldsForPortIo) {
  EXPECT_EQ(decode({0xE5, 0x60}).operand_size, 4);
  EXPECT_EQ(decode({0x66, 0xE5, 0x60}).operand_size, 2);
  EXPECT_EQ(decode({0x48, 0xED}).operand_size, 4);  // no 64-bit IN
  EXPECT_EQ(decode({0xEC}).operand_size, 1);
  EXPECT_EQ(decode({0xEF}, CpuMode::Real16).operand_size, 2);
  EXPECT_EQ(decode({0x66, 0xEF}, CpuMode::Real16).operand_size, 4);
}

TEST(InsnDecode, BraceInitStillCompiles) {
  const DecodedInsn d{InsnKind::Hlt, 1};
  EXPECT_EQ(d.operand_size, 0);
  EXPECT_FALSE(d.has_memory);
  EXPECT_EQ(d.mem.base, kNoReg);
  EXPECT_EQ(d.mem.index, kNoReg);
}

TEST(InsnDecode, KindNamesForNewKinds) {
  EXPECT_STREQ(tv::to_string(InsnKind::MovToCr), "mov_to_cr");
  EXPECT_STREQ(tv::to_string(InsnKind::MovFromDr), "mov_from_dr");
  EXPECT_STREQ(tv::to_string(InsnKind::MovStoreImm), "mov_store_imm");
  EXPECT_STREQ(tv::to_string(InsnKind::Xchg), "xchg");
}

// ---- effective_address ----

TEST(EffectiveAddress, BaseIndexScaleDisp) {
  u64 gpr[16] = {};
  gpr[3] = 0x1000;
  gpr[1] = 0x20;
  EXPECT_EQ(tv::effective_address(mem(3, 1, 4, 0x10, false, 8), gpr, 0), 0x1090u);
  EXPECT_EQ(tv::effective_address(mem(3, 1, 8, -0x8, false, 8), gpr, 0), 0x10F8u);
  gpr[12] = 0x7;
  EXPECT_EQ(tv::effective_address(mem(kNoReg, 12, 2, 0x1000, false, 8), gpr, 0), 0x100Eu);
}

TEST(EffectiveAddress, NoBaseDisp32) {
  u64 gpr[16];
  for (u64& r : gpr) r = 0xAAAAAAAAAAAAAAAAull;  // must not leak into the result
  EXPECT_EQ(tv::effective_address(mem(kNoReg, kNoReg, 1, 0x1000, false, 8), gpr, 0x5000), 0x1000u);
  EXPECT_EQ(tv::effective_address(mem(kNoReg, kNoReg, 1, -0x11FFD00, false, 8), gpr, 0), 0xFFFFFFFFFEE00300ull);
  EXPECT_EQ(tv::effective_address(mem(kNoReg, kNoReg, 1, -0x11FFD00, false, 4), gpr, 0), 0xFEE00300ull);
}

TEST(EffectiveAddress, RipRelative) {
  u64 gpr[16] = {};
  EXPECT_EQ(tv::effective_address(mem(kNoReg, kNoReg, 1, -0x10, true, 8), gpr, 0x401000), 0x400FF0u);
  // 67 in long mode: EIP-relative, cut to 32 bits.
  EXPECT_EQ(tv::effective_address(mem(kNoReg, kNoReg, 1, 0x1000, true, 4), gpr, 0xFFFFF800), 0x800u);
}

TEST(EffectiveAddress, SixteenBitWraps) {
  u64 gpr[16] = {};
  gpr[3] = 0xDEAD0000FFF0ull;  // BX = 0xFFF0; bits above 15 are ignored
  gpr[6] = 0x20;               // SI
  EXPECT_EQ(tv::effective_address(mem(3, 6, 1, 0, false, 2), gpr, 0), 0x10u);
  EXPECT_EQ(tv::effective_address(mem(kNoReg, kNoReg, 1, -0x8000, false, 2), gpr, 0), 0x8000u);
  gpr[5] = 0x1;  // BP - 2 wraps to 0xFFFF
  EXPECT_EQ(tv::effective_address(mem(5, kNoReg, 1, -2, false, 2), gpr, 0), 0xFFFFu);
}

TEST(EffectiveAddress, ThirtyTwoBitTruncation) {
  u64 gpr[16] = {};
  gpr[0] = 0xFFFFFFF0;
  EXPECT_EQ(tv::effective_address(mem(0, kNoReg, 1, 0x20, false, 4), gpr, 0), 0x10u);
  EXPECT_EQ(tv::effective_address(mem(0, kNoReg, 1, 0x20, false, 8), gpr, 0), 0x100000010ull);
}

TEST(EffectiveAddress, FromDecodedInstructions) {
  u64 gpr[16] = {};
  gpr[3] = 0xFFFF;  // BX
  gpr[6] = 0x0002;  // SI
  // Real16: 89 00 = mov [bx+si], ax, which wraps to 0x0001.
  const std::vector<u8> bxsi = {0x89, 0x00};
  DecodedInsn d = decode(bxsi, CpuMode::Real16);
  ASSERT_EQ(d.kind, InsnKind::MovStore);
  EXPECT_EQ(tv::effective_address(d.mem, gpr, 0x100 + d.length), 0x1u);
  // RIP-relative: the base is the address after the immediate.
  const std::vector<u8> rip = {0xC7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12};
  d = decode(rip);
  ASSERT_EQ(d.kind, InsnKind::MovStoreImm);
  EXPECT_EQ(tv::effective_address(d.mem, gpr, 0x400000 + d.length), 0x40001Au);
  // 89 04 25 00 03 e0 fe: the disp32 is sign-extended in long mode.
  const std::vector<u8> apic = {0x89, 0x04, 0x25, 0x00, 0x03, 0xE0, 0xFE};
  EXPECT_EQ(tv::effective_address(decode(apic).mem, gpr, 0), 0xFFFFFFFFFEE00300ull);
  EXPECT_EQ(tv::effective_address(decode(apic, CpuMode::Prot32).mem, gpr, 0), 0xFEE00300u);
}

}  // namespace
