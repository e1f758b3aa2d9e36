// The guest's debug registers as the VMM keeps them: a per-vCPU file that
// MOV DR reads and writes (the VMM intercepts them all), judged by the
// architectural rules (AMD APM vol.2 §13.1.1 "Debug Registers"; vol.3
// "MOV DRn"). Why intercept: QEMU's TCG leaves a guest's breakpoints armed
// after #VMEXIT, and the VMM is identity-mapped, so a guest breakpoint on a
// VMM address would fire in the VMM. The hardware DR7 the guest runs with is
// the VMM's choice (hardware_dr7()), never the guest's raw value.
#pragma once
#include "tv/types.hpp"

namespace tv {

enum class DrOutcome : u8 {
  Ok,
  Undefined,     // #UD: DR8-15, or DR4/DR5 with CR4.DE set
  GpHighBits,    // #GP(0): DR6/DR7 bits 63:32 set in 64-bit mode
  GeneralDetect  // #DB (fault): DR7.GD was set; DR6.BD now set, DR7.GD cleared
};
const char* to_string(DrOutcome o);

struct DrRead {
  DrOutcome outcome;
  u64 value;
};

class GuestDebugRegs {
 public:
  // dr6 is the guest's DR6 as the hardware left it (SVM keeps DR6 in the VMCB).
  DrRead read(u8 n, bool cr4_de, u64 dr6_now);
  // On Ok for DR6 the caller stores dr6() into the VMCB.
  DrOutcome write(u8 n, u64 value, bool cr4_de, bool long_mode, u64 dr6_now);

  u64 dr(u8 slot) const { return dr_[slot & 3]; }
  u64 dr6() const { return dr6_; }
  u64 dr7() const { return dr7_; }
  // The DR7 the CPU gets at VMRUN: no breakpoint is ever armed (hardening,
  // issue 7); the guest's own value lives here and reads back unchanged.
  static constexpr u64 hardware_dr7() { return 0x400; }
  bool breakpoints_enabled() const { return (dr7_ & 0xFF) != 0; }

 private:
  // Applies DR7.GD: returns true if the access must fault with #DB instead.
  bool general_detect(u64 dr6_now);
  u64 dr_[4] = {};
  u64 dr6_ = 0xFFFF0FF0;
  u64 dr7_ = 0x400;
};

}  // namespace tv
