// Length decoder tests for intercepted instructions.
#include "tv/insn_decode.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace {

using tv::CpuMode;
using tv::DecodedInsn;
using tv::InsnKind;
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

}  // namespace
