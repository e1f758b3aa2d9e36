// The guest-state rules VMRUN enforces (AMD APM vol.2 §15.5.1 "Basic
// Operation", the list of illegal states), checked by the VMM before each
// VMRUN. QEMU's TCG lets a guest reach some of them without a fault that
// real hardware would raise; VMRUN then fails with VMEXIT_INVALID and QEMU
// overwrites the VMCB's save area with the host's state. Checking first lets
// the VMM repair what the guest cannot see, and name what it cannot repair.
#pragma once
#include "tv/types.hpp"
#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace tv {

struct VmrunState {
  u64 cr0;
  u64 cr3;
  u64 cr4;
  u64 efer;  // the VMCB's EFER (SVME included)
  u16 cs_attrib;
  u64 dr6;
  u64 dr7;
};

struct VmrunLimits {
  u64 efer_allowed;  // bits VMRUN accepts, SVME included
  u64 cr4_allowed;
  u8 phys_bits;
};

enum class VmrunFault : u8 {
  None,
  EferSvmeClear,
  EferReserved,
  Cr0NwWithoutCd,
  Cr0HighBits,
  Cr3HighBits,
  Cr4Reserved,
  Dr6HighBits,
  Dr7HighBits,
  LongModeWithoutPae,
  LongModeWithoutPe,
  LongModeCsLAndD,
};
const char* to_string(VmrunFault f);

// Clears CS.D when the guest runs 64-bit code (EFER.LME, CR0.PG, CR4.PAE and
// CS.L all set): in 64-bit mode the CPU ignores D, so the guest cannot tell,
// but VMRUN refuses L=1 with D=1. Returns true if it changed anything.
bool repair_invisible(VmrunState& s);

// The CR4 bits this CPU implements, from CPUID (AMD APM vol.2 §3.1.3; bits
// 0-10 exist on every x86-64 CPU, the rest only with their feature bit:
// Fn0000_0001 ECX 17 PCID, 26 XSAVE; Fn0000_0007 EBX 0 FSGSBASE, 7 SMEP,
// 20 SMAP; ECX 2 UMIP, 3 PKU, 7 CET, 16 LA57, 31 PKS).
u64 cr4_supported_bits(u32 leaf1_ecx, u32 leaf7_ebx, u32 leaf7_ecx);

// The first rule s breaks, or None.
VmrunFault check_vmrun_state(const VmrunState& s, const VmrunLimits& limits);

// The exit path's version: true if s breaks no rule and needs no repair, in a
// few branch-free instructions. Only when it says false does the caller run
// repair_invisible and check_vmrun_state to find out which.
inline bool vmrun_state_plainly_legal(const VmrunState& s, const VmrunLimits& l) {
  namespace cr0 = x86::cr0;
  namespace efer = x86::efer;
  const bool long_paging = (s.efer & efer::kLme) != 0 && (s.cr0 & cr0::kPg) != 0;
  const u64 bad_bits = (s.efer & ~l.efer_allowed) | (s.cr4 & ~l.cr4_allowed) | ((s.cr0 | s.dr6 | s.dr7) >> 32) |
                       (long_paging ? s.cr3 >> l.phys_bits : 0);
  const bool bad_combination = (s.efer & efer::kSvme) == 0 || (s.cr0 & (cr0::kNw | cr0::kCd)) == cr0::kNw ||
                               (s.cs_attrib & (x86::seg_attr::kLong | x86::seg_attr::kDefaultBig)) ==
                                   (x86::seg_attr::kLong | x86::seg_attr::kDefaultBig) ||
                               (long_paging && ((s.cr4 & x86::cr4::kPae) == 0 || (s.cr0 & cr0::kPe) == 0));
  return bad_bits == 0 && !bad_combination;
}

// The part of vmrun_state_plainly_legal a guest can change without an exit:
// CR3 (MOV CR3, task switches), CR4 (MOV CR4) and CS (far transfers). Sound
// only while CR0, EFER, DR6 and DR7 are as a full vmrun_state_plainly_legal
// last found them: the VMM intercepts every guest write to those, and the
// CPU itself changes only bits the rules do not look at (CR0.TS, EFER.LMA
// with an intercepted CR0.PG write, the DR6 status bits, DR7's local enables).
inline bool vmrun_guest_writable_state_plainly_legal(const VmrunState& s, const VmrunLimits& l) {
  const bool long_paging = (s.efer & x86::efer::kLme) != 0 && (s.cr0 & x86::cr0::kPg) != 0;
  const u64 bad_bits = (s.cr4 & ~l.cr4_allowed) | (long_paging ? s.cr3 >> l.phys_bits : 0);
  const bool bad_combination = (s.cs_attrib & (x86::seg_attr::kLong | x86::seg_attr::kDefaultBig)) ==
                                   (x86::seg_attr::kLong | x86::seg_attr::kDefaultBig) ||
                               (long_paging && (s.cr4 & x86::cr4::kPae) == 0);
  return bad_bits == 0 && !bad_combination;
}

}  // namespace tv
