// What the VMM lets a guest do with interrupt messages. The guest runs on the VMM's
// vCPUs (one per CPU the VMM started); the VMM write-protects the local APIC window
// (0xFEE00000-0xFEEFFFFF) and the IOAPIC page in the nested page tables, emulates each
// store and asks here. Two things must never reach QEMU (TCG): an INIT (it resets the
// CPU out of guest mode) and an SMI (QEMU writes the SMM save area with host-physical
// stores that bypass nested paging). Start-up IPIs are not passed on either: every CPU
// the guest may start is a vCPU, so the guest starts its other CPUs through the VMM.
// An INIT or start-up IPI written to the ICR for other CPUs becomes Verdict::InitCpu /
// StartCpu, which the VMM emulates on the target vCPUs (cpu_start.hpp); an INIT that
// reaches the sender resets the guest. Sent as an MSI, or programmed into an LVT or an
// IOAPIC entry, INIT and start-up stay refused. Vectored and NMI messages pass.
// Hardware-free: the VMM applies the Decision.
// References: Intel SDM vol.3 ch.10 "APIC" (AMD APM vol.2 §16 has the same encodings),
// Intel 82093AA IOAPIC datasheet, and QEMU hw/intc/apic.c (how TCG decodes the window).
#pragma once
#include "tv/types.hpp"

namespace tv::apic {

// ---- Register definitions ----

// Intel SDM vol.3 §10.4.1: the default local APIC window; QEMU maps 1 MiB here.
inline constexpr u64 kWindowBase = 0xFEE00000;
inline constexpr u64 kWindowSize = 0x100000;
// Intel SDM vol.3 §10.4.1 Table 10-1: register offsets within the 4 KiB APIC page.
inline constexpr u32 kRegId = 0x020;
inline constexpr u32 kRegTpr = 0x080;
inline constexpr u32 kRegEoi = 0x0B0;
inline constexpr u32 kRegSvr = 0x0F0;
inline constexpr u32 kRegLvtCmci = 0x2F0;
inline constexpr u32 kRegIcrLow = 0x300;
inline constexpr u32 kRegIcrHigh = 0x310;
inline constexpr u32 kRegLvtTimer = 0x320;
inline constexpr u32 kRegLvtThermal = 0x330;
inline constexpr u32 kRegLvtPerf = 0x340;
inline constexpr u32 kRegLvtLint0 = 0x350;
inline constexpr u32 kRegLvtLint1 = 0x360;
inline constexpr u32 kRegLvtError = 0x370;
inline constexpr u32 kRegTimerInitialCount = 0x380;
// Intel SDM vol.3 §10.12.1.2: x2APIC MSR = 0x800 + (xAPIC offset >> 4); ICR is one 64-bit MSR.
inline constexpr u32 kX2apicMsrBase = 0x800;
inline constexpr u32 kX2apicMsrIcr = 0x830;
// Intel SDM vol.3 §10.4.4 Figure 10-5: IA32_APIC_BASE.
inline constexpr u32 kApicBaseMsr = 0x1B;
inline constexpr u64 kApicBaseBsp = 1ull << 8;
inline constexpr u64 kApicBaseExtd = 1ull << 10;
inline constexpr u64 kApicBaseEnable = 1ull << 11;
// 82093AA IOAPIC datasheet §3.2: IOREGSEL indexes of the 24 redirection entries (two dwords each).
inline constexpr u8 kIoapicRedirFirst = 0x10;
inline constexpr u8 kIoapicRedirLast = 0x3F;

// Intel SDM vol.3 §10.6.1 (ICR), §10.5.1 (LVT), §10.11.2 (MSI data); 82093AA §3.2.4 (redirection).
// Which encodings are meaningful depends on the register: StartUp exists only in the ICR
// (reserved in MSI/IOAPIC, and in an LVT); ExtInt exists in LVT/MSI/IOAPIC (reserved in the ICR).
enum class DeliveryMode : u8 {
  Fixed = 0,
  LowestPriority = 1,
  Smi = 2,
  Reserved3 = 3,
  Nmi = 4,
  Init = 5,
  StartUp = 6,
  ExtInt = 7,
};

// Intel SDM vol.3 §10.6.1 Figure 10-12: ICR bits 19:18.
enum class Shorthand : u8 { None = 0, Self = 1, AllIncludingSelf = 2, AllExcludingSelf = 3 };

// Intel SDM vol.3 §10.6.1 Figure 10-12: common bit positions of ICR, LVT, MSI data and redirection entries.
inline constexpr u32 kVectorMask = 0xFF;
inline constexpr u32 kModeShift = 8;
inline constexpr u32 kModeMask = 7u << kModeShift;
inline constexpr u32 kDestLogical = 1u << 11;  // ICR and IOAPIC; MSI has it in the address
inline constexpr u32 kLevelAssert = 1u << 14;  // ICR, MSI data
inline constexpr u32 kTriggerLevel = 1u << 15;
inline constexpr u32 kMasked = 1u << 16;  // LVT, IOAPIC redirection
inline constexpr u32 kShorthandShift = 18;
// Intel SDM vol.3 §10.6.2.1 / §10.12.9: physical destination "all processors".
inline constexpr u32 kXapicBroadcast = 0xFF;
inline constexpr u32 kX2apicBroadcast = 0xFFFFFFFF;

// ---- Decoders ----

constexpr DeliveryMode mode_of(u32 v) {
  return static_cast<DeliveryMode>((v & kModeMask) >> kModeShift);
}

// Intel SDM vol.3 §10.6.1: interrupt command register.
struct Icr {
  u8 vector;
  DeliveryMode mode;
  bool logical;
  bool level_assert;
  bool level_trigger;
  Shorthand shorthand;
  u32 destination;
  bool x2apic;  // destination is a 32-bit x2APIC ID (broadcast 0xFFFFFFFF), else 8-bit (broadcast 0xFF)
};
constexpr Icr icr_from_low(u32 low, u32 destination, bool x2apic) {
  return {static_cast<u8>(low & kVectorMask),
          mode_of(low),
          (low & kDestLogical) != 0,
          (low & kLevelAssert) != 0,
          (low & kTriggerLevel) != 0,
          static_cast<Shorthand>((low >> kShorthandShift) & 3),
          destination,
          x2apic};
}
// Intel SDM vol.3 §10.6.1: xAPIC destination is ICR high bits 31:24.
constexpr Icr decode_xapic_icr(u32 low, u32 high) {
  return icr_from_low(low, high >> 24, false);
}
// Intel SDM vol.3 §10.12.9: x2APIC ICR MSR 0x830, destination bits 63:32.
constexpr Icr decode_x2apic_icr(u64 value) {
  return icr_from_low(static_cast<u32>(value), static_cast<u32>(value >> 32), true);
}

// Intel SDM vol.3 §10.11.1 (address) and §10.11.2 (data): a message signalled interrupt.
struct Msi {
  u8 vector;
  DeliveryMode mode;
  bool level_assert;
  bool level_trigger;
  bool logical;           // address bit 2 (DM)
  bool redirection_hint;  // address bit 3 (RH)
  u8 destination;         // address bits 19:12
};
constexpr Msi decode_msi(u64 address, u32 data) {
  return {static_cast<u8>(data & kVectorMask),
          mode_of(data),
          (data & kLevelAssert) != 0,
          (data & kTriggerLevel) != 0,
          (address & 4) != 0,
          (address & 8) != 0,
          static_cast<u8>((address >> 12) & 0xFF)};
}

// Intel SDM vol.3 §10.5.1 Figure 10-8: a local vector table entry.
struct Lvt {
  u8 vector;
  DeliveryMode mode;
  bool masked;
};
constexpr Lvt decode_lvt(u32 v) {
  return {static_cast<u8>(v & kVectorMask), mode_of(v), (v & kMasked) != 0};
}

// 82093AA §3.2.4: the low dword of an IOAPIC redirection table entry.
struct Redirection {
  u8 vector;
  DeliveryMode mode;
  bool logical;
  bool level_trigger;
  bool masked;
};
constexpr Redirection decode_redirection_low(u32 v) {
  return {static_cast<u8>(v & kVectorMask), mode_of(v), (v & kDestLogical) != 0, (v & kTriggerLevel) != 0,
          (v & kMasked) != 0};
}

// ---- Policy ----

enum class Verdict : u8 {
  Pass,          // perform the store with `value` (the guest's own value)
  PassModified,  // perform the store with `value` (changed by this policy)
  Drop,          // skip the store, resume the guest after the instruction
  GuestReset,    // the guest INITed itself: the VMM resets the guest (not the CPU)
  RaiseGp,       // inject #GP(0) (MSR writes)
  InitCpu,       // INIT to other CPU(s) (`target`): the VMM emulates it on those vCPUs
  StartCpu,      // start-up IPI to other CPU(s) (`target`, `sipi_vector`): the VMM emulates it
};
// Which CPUs an emulated INIT or SIPI is for (Verdict::InitCpu / StartCpu).
struct IpiTarget {
  u32 apic_id;              // physical destination (when !all_excluding_self)
  bool all_excluding_self;  // shorthand 11b, or (SIPI only) the physical broadcast ID
};
struct Decision {
  Verdict verdict;
  u64 value;           // what to store for Pass/PassModified; 0 otherwise
  const char* reason;  // short static text for the VMM log; nullptr for Pass
  IpiTarget target{};  // InitCpu, StartCpu
  u8 sipi_vector = 0;  // StartCpu: the CPU starts at real-mode address sipi_vector << 12
};

// True if QEMU turns a CPU store to gpa into an MSI instead of an APIC register write:
// inside the window at an offset > 0xFFF, or at register index ((gpa >> 4) & 0xFF) 0.
bool is_msi_write(u64 gpa);

// A 32-bit store at `offset` within the APIC window (0..0xFFFFF, i.e. gpa - kWindowBase).
// Like QEMU, the register is chosen by bits 11:4 (bits 3:0 are ignored); MSI-path offsets
// (see is_msi_write) are judged as on_msi_write(kWindowBase + offset, value).
// icr_high: the guest's current ICR high dword; self_apic_id: this CPU's APIC ID.
// Sub-dword stores are ignored by QEMU, so the VMM should drop them without asking;
// an 8-byte store is two 4-byte stores (offset, offset + 4) to ask about separately.
Decision on_xapic_write(u32 offset, u32 value, u32 icr_high, u32 self_apic_id);

// May a guest NMI IPI be delivered, when some CPU of the machine is outside
// the VMM (still the firmware's: it would take the NMI through the guest's
// real-mode IVT, outside SVM)? Then only an NMI to the sender itself or to a
// physical destination that is a vCPU may go; shorthands to all CPUs, logical
// destinations and the broadcast ID (never a vCPU's) could reach that CPU.
// With no CPU outside, every NMI may go. destination_is_vcpu: whether the
// ICR's physical destination names a vCPU.
bool nmi_ipi_allowed(const Icr& icr, bool cpu_outside_vmm, bool destination_is_vcpu);
// The same for an NMI-mode MSI (physical or logical destination, no shorthand).
bool nmi_msi_allowed(bool logical, bool cpu_outside_vmm, bool destination_is_vcpu);

// WRMSR to the x2APIC ICR (MSR 0x830): the same rules as an xAPIC ICR write, with a
// 32-bit destination (bits 63:32; physical broadcast 0xFFFFFFFF).
Decision on_x2apic_icr_write(u64 value, u32 self_apic_id);

// WRMSR to any x2APIC register MSR (0x800..0x8FF): the ICR and the LVTs are judged like
// their xAPIC counterparts, everything else passes.
Decision on_x2apic_msr_write(u32 msr, u64 value, u32 self_apic_id);

// A CPU store that QEMU delivers as an MSI (is_msi_write): Fixed/Lowest/NMI pass,
// everything else (SMI, INIT, Start-up, ExtINT, reserved) is dropped.
Decision on_msi_write(u64 address, u32 data);

// A store to IOWIN while IOREGSEL == index (82093AA §3.1): redirection low dwords with
// SMI/INIT/reserved modes are masked and set to Fixed; everything else passes.
Decision on_ioapic_redirection_write(u8 index, u32 value);

// The physical address bits phys_bits-1:12 of IA32_APIC_BASE (Intel SDM vol.3 §10.4.4).
constexpr u64 apic_base_address_mask(u32 phys_bits) {
  u64 top = phys_bits >= 64 ? ~0ull : (1ull << phys_bits) - 1;
  return top & ~0xFFFull;
}

// WRMSR IA32_APIC_BASE (Intel SDM vol.3 §10.4.4, §10.12.5): the base may not move, the BSP
// flag is read-only, EXTD needs x2APIC support and a valid state transition.
Decision on_apic_base_write(u64 current, u64 value, bool x2apic_supported, u32 phys_bits);

}  // namespace tv::apic
