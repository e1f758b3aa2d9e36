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

bool canonical(u64 a, bool la57) {
  const unsigned bits = la57 ? 57 : 48;
  const u64 top = a >> (bits - 1);
  return top == 0 || top == (~0ull >> (bits - 1));
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

const char* to_string(DebugRegError e) {
  switch (e) {
    case DebugRegError::BadRegister: return "no such debug register (regnum outside 0-7)";
    case DebugRegError::Dr4Dr5Undefined: return "DR4/DR5 are undefined while CR4.DE is set";
    case DebugRegError::HighBits: return "bits 63:32 of DR6/DR7 must be zero";
    case DebugRegError::GeneralDetect: return "DR7.GD is not allowed";
    case DebugRegError::IoWithoutDe: return "I/O breakpoints need CR4.DE";
    case DebugRegError::ExecLength: return "execute breakpoints need LEN 00 (1 byte)";
    case DebugRegError::EightByteOutsideLongMode: return "8-byte breakpoints need 64-bit mode";
    case DebugRegError::Misaligned: return "address not aligned to the breakpoint length";
    case DebugRegError::NonCanonical: return "address not canonical";
    case DebugRegError::VmmRange: return "range overlaps the VMM's memory";
    case DebugRegError::VmmSlot: return "slot held by a VMM watchpoint";
    case DebugRegError::NoFreeSlot: return "no free debug-register slot";
    case DebugRegError::NotWatched: return "slot holds no VMM watchpoint";
    case DebugRegError::BadLength: return "length must be 1, 2, 4 or 8";
    case DebugRegError::BadKind: return "a watchpoint watches execution, writes or reads/writes";
    case DebugRegError::VmmInternal: return "slot used by the VMM itself (module-load detector)";
  }
  return "?";
}

const char* to_string(BpType t) {
  switch (t) {
    case BpType::Execute: return "x";
    case BpType::Write: return "w";
    case BpType::Io: return "io";
    case BpType::ReadWrite: return "rw";
  }
  return "?";
}

void GuestDebugRegs::set_protected(const Range* ranges, usize count) {
  protected_ = ranges;
  protected_count_ = count;
  recompute();
}

[[gnu::always_inline]] inline bool GuestDebugRegs::overlaps_vmm(u64 base, u64 len) const {
  const Range r{base, len};
  if (base + len < base) return true;  // wraps: refuse rather than reason about it
  for (usize i = 0; i < protected_count_; ++i)
    if (protected_[i].overlaps(r)) return true;
  return false;
}

// Everything the CPU is handed for the guest is derived here, so the entry
// path only copies. One slot's part of the hardware view:
[[gnu::always_inline]] inline void GuestDebugRegs::apply_slot(u8 s) {
  u64 addr = dr_[s];
  u64 bits = 0;
  bool refused = false;
  if ((vmm_mask_ & (1u << s)) != 0) {
    addr = watch_[s].addr;
    bits = encode_dr7_slot(s, watch_[s].type, watch_[s].len);
  } else if (const BpSlot b = decode_dr7_slot(dr7_, s); b.enabled) {
    // I/O breakpoints without CR4.DE are undefined: not armed. A range on
    // VMM memory would match in the VMM: not armed, and counted.
    const bool io_undefined = b.type == BpType::Io && !cr4_de_at_dr7_write_;
    refused = io_undefined || overlaps_vmm(addr & ~u64(b.len - 1), b.len);
    if (!refused) bits = dr7_ & dr7_slot_bits(s);
  }
  const u64 hw7 = (hw_dr7_ & ~dr7_slot_bits(s)) | bits;
  // The entry path reloads only when what the CPU gets changed; the address
  // of a slot DR7 leaves off does nothing, so it waits until DR7 arms it
  // (that changes hw7, and the entry path compares every address then).
  if (hw7 != hw_dr7_ || (bits != 0 && addr != hw_dr_[s])) ++generation_;
  hw_dr7_ = hw7;
  hw_dr_[s] = addr;
  refused_ = u8((refused_ & ~(1u << s)) | (u32(refused) << s));
}

void GuestDebugRegs::recompute() {
  for (u8 s = 0; s < kBreakpointSlots; ++s) apply_slot(s);
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
    apply_slot(n);
    return DrOutcome::Ok;
  }
  if ((value >> 32) != 0) return DrOutcome::GpHighBits;
  if (n == 6) {
    dr6_ = normalise_dr6(value);
    return DrOutcome::Ok;
  }
  dr7_ = normalise_dr7(value);
  cr4_de_at_dr7_write_ = cr4_de;
  recompute();
  return DrOutcome::Ok;
}

// The rules for one slot as DR7 `dr7` would configure it with address `addr`.
[[gnu::always_inline]] inline Status<DebugRegError> GuestDebugRegs::check_slot(u8 slot, u64 addr, u64 dr7,
                                                                               const DrContext& c) const {
  if (!canonical(addr, c.la57)) return Err{DebugRegError::NonCanonical};
  if ((dr7 & dr7_enable_bits(slot)) == 0) {  // disabled: the address alone (its length is checked when enabled)
    if (overlaps_vmm(addr, 1)) return Err{DebugRegError::VmmRange};
    return Ok{};
  }
  const BpSlot b = decode_dr7_slot(dr7, slot);
  if (overlaps_vmm(addr, b.len)) return Err{DebugRegError::VmmRange};
  if (b.type == BpType::Io && !c.cr4_de) return Err{DebugRegError::IoWithoutDe};
  if (b.type == BpType::Execute && b.len != 1) return Err{DebugRegError::ExecLength};
  if (b.len == 8 && !c.long_mode) return Err{DebugRegError::EightByteOutsideLongMode};
  // I/O breakpoints name a port, not a linear address: only its alignment matters.
  if ((addr & (b.len - 1)) != 0) return Err{DebugRegError::Misaligned};
  return Ok{};
}

Result<u64, DebugRegError> GuestDebugRegs::get_checked(u8 n, const DrContext& c, u64 dr6_now) const {
  if (n > 7) return Err{DebugRegError::BadRegister};
  if (!resolve(n, c.cr4_de)) return Err{DebugRegError::Dr4Dr5Undefined};
  if (n < 4) return dr_[n];
  if (n == 6) return normalise_dr6(dr6_now);
  return dr7_;
}

Status<DebugRegError> GuestDebugRegs::set_checked(u8 n, u64 value, const DrContext& c) {
  if (n < 4) {  // the common case first: an address
    if ((vmm_mask_ & (1u << n)) != 0) return Err{DebugRegError::VmmSlot};
    TV_TRY(check_slot(n, value, dr7_, c));
    dr_[n] = value;
    apply_slot(n);
    return Ok{};
  }
  if (n > 7) return Err{DebugRegError::BadRegister};
  if (!resolve(n, c.cr4_de)) return Err{DebugRegError::Dr4Dr5Undefined};
  if ((value >> 32) != 0) return Err{DebugRegError::HighBits};  // n is 6 or 7 here
  if (n == 6) {
    dr6_ = normalise_dr6(value);
    return Ok{};
  }
  if ((value & x86::dr7::kGd) != 0) return Err{DebugRegError::GeneralDetect};
  const u64 dr7 = normalise_dr7(value);
  // Every slot the new DR7 enables, against its address (all or nothing).
  for (u8 s = 0; s < kBreakpointSlots; ++s) {
    if (!decode_dr7_slot(dr7, s).enabled) continue;
    if ((vmm_mask_ & (1u << s)) != 0) return Err{DebugRegError::VmmSlot};
    TV_TRY(check_slot(s, dr_[s], dr7, c));
  }
  dr7_ = dr7;
  cr4_de_at_dr7_write_ = c.cr4_de;
  recompute();
  return Ok{};
}

Result<u8, DebugRegError> GuestDebugRegs::claim(u64 addr, BpType type, u8 len, const DrContext& c) {
  if (len != 1 && len != 2 && len != 4 && len != 8) return Err{DebugRegError::BadLength};
  if (type == BpType::Io) return Err{DebugRegError::BadKind};
  const u64 dr7 = encode_dr7_slot(0, type, len) | x86::dr7::kFixedOne;
  TV_TRY(check_slot(0, addr, dr7, c));
  // The highest free slot: guests (Linux's perf) fill from slot 0 up.
  for (u8 s = kBreakpointSlots; s-- > 0;) {
    const bool guest_uses = decode_dr7_slot(dr7_, s).enabled;
    if (guest_uses || (vmm_mask_ & (1u << s)) != 0) continue;
    vmm_mask_ |= u8(1u << s);
    watch_[s] = {addr, type, len, 0};
    recompute();
    return s;
  }
  return Err{DebugRegError::NoFreeSlot};
}

Status<DebugRegError> GuestDebugRegs::release(u8 slot) {
  if (slot >= kBreakpointSlots || (vmm_mask_ & (1u << slot)) == 0) return Err{DebugRegError::NotWatched};
  vmm_mask_ &= u8(~(1u << slot));
  watch_[slot] = {};
  recompute();  // the guest's wish for the slot, if any, is armed again
  return Ok{};
}

DbVerdict GuestDebugRegs::on_debug_exception(u64 dr6_at_entry, u64 dr6_now, bool rflags_tf) const {
  namespace d = x86::dr6;
  // B0-B3, BS and BT are sticky: what this #DB reports is what became set.
  const u64 causes = d::kBreakpointHits | d::kBd | d::kBs | d::kBt;
  const u64 fresh = dr6_now & ~dr6_at_entry & causes;
  const u8 vmm_hits = u8(fresh & vmm_mask_);
  // Only B bits of armed guest slots are the guest's: others may be set for
  // disabled breakpoints that merely matched (APM vol.2 §13.1.1.4).
  u64 guest_armed = 0;
  for (u8 s = 0; s < kBreakpointSlots; ++s)
    if ((vmm_mask_ & (1u << s)) == 0 && (hw_dr7_ & dr7_enable_bits(s)) != 0) guest_armed |= 1u << s;
  const u64 guest_causes = fresh & (guest_armed | d::kBd | d::kBs | d::kBt);
  u64 guest_dr6 = dr6_now & ~u64(vmm_hits);
  bool reflect = guest_causes != 0 || fresh == 0;
  // A data watchpoint is a trap: the single-stepped instruction completed too.
  bool vmm_trap = false;
  for (u8 s = 0; s < kBreakpointSlots; ++s)
    if ((vmm_hits & (1u << s)) != 0 && watch_[s].type != BpType::Execute) vmm_trap = true;
  if (rflags_tf && vmm_trap) {
    reflect = true;
    guest_dr6 |= d::kBs;
  }
  return {vmm_hits, reflect, guest_dr6};
}

}  // namespace tv
