// How a run ends. On QEMU, writing v to the isa-debug-exit port (0xF4) ends the
// emulator with status (v << 1) | 1; on hardware without the device the write is
// ignored and the CPU halts, which is the right end for a type-1 VMM too.
#pragma once
#include "tv/types.hpp"

namespace tv {

enum class RunEnd : u8 {
  GuestShutdown = 0x10,       // guest triple fault (SVM SHUTDOWN intercept)
  VmmPanic = 0x11,            // VMM exception or panic()
  SvmUnavailable = 0x12,      // no SVM, or disabled by firmware
  GuestBootFailed = 0x13,     // the guest image could not be loaded
  GuestReset = 0x14,          // the guest reset its CPU or the machine (INIT, 0x92, 0xCF9, 8042, ACPI reset)
  GuestStateRejected = 0x15,  // the guest reached a state VMRUN refuses that the VMM cannot repair
};

[[noreturn]] void end_run(RunEnd why);
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// panic=SECONDS (as Linux's): after a VMM panic's report, reset the machine
// that many seconds later instead of halting (0, the default: halt). On QEMU
// the isa-debug-exit port ends the run first; on hardware it does nothing.
void set_panic_reset_seconds(u32 seconds);  // at most an hour

}  // namespace tv
