// Intercepted I/O. The VMM's log port is the VMM's own, so guest accesses to
// it are dropped. Writes to the platform's reset, A20 and ACPI sleep ports go
// through the platform policy (lib/src/platform_ports.cpp): a reset ends the
// run (firmware's reset path trusts guest-controlled state, issue 7), A20
// stays on (the VMM lives above 1 MiB too), S5 powers off after the run
// report, other sleep states are refused. Reads pass through.
#include <initializer_list>

#include "arch/x86/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/platform.hpp"
#include "tv/spinlock.hpp"
#include "virt/exit_dispatch.hpp"
#include "virt/io_ports.hpp"
#include "virt/pci_config_exit.hpp"
#include "virt/run_report.hpp"

namespace tv {
namespace {

InterceptedPorts g_ports = {
    {kDebugConsolePort, kDebugExitPort, kDebugExitPort + 1, kDebugExitPort + 2, kDebugExitPort + 3}, 5};
PlatformPortPolicy g_platform{PlatformPortConfig{}};
u64 g_dropped_log_bytes = 0;
u16 g_console_uart = 0;  // base of the VMM's console UART, 0 if none
bool g_power_off_reported = false;

using x86::port_in;
using x86::port_out;

// An access exits if any of its bytes hits an intercepted port (AMD APM vol.2
// §15.10.1), so match on overlap, never on the first port alone.
bool touches(const IoExit& io, u16 first, u16 count) {
  return io.port < first + count && first < io.port + io.size;
}

void debug_exit_write(const IoExit& io, u64 value) {
  if (io.port != kDebugExitPort) {
    TV_LOG_GUEST("guest write to isa-debug-exit at port %x (not its base) dropped", io.port);
    return;
  }
  u64 code = value & 0xFF;
  if (code >= kFirstVmmExitCode && code <= kLastVmmExitCode) {
    TV_LOG("guest asked to exit with code 0x%lx, which the VMM reserves; using 0x%x", code,
           unsigned(kGuestReservedExitCode));
    value = (value & ~0xFFull) | kGuestReservedExitCode;
  }
  TV_LOG("guest powers off (port %x <- %lx)", io.port, value);
  print_run_report("guest power-off");
  port_out(io.port, io.size, value);
}

// The report comes once: a guest that keeps writing S5 (and is still running,
// e.g. because PM1b is needed too) must not flood the log.
void report_power_off(const IoExit& io, u64 value) {
  if (g_power_off_reported) {
    TV_LOG_GUEST("guest power-off write again (port %x <- %lx)", io.port, value);
    return;
  }
  g_power_off_reported = true;
  TV_LOG("guest powers off (port %x <- %lx)", io.port, value);
  print_run_report("guest power-off");
}

// One policy for the machine: judging a write and performing it are one step
// for all CPUs, or one CPU's 8042 command (0xD1) could be judged and sent
// between another's judged data byte and its OUT, which would then reach the
// output port unjudged (A20 off, or a reset the VMM never sees).
SpinLock g_platform_lock;

void platform_write(const IoExit& io, u64 value) {
  SpinGuard g(g_platform_lock);
  const PortDecision d = g_platform.on_out(io.port, io.size, u32(value));
  switch (d.action) {
    case PortAction::Pass: return port_out(io.port, io.size, value);
    case PortAction::PassModified:
      TV_LOG_GUEST("guest port %x <- %lx written as %x: %s", io.port, value, d.value, d.reason);
      return port_out(io.port, io.size, d.value);
    case PortAction::Drop: TV_LOG_GUEST("guest port %x <- %lx dropped: %s", io.port, value, d.reason); return;
    case PortAction::GuestReset:
      TV_LOG("guest resets the machine (port %x <- %lx: %s); the run ends here", io.port, value, d.reason);
      print_run_report("guest reset");
      end_run(RunEnd::GuestReset);
    case PortAction::PowerOff: report_power_off(io, value); return port_out(io.port, io.size, d.value);
    case PortAction::RefuseSleep:
      TV_LOG_GUEST("guest port %x <- %lx: %s; written as %x, the guest keeps running", io.port, value, d.reason,
                   d.value);
      return port_out(io.port, io.size, d.value);
  }
}

}  // namespace

const InterceptedPorts& intercepted_ports() {
  return g_ports;
}

void take_console_uart(u16 base) {
  g_console_uart = base;
  for (u16 p = base; p < base + 8; ++p)
    if (!g_ports.contains(p) && g_ports.count < InterceptedPorts::kMax) g_ports.port[g_ports.count++] = p;
}

void intercept_ports(const u16* ports, usize count) {
  for (usize i = 0; i < count; ++i)
    if (!g_ports.contains(ports[i]) && g_ports.count < InterceptedPorts::kMax) g_ports.port[g_ports.count++] = ports[i];
}

void configure_platform_ports(const PlatformPortConfig& cfg) {
  g_platform = PlatformPortPolicy(cfg);
  u16 ports[kMaxPlatformPorts];
  usize n = g_platform.intercepted_ports(ports, kMaxPlatformPorts);
  for (usize i = 0; i < n && i < kMaxPlatformPorts; ++i)
    if (!g_ports.contains(ports[i]) && g_ports.count < InterceptedPorts::kMax) g_ports.port[g_ports.count++] = ports[i];
}

void handle_io(Vcpu& vcpu, const IoExit& io) {
  if (is_pci_config_access(io)) return handle_pci_config_io(vcpu, io);
  u64 mask = x86::io_size_mask(io.size);
  if (io.string) {
    // No watched port is used with INS/OUTS; not performing them is the safe answer.
    TV_LOG_GUEST("guest string I/O on watched port %x not performed", io.port);
  } else if (g_console_uart != 0 && touches(io, g_console_uart, 8)) {
    // The VMM's console: to the guest no UART is there (all ones, writes lost).
    if (io.in) vcpu.set_gpr(Gpr::Rax, (vcpu.gpr(Gpr::Rax) & ~mask) | mask);
    TV_LOG_GUEST("guest %s port %x: the VMM's console UART, not the guest's", io.in ? "read from" : "write to",
                 io.port);
  } else if (touches(io, kDebugConsolePort, 1)) {
    // The VMM's own log port: reads see nothing, writes are dropped.
    if (io.in)
      vcpu.set_gpr(Gpr::Rax, (vcpu.gpr(Gpr::Rax) & ~mask) | mask);
    else
      __atomic_fetch_add(&g_dropped_log_bytes, 1, __ATOMIC_RELAXED);  // any CPU
  } else if (io.in) {
    vcpu.set_gpr(Gpr::Rax, (vcpu.gpr(Gpr::Rax) & ~mask) | (port_in(io.port, io.size) & mask));
  } else if (touches(io, kDebugExitPort, kDebugExitPorts)) {
    debug_exit_write(io, vcpu.gpr(Gpr::Rax) & mask);
  } else {
    platform_write(io, vcpu.gpr(Gpr::Rax) & mask);
  }
  vcpu.complete_instruction(io.next_rip);
}

}  // namespace tv
