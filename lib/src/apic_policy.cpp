#include "tv/apic_policy.hpp"

namespace tv::apic {
namespace {

constexpr Decision pass(u64 value) {
  return {Verdict::Pass, value, nullptr};
}
constexpr Decision drop(const char* reason) {
  return {Verdict::Drop, 0, reason};
}
constexpr Decision raise_gp(const char* reason) {
  return {Verdict::RaiseGp, 0, reason};
}

// Bits 11:4 of an offset in the APIC page pick the register; QEMU ignores bits 3:0.
constexpr u32 register_of(u32 offset) {
  return offset & 0xFF0;
}

// The other CPUs' INIT and start-up IPIs go to the VMM, which emulates them on its vCPUs.
constexpr IpiTarget one_cpu(u32 apic_id) {
  return {.apic_id = apic_id, .all_excluding_self = false};
}
constexpr IpiTarget all_but_self() {
  return {.apic_id = 0, .all_excluding_self = true};
}
constexpr Decision init_cpu(IpiTarget target, const char* reason) {
  return {.verdict = Verdict::InitCpu, .value = 0, .reason = reason, .target = target};
}
constexpr Decision start_cpu(IpiTarget target, u8 vector, const char* reason) {
  return {.verdict = Verdict::StartCpu, .value = 0, .reason = reason, .target = target, .sipi_vector = vector};
}

constexpr u32 broadcast_id(const Icr& icr) {
  return icr.x2apic ? kX2apicBroadcast : kXapicBroadcast;
}

// Intel SDM vol.3 §10.6.2: does the IPI reach the sending CPU? Logical destinations
// are treated as "not this CPU" (INIT and start-up IPIs with one are refused anyway).
bool targets_self(const Icr& icr, u32 self_apic_id) {
  switch (icr.shorthand) {
    case Shorthand::Self:
    case Shorthand::AllIncludingSelf: return true;
    case Shorthand::AllExcludingSelf: return false;
    case Shorthand::None: break;
  }
  if (icr.logical) return false;
  return icr.destination == self_apic_id || icr.destination == broadcast_id(icr);
}

// Intel SDM vol.3 §10.6.1: INIT level de-assert is level 0 with trigger level; any other
// INIT (the level bit is ignored by P4 and later, and by QEMU) resets its targets. One that
// reaches the sender resets the guest; the VMM emulates the others. Linux addresses its
// INITs physically (or with the all-excluding-self shorthand), so a logical one is refused
// rather than resolved against the logical destination registers.
Decision decide_init(const Icr& icr, u32 self_apic_id) {
  if (!icr.level_assert && icr.level_trigger) return drop("INIT level de-assert ignored");
  if (targets_self(icr, self_apic_id)) return {Verdict::GuestReset, 0, "guest sent INIT to its own CPU"};
  if (icr.shorthand == Shorthand::AllExcludingSelf) return init_cpu(all_but_self(), "INIT to the other CPUs");
  if (icr.logical) return drop("INIT with a logical destination refused");
  return init_cpu(one_cpu(icr.destination), "INIT to another CPU");
}

// Intel SDM vol.3 §10.6.1, §8.4.4.1: a start-up IPI only starts a CPU in wait-for-SIPI,
// so one that also reaches the (running) sender is emulated as "all excluding self".
Decision decide_startup(const Icr& icr, u32 self_apic_id) {
  switch (icr.shorthand) {
    case Shorthand::Self: return drop("start-up IPI to the running CPU ignored");
    case Shorthand::AllIncludingSelf:
    case Shorthand::AllExcludingSelf: return start_cpu(all_but_self(), icr.vector, "start-up IPI to the other CPUs");
    case Shorthand::None: break;
  }
  if (icr.logical) return drop("start-up IPI with a logical destination refused");
  if (icr.destination == broadcast_id(icr)) {
    return start_cpu(all_but_self(), icr.vector, "start-up IPI to the other CPUs");
  }
  if (icr.destination == self_apic_id) return drop("start-up IPI to the running CPU ignored");
  return start_cpu(one_cpu(icr.destination), icr.vector, "start-up IPI to another CPU");
}

Decision decide_icr(const Icr& icr, u64 stored, u32 self_apic_id) {
  switch (icr.mode) {
    case DeliveryMode::Fixed:
    case DeliveryMode::LowestPriority:
    case DeliveryMode::Nmi: return pass(stored);
    case DeliveryMode::Init: return decide_init(icr, self_apic_id);
    case DeliveryMode::StartUp: return decide_startup(icr, self_apic_id);
    case DeliveryMode::Smi: return drop("SMI IPI refused");
    case DeliveryMode::Reserved3:
    case DeliveryMode::ExtInt: break;
  }
  return drop("IPI with a reserved delivery mode refused");
}

bool is_lvt(u32 reg) {
  switch (reg) {
    case kRegLvtCmci:
    case kRegLvtTimer:
    case kRegLvtThermal:
    case kRegLvtPerf:
    case kRegLvtLint0:
    case kRegLvtLint1:
    case kRegLvtError: return true;
    default: return false;
  }
}

// QEMU delivers every LVT (the timer too) by its mode bits, so only Fixed, NMI and ExtINT
// may stay; anything else becomes a masked Fixed entry. u64 keeps x2APIC's upper half.
Decision decide_lvt(u64 value) {
  switch (decode_lvt(static_cast<u32>(value)).mode) {
    case DeliveryMode::Fixed:
    case DeliveryMode::Nmi:
    case DeliveryMode::ExtInt: return pass(value);
    default: break;
  }
  return {Verdict::PassModified, (value & ~u64{kModeMask}) | kMasked, "LVT with SMI/INIT/reserved mode masked"};
}

// The VMM knows the guest's CPU by its APIC ID: the guest may rewrite the ID register
// only with the value it already has (Intel SDM vol.3 §10.4.6, ID in bits 31:24).
Decision decide_id(u32 value, u32 self_apic_id) {
  if ((value >> 24) == (self_apic_id & 0xFF)) return pass(value);
  return drop("changing the local APIC ID refused");
}

bool is_redirection_low(u8 index) {
  return index >= kIoapicRedirFirst && index <= kIoapicRedirLast && (index & 1) == 0;
}

// Intel SDM vol.3 §10.12.5.1 Figure 10-27: EN=0 with EXTD=1 is invalid, and x2APIC mode
// may not go straight back to xAPIC mode.
bool invalid_mode_transition(u64 current, u64 value) {
  bool en = (value & kApicBaseEnable) != 0, extd = (value & kApicBaseExtd) != 0;
  if (extd && !en) return true;
  bool was_x2apic = (current & kApicBaseEnable) != 0 && (current & kApicBaseExtd) != 0;
  return was_x2apic && en && !extd;
}

}  // namespace

bool nmi_ipi_allowed(const Icr& icr, bool cpu_outside_vmm, bool destination_is_vcpu) {
  if (!cpu_outside_vmm || icr.shorthand == Shorthand::Self) return true;
  if (icr.shorthand != Shorthand::None || icr.logical) return false;
  return destination_is_vcpu;
}

bool nmi_msi_allowed(bool logical, bool cpu_outside_vmm, bool destination_is_vcpu) {
  return !cpu_outside_vmm || (!logical && destination_is_vcpu);
}

bool is_msi_write(u64 gpa) {
  if (gpa < kWindowBase || gpa - kWindowBase >= kWindowSize) return false;
  u64 offset = gpa - kWindowBase;
  return offset > 0xFFF || ((offset >> 4) & 0xFF) == 0;
}

Decision on_xapic_write(u32 offset, u32 value, u32 icr_high, u32 self_apic_id) {
  u64 gpa = kWindowBase + (offset & (kWindowSize - 1));
  if (is_msi_write(gpa)) return on_msi_write(gpa, value);
  u32 reg = register_of(offset);
  if (reg == kRegIcrLow) return decide_icr(decode_xapic_icr(value, icr_high), value, self_apic_id);
  if (reg == kRegId) return decide_id(value, self_apic_id);
  if (is_lvt(reg)) return decide_lvt(value);
  return pass(value);
}

Decision on_x2apic_icr_write(u64 value, u32 self_apic_id) {
  return decide_icr(decode_x2apic_icr(value), value, self_apic_id);
}

Decision on_x2apic_msr_write(u32 msr, u64 value, u32 self_apic_id) {
  if (msr == kX2apicMsrIcr) return on_x2apic_icr_write(value, self_apic_id);
  if (msr >= kX2apicMsrBase && msr - kX2apicMsrBase < 0x100 && is_lvt((msr - kX2apicMsrBase) << 4)) {
    return decide_lvt(value);
  }
  return pass(value);
}

Decision on_msi_write(u64 address, u32 data) {
  switch (decode_msi(address, data).mode) {
    case DeliveryMode::Fixed:
    case DeliveryMode::LowestPriority:
    case DeliveryMode::Nmi: return pass(data);
    case DeliveryMode::Smi: return drop("SMI message refused");
    case DeliveryMode::Init: return drop("INIT message refused");
    default: break;
  }
  return drop("message with a start-up/ExtINT/reserved delivery mode refused");
}

Decision on_ioapic_redirection_write(u8 index, u32 value) {
  if (!is_redirection_low(index)) return pass(value);
  switch (decode_redirection_low(value).mode) {
    case DeliveryMode::Fixed:
    case DeliveryMode::LowestPriority:
    case DeliveryMode::Nmi:
    case DeliveryMode::ExtInt: return pass(value);
    default: break;
  }
  return {Verdict::PassModified, (value & ~kModeMask) | kMasked, "IOAPIC entry with SMI/INIT/reserved mode masked"};
}

Decision on_apic_base_write(u64 current, u64 value, bool x2apic_supported, u32 phys_bits) {
  u64 base = apic_base_address_mask(phys_bits);
  if ((value & ~(base | kApicBaseBsp | kApicBaseExtd | kApicBaseEnable)) != 0) {
    return raise_gp("reserved IA32_APIC_BASE bit set");
  }
  if (((value ^ current) & base) != 0) return raise_gp("relocating the local APIC is refused");
  if ((value & kApicBaseExtd) != 0 && !x2apic_supported) return raise_gp("x2APIC is not supported");
  if (invalid_mode_transition(current, value)) return raise_gp("invalid local APIC mode transition");
  u64 kept = (value & ~kApicBaseBsp) | (current & kApicBaseBsp);
  if (kept == value) return pass(value);
  return {Verdict::PassModified, kept, "IA32_APIC_BASE.BSP is read-only"};
}

}  // namespace tv::apic
