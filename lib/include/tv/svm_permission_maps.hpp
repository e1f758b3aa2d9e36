// The SVM permission maps, hardware-free: which bit intercepts which I/O port
// (AMD APM vol.2 §15.10.1 "I/O Permissions Map": 12 KiB, one bit per port) and
// which bits intercept reads and writes of an MSR (§15.11 "MSR Intercepts":
// 8 KiB, two bits per MSR in three 2 KiB ranges).
#pragma once
#include "tv/types.hpp"

namespace tv {

inline constexpr usize kIopmBytes = 12 * 1024;
inline constexpr usize kMsrpmBytes = 8 * 1024;

void set_io_intercept(u8 (&iopm)[kIopmBytes], u16 port);
// False (and nothing set) for an MSR outside the three ranges the map covers;
// such MSRs always exit when MSR interception is on.
bool set_msr_intercept(u8 (&msrpm)[kMsrpmBytes], u32 msr, bool on_read, bool on_write);
// True if the map has bits for this MSR (0-1FFFh, C000_0000h-C000_1FFFh,
// C001_0000h-C001_1FFFh); accesses to any other MSR always exit.
bool msrpm_covers(u32 msr);

}  // namespace tv
