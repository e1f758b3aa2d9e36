// Intercepted I/O. The VMM's log port is the VMM's own, so guest accesses to it
// are dropped. The power-off ports pass through after the VMM prints its
// end-of-run report (the write that turns the machine off ends the VMM too).
#include <initializer_list>

#include "arch/x86/cpu.hpp"
#include "kernel/log.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/io_ports.hpp"
#include "virt/run_report.hpp"

namespace tv {
namespace {

InterceptedPorts g_ports = {{kDebugConsolePort, kDebugExitPort}, 2};
u16 g_pm1a = 0;
u64 g_dropped_log_bytes = 0;

constexpr u64 kSlpEn = 1u << 13;  // ACPI 6.5 §4.8.3.2.1 PM1 control register: SLP_EN

u64 size_mask(u8 size) { return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFF; }

u64 port_in(u16 port, u8 size) {
  if (size == 1) return x86::inb(port);
  if (size == 2) return x86::inw(port);
  return x86::inl(port);
}

void port_out(u16 port, u8 size, u64 v) {
  if (size == 1) x86::outb(port, u8(v));
  else if (size == 2) x86::outw(port, u16(v));
  else x86::outl(port, u32(v));
}

bool is_power_off(const IoExit& io, u64 value) {
  if (io.port == kDebugExitPort) return true;
  return g_pm1a != 0 && io.port == g_pm1a && io.size >= 2 && (value & kSlpEn) != 0;
}

}  // namespace

const InterceptedPorts& intercepted_ports() { return g_ports; }

void watch_power_port(u16 pm1a) {
  g_pm1a = pm1a;
  for (u16 p : {pm1a, u16(pm1a + 1)})
    if (!g_ports.contains(p) && g_ports.count < InterceptedPorts::kMax) g_ports.port[g_ports.count++] = p;
}

void handle_io(Vcpu& vcpu, const IoExit& io) {
  u64 mask = size_mask(io.size);
  if (io.string) {
    // None of the watched ports is used with INS/OUTS; skip rather than emulate.
    TV_LOG("guest string I/O on watched port %x ignored", io.port);
  } else if (io.port == kDebugConsolePort) {
    if (io.in) vcpu.set_gpr(Gpr::Rax, (vcpu.gpr(Gpr::Rax) & ~mask) | mask);
    else ++g_dropped_log_bytes;
  } else if (io.in) {
    vcpu.set_gpr(Gpr::Rax, (vcpu.gpr(Gpr::Rax) & ~mask) | (port_in(io.port, io.size) & mask));
  } else {
    u64 value = vcpu.gpr(Gpr::Rax) & mask;
    if (is_power_off(io, value)) {
      TV_LOG("guest powers off (port %x <- %lx)", io.port, value);
      print_run_report("guest power-off");
    }
    port_out(io.port, io.size, value);
  }
  vcpu.set_rip(io.next_rip);
}

}  // namespace tv
