#include "tv/debug_regs.hpp"

#include "tv/x86/control_regs.hpp"

namespace tv {
namespace {

// DR4/DR5 alias DR6/DR7 unless CR4.DE is set, when they are undefined (APM vol.2 §13.1.1.1).
bool resolve(u8& n, bool cr4_de) {
  if (n > 7) return false;
  if (n == 4 || n == 5) {
    if (cr4_de) return false;
    n = u8(n + 2);
  }
  return true;
}

u64 normalise_dr6(u64 v) {
  namespace d = x86::dr6;
  return (v & (d::kBreakpointHits | d::kBd | d::kBs | d::kBt)) | d::kFixedOnes;
}

u64 normalise_dr7(u64 v) {
  return (v & 0xFFFFFFFFull & ~x86::dr7::kReservedZero) | x86::dr7::kFixedOne;
}

}  // namespace

const char* to_string(DrOutcome o) {
  switch (o) {
    case DrOutcome::Ok: return "ok";
    case DrOutcome::Undefined: return "#UD (no such debug register)";
    case DrOutcome::GpHighBits: return "#GP (bits 63:32 of DR6/DR7 set)";
    case DrOutcome::GeneralDetect: return "#DB (DR7.GD)";
  }
  return "?";
}

bool GuestDebugRegs::general_detect(u64 dr6_now) {
  if ((dr7_ & x86::dr7::kGd) == 0) return false;
  // The CPU clears GD when it delivers the #DB, so the handler can use the registers.
  dr7_ &= ~x86::dr7::kGd;
  dr6_ = normalise_dr6(dr6_now) | x86::dr6::kBd;
  return true;
}

DrRead GuestDebugRegs::read(u8 n, bool cr4_de, u64 dr6_now) {
  if (!resolve(n, cr4_de)) return {DrOutcome::Undefined, 0};
  if (general_detect(dr6_now)) return {DrOutcome::GeneralDetect, 0};
  if (n < 4) return {DrOutcome::Ok, dr_[n]};
  if (n == 6) return {DrOutcome::Ok, normalise_dr6(dr6_now)};
  return {DrOutcome::Ok, dr7_};
}

DrOutcome GuestDebugRegs::write(u8 n, u64 value, bool cr4_de, bool long_mode, u64 dr6_now) {
  if (!resolve(n, cr4_de)) return DrOutcome::Undefined;
  if (general_detect(dr6_now)) return DrOutcome::GeneralDetect;
  if (!long_mode) value &= 0xFFFFFFFF;
  if (n < 4) {
    dr_[n] = value;
    return DrOutcome::Ok;
  }
  if ((value >> 32) != 0) return DrOutcome::GpHighBits;
  if (n == 6)
    dr6_ = normalise_dr6(value);
  else
    dr7_ = normalise_dr7(value);
  return DrOutcome::Ok;
}

}  // namespace tv
