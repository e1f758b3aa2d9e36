// The few I/O ports the VMM intercepts. Every other port passes through to the
// real device: the guest owns the platform.
#pragma once
#include "tv/types.hpp"

namespace tv {

inline constexpr u16 kDebugConsolePort = 0xE9;  // the VMM's log (QEMU debugcon)
inline constexpr u16 kDebugExitPort = 0xF4;     // QEMU isa-debug-exit (4 ports, 0xF4-0xF7): ends the run
inline constexpr u16 kDebugExitPorts = 4;
// Exit codes 0x10-0x1F belong to the VMM (kernel/platform.hpp RunEnd); a guest
// asking for one gets kGuestReservedExitCode instead, so it cannot forge them.
inline constexpr u8 kFirstVmmExitCode = 0x10;
inline constexpr u8 kLastVmmExitCode = 0x1F;
inline constexpr u8 kGuestReservedExitCode = 0x1F;

struct InterceptedPorts {
  static constexpr usize kMax = 8;
  u16 port[kMax];
  usize count;
  bool contains(u16 p) const {
    for (usize i = 0; i < count; ++i)
      if (port[i] == p) return true;
    return false;
  }
};

// The VMM log port and the exit ports always; the ACPI PM1a control port
// (both bytes) once watch_power_port() has found it.
const InterceptedPorts& intercepted_ports();
void watch_power_port(u16 pm1a_control);

}  // namespace tv
