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

InterceptedPorts g_ports = {
    {kDebugConsolePort, kDebugExitPort, kDebugExitPort + 1, kDebugExitPort + 2, kDebugExitPort + 3}, 5};
u16 g_pm1a = 0;
u64 g_dropped_log_bytes = 0;

constexpr u8 kSlpEnHighByte = 1u << 5;  // ACPI 6.5 §4.8.3.2.1 PM1 control: SLP_EN is bit 13

u64 size_mask(u8 size) {
  return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFF;
}

u64 port_in(u16 port, u8 size) {
  if (size == 1) return x86::inb(port);
  if (size == 2) return x86::inw(port);
  return x86::inl(port);
}

void port_out(u16 port, u8 size, u64 v) {
  if (size == 1)
    x86::outb(port, u8(v));
  else if (size == 2)
    x86::outw(port, u16(v));
  else
    x86::outl(port, u32(v));
}

// An access exits if any of its bytes hits an intercepted port (AMD APM vol.2
// §15.10.1), so match on overlap, never on the first port alone.
bool touches(const IoExit& io, u16 first, u16 count) {
  return io.port < first + count && first < io.port + io.size;
}

// True if the write sets SLP_EN in PM1a_CNT (whatever byte the access starts at).
bool sets_sleep_enable(const IoExit& io, u64 value) {
  if (g_pm1a == 0) return false;
  for (u8 i = 0; i < io.size; ++i)
    if (u16(io.port + i) == u16(g_pm1a + 1) && ((value >> (8 * i)) & kSlpEnHighByte) != 0) return true;
  return false;
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

}  // namespace

const InterceptedPorts& intercepted_ports() {
  return g_ports;
}

void watch_power_port(u16 pm1a) {
  g_pm1a = pm1a;
  for (u16 p : {pm1a, u16(pm1a + 1)})
    if (!g_ports.contains(p) && g_ports.count < InterceptedPorts::kMax) g_ports.port[g_ports.count++] = p;
}

void handle_io(Vcpu& vcpu, const IoExit& io) {
  u64 mask = size_mask(io.size);
  if (io.string) {
    // None of the watched ports is used with INS/OUTS; skip rather than emulate.
    TV_LOG_GUEST("guest string I/O on watched port %x ignored", io.port);
  } else if (touches(io, kDebugConsolePort, 1)) {
    // The VMM's own log port: reads see nothing, writes are dropped.
    if (io.in)
      vcpu.set_gpr(Gpr::Rax, (vcpu.gpr(Gpr::Rax) & ~mask) | mask);
    else
      ++g_dropped_log_bytes;
  } else if (io.in) {
    vcpu.set_gpr(Gpr::Rax, (vcpu.gpr(Gpr::Rax) & ~mask) | (port_in(io.port, io.size) & mask));
  } else if (touches(io, kDebugExitPort, kDebugExitPorts)) {
    debug_exit_write(io, vcpu.gpr(Gpr::Rax) & mask);
  } else {
    u64 value = vcpu.gpr(Gpr::Rax) & mask;
    if (sets_sleep_enable(io, value)) {
      TV_LOG("guest powers off (port %x <- %lx)", io.port, value);
      print_run_report("guest power-off");
    }
    port_out(io.port, io.size, value);
  }
  vcpu.complete_instruction(io.next_rip);
}

}  // namespace tv
