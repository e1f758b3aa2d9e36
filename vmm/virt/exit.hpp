// A VM exit, described without vendor vocabulary. The backend translates its
// own exit code (SVM EXITCODE, VT-x basic exit reason) into one of these.
#pragma once
#include "tv/types.hpp"

namespace tv {

enum class ExitReason : u8 {
  Cpuid,
  MsrRead,
  MsrWrite,
  IoAccess,
  Hypercall,          // VMMCALL on AMD (VMCALL on Intel)
  InvalidOpcode,      // #UD intercepted: maybe an Intel VMCALL on AMD
  GeneralProtection,  // #GP intercepted: maybe an SVM instruction at CPL > 0
  VirtInstruction,    // the guest tried VMRUN/VMLOAD/VMSAVE/STGI/CLGI/SKINIT/INVLPGA
  Shutdown,           // triple fault
  NestedPageFault,
  Cr0Write,        // MOV CR0, LMSW, CLTS (intercepted: QEMU accepts values hardware refuses)
  DrRead,          // MOV from DR0-DR7 (Exit::debug_register says which)
  DrWrite,         // MOV to DR0-DR7
  DebugException,  // #DB intercepted: a breakpoint, watchpoint or single-step (debug_exit.cpp)
  Nmi,             // an NMI arrived in the guest: a kick from another CPU, or the guest's own (kernel/smp.cpp)
  Other,
  Count
};
const char* to_string(ExitReason r);

struct IoExit {
  u16 port;
  u8 size;  // 1, 2 or 4 bytes
  bool in;
  bool string;
  bool rep;
  u64 next_rip;  // the backend knows it without decoding (SVM EXITINFO2)
};

struct NestedFaultExit {
  u64 gpa;
  bool write;
  bool present;  // the nested entry was present (a permission fault)
};

struct Exit {
  ExitReason reason = ExitReason::Other;
  u64 vendor_code = 0;                 // kept for logs and statistics
  u32 error_code = 0;                  // for intercepted exceptions that push one
  bool during_event_delivery = false;  // the exit interrupted the delivery of an event
  u8 debug_register = 0;               // DrRead / DrWrite: the DR number the instruction names
  IoExit io{};
  NestedFaultExit npf{};
};

}  // namespace tv
