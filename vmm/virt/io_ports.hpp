// The few I/O ports the VMM intercepts. Every other port passes through to the
// real device: the guest owns the platform.
#pragma once
#include "tv/types.hpp"

namespace tv {

inline constexpr u16 kDebugConsolePort = 0xE9;  // the VMM's log (QEMU debugcon)
inline constexpr u16 kDebugExitPort = 0xF4;     // QEMU isa-debug-exit: ends the run

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

// The VMM log port and the exit port always; the ACPI PM1a control port
// (both bytes) once watch_power_port() has found it.
const InterceptedPorts& intercepted_ports();
void watch_power_port(u16 pm1a_control);

}  // namespace tv
