// The guest's debug registers as the VMM keeps them: one file per vCPU holding
// what the guest wrote (DR0-DR3, DR6, DR7) and the slots the VMM has claimed
// for its own watchpoints, and deriving from both what the CPU runs the guest
// with (docs/debug-registers.md).
//
// Three ways in:
//  - MOV DR (always intercepted): architectural (AMD APM vol.2 §13.1.1 "Debug
//    Registers"; vol.3 "MOV DRn"): aliasing, fixed bits, GD, #GP on high bits.
//  - set_debugreg / get_debugreg hypercalls (the lguest proposal): validated,
//    all or nothing, a distinct DebugRegError per rule.
//  - VMM watchpoints: claim() / release() of a free slot.
//
// The hardware view: a guest slot is armed only if its range misses the VMM's
// memory (the VMM is identity-mapped, so a guest-linear address equal to a VMM
// address would match in the VMM); a slot the VMM holds runs the VMM's
// watchpoint and the guest's wish for it waits in the file until release().
#pragma once
#include "tv/dr7.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class DrOutcome : u8 {
  Ok,
  Undefined,     // #UD: DR8-15, or DR4/DR5 with CR4.DE set
  GpHighBits,    // #GP(0): DR6/DR7 bits 63:32 set in 64-bit mode
  GeneralDetect  // #DB (fault): DR7.GD was set; DR6.BD now set, DR7.GD cleared
};
const char* to_string(DrOutcome o);

// Why a validated write (or a watchpoint claim) was refused. The file is unchanged.
enum class DebugRegError : u8 {
  BadRegister = 1,           // regnum outside 0-7
  Dr4Dr5Undefined,           // DR4/DR5 while CR4.DE is set (with CR4.DE clear they alias DR6/DR7)
  HighBits,                  // bits 63:32 of DR6/DR7 set
  GeneralDetect,             // DR7.GD requested: the guest would trap its own kernel's DR accesses
  IoWithoutDe,               // an I/O breakpoint (R/W = 10) while CR4.DE is clear
  ExecLength,                // an execute breakpoint with LEN != 00
  EightByteOutsideLongMode,  // LEN = 10 (8 bytes) while the caller is not in 64-bit mode
  Misaligned,                // the address is not aligned to the slot's length
  NonCanonical,              // the address is not canonical
  VmmRange,                  // the range overlaps the VMM's memory
  VmmSlot,                   // the slot is held by a VMM watchpoint
  NoFreeSlot,                // claim(): every slot is in use (by the guest or the VMM)
  NotWatched,                // release(): the slot holds no VMM watchpoint
  BadLength,                 // claim(): length not 1, 2, 4 or 8
  BadKind,                   // claim(): a kind a watchpoint cannot have (I/O)
  VmmInternal,               // unwatch: the VMM itself uses the slot (e.g. the module-load detector)
};
inline constexpr u8 kDebugRegErrorCount = 16;
const char* to_string(DebugRegError e);

struct DrRead {
  DrOutcome outcome;
  u64 value;
};

// What the validated path needs to know about the caller's CPU.
struct DrContext {
  bool cr4_de;     // DR4/DR5 undefined, I/O breakpoints allowed
  bool long_mode;  // 8-byte breakpoints allowed
  bool la57;       // 57-bit linear addresses (canonical check)
};

// A VMM watchpoint (slot held by the VMM).
struct Watchpoint {
  u64 addr;
  BpType type;
  u8 len;
  u64 hits;
};

// The #DB verdict (on_debug_exception).
struct DbVerdict {
  u8 vmm_hits;    // slots (bits 0-3) whose VMM watchpoint fired
  bool reflect;   // the guest gets #DB
  u64 guest_dr6;  // the DR6 the guest sees from now on (VMM hits removed)
};

class GuestDebugRegs {
 public:
  // The VMM's memory as host-linear ranges (not owned; set once at start-up).
  void set_protected(const Range* ranges, usize count);

  // MOV DR. dr6_now is the guest's DR6 as the hardware left it (SVM keeps it
  // in the VMCB). On Ok for DR6 the caller stores dr6() into the VMCB.
  DrRead read(u8 n, bool cr4_de, u64 dr6_now);
  DrOutcome write(u8 n, u64 value, bool cr4_de, bool long_mode, u64 dr6_now);

  // The hypercalls. set_checked applies all of the rules to the file as it
  // would be after the write and changes nothing unless all pass; for DR6
  // the caller stores dr6() into the VMCB afterwards.
  Result<u64, DebugRegError> get_checked(u8 n, const DrContext& c, u64 dr6_now) const;
  Status<DebugRegError> set_checked(u8 n, u64 value, const DrContext& c);

  // VMM watchpoints: a slot the guest has not enabled. Returns the slot.
  Result<u8, DebugRegError> claim(u64 addr, BpType type, u8 len, const DrContext& c);
  Status<DebugRegError> release(u8 slot);
  u8 vmm_slots() const { return vmm_mask_; }
  const Watchpoint& watchpoint(u8 slot) const { return watch_[slot & 3]; }
  void count_hit(u8 slot) { ++watch_[slot & 3].hits; }

  // The guest's own view.
  u64 dr(u8 slot) const { return dr_[slot & 3]; }
  u64 dr6() const { return dr6_; }
  u64 dr7() const { return dr7_; }
  bool breakpoints_enabled() const { return (dr7_ & 0xFF) != 0; }

  // What the CPU runs the guest with (recomputed on every change).
  u64 hardware_dr(u8 slot) const { return hw_dr_[slot & 3]; }
  u64 hardware_dr7() const { return hw_dr7_; }
  bool armed() const { return (hw_dr7_ & 0xFF) != 0; }
  // Guest slots enabled but not armed because they overlap the VMM (bits 0-3).
  u8 refused_guest_slots() const { return refused_; }
  // Changes whenever hardware_dr7() or the address of a slot it arms may have
  // (a disabled slot's address is loaded when DR7 arms it).
  u32 generation() const { return generation_; }

  // A #DB intercepted with DR6 dr6_at_entry when the guest was entered and
  // dr6_now at the exit; rflags_tf: the guest was single-stepping.
  DbVerdict on_debug_exception(u64 dr6_at_entry, u64 dr6_now, bool rflags_tf) const;

 private:
  // Applies DR7.GD: returns true if the access must fault with #DB instead.
  bool general_detect(u64 dr6_now);
  bool overlaps_vmm(u64 base, u64 len) const;
  Status<DebugRegError> check_slot(u8 slot, u64 addr, u64 dr7, const DrContext& c) const;
  void apply_slot(u8 s);
  void recompute();
  u64 dr_[4] = {};
  u64 dr6_ = 0xFFFF0FF0;
  u64 dr7_ = 0x400;
  bool cr4_de_at_dr7_write_ = false;
  u8 vmm_mask_ = 0;
  Watchpoint watch_[4] = {};
  u64 hw_dr_[4] = {};
  u64 hw_dr7_ = 0x400;
  u8 refused_ = 0;
  u32 generation_ = 1;  // a CPU's DebugCpuState starts at ~0u: the first entry loads
  const Range* protected_ = nullptr;
  usize protected_count_ = 0;
};

// The world switch for debug registers, over what the backend can do. The VMM
// always runs with DR7 = 400h (its exit path disarms right after VMRUN), so
// before the next entry: DR0-DR3 first (harmless while DR7 is off), then the
// guest's DR7 and DR6 into the VMCB, which VMRUN loads atomically with the
// rest of the guest state (APM vol.2 §15.5.1). On exit the CPU saves DR6/DR7
// to the VMCB and the exit path writes DR7 = 400h before touching memory.
// Hw provides load_dr(n, value) (MOV DRn on this CPU) and set_guest_dr7(value)
// (the VMCB's DR7); a template so the backend's calls inline.

// What this CPU's DR0-DR3 hold (per-CPU: a vCPU may move).
struct DebugCpuState {
  u64 dr[4] = {};
  u32 generation = ~0u;
  const GuestDebugRegs* file = nullptr;
};

// Brings the CPU and the VMCB in line with the file: only what changed.
template <typename Hw>
void prepare_debug_entry(const GuestDebugRegs& f, DebugCpuState& cpu, Hw& hw) {
  if (cpu.file == &f && cpu.generation == f.generation()) return;
  for (u8 s = 0; s < kBreakpointSlots; ++s) {
    const u64 v = f.hardware_dr(s);
    if (cpu.file == &f && cpu.dr[s] == v) continue;
    hw.load_dr(s, v);
    cpu.dr[s] = v;
  }
  hw.set_guest_dr7(f.hardware_dr7());
  cpu.file = &f;
  cpu.generation = f.generation();
}

}  // namespace tv
