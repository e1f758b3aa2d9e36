#include "virt/instruction.hpp"

#include "kernel/log.hpp"
#include "virt/guest_memory.hpp"

namespace tv {

namespace {

// The unprefixed encoding of each intercepted instruction: the common case,
// recognised without the full decoder (prefixed forms take the slow path).
struct Plain {
  InsnKind kind;
  u8 length;
  u8 bytes[3];
};
constexpr Plain kPlain[] = {
    {InsnKind::Cpuid, 2, {0x0F, 0xA2, 0}},     {InsnKind::Rdmsr, 2, {0x0F, 0x32, 0}},
    {InsnKind::Wrmsr, 2, {0x0F, 0x30, 0}},     {InsnKind::Vmmcall, 3, {0x0F, 0x01, 0xD9}},
    {InsnKind::Vmcall, 3, {0x0F, 0x01, 0xC1}},
};

struct Fetched {
  u8 bytes[16];
  usize avail;
  CpuMode mode;
};

Fetched fetch_at_rip(const Vcpu& vcpu) {
  ExecContext c = vcpu.exec_context();
  Fetched f{};
  f.mode = cpu_mode_of(c);
  u64 linear = c.rip;
  if (f.mode != CpuMode::Long64) linear = (c.cs.base + linear) & 0xFFFFFFFFull;
  f.avail = fetch_guest_code(c.paging, linear, f.bytes, vcpu.fetch_cache());
  return f;
}

}  // namespace

DecodedInsn decode_at_rip(const Vcpu& vcpu) {
  Fetched f = fetch_at_rip(vcpu);
  return decode_insn(f.bytes, f.avail, f.mode);
}

void skip_instruction(Vcpu& vcpu, InsnKind expected, u8 fallback_length) {
  Fetched f = fetch_at_rip(vcpu);
  for (const Plain& p : kPlain) {
    if (p.kind != expected) continue;
    if (f.avail >= p.length && f.bytes[0] == p.bytes[0] && f.bytes[1] == p.bytes[1] &&
        (p.length < 3 || f.bytes[2] == p.bytes[2]))
      return vcpu.advance_rip(p.length);
    break;
  }
  DecodedInsn d = decode_insn(f.bytes, f.avail, f.mode);
  if (d.kind != expected || d.length == 0) {
    TV_LOG_GUEST("warning: expected %s at rip %lx, decoded %s; assuming %u bytes", to_string(expected), vcpu.rip(),
                 to_string(d.kind), unsigned(fallback_length));
    vcpu.advance_rip(fallback_length);
    return;
  }
  vcpu.advance_rip(d.length);
}

}  // namespace tv
