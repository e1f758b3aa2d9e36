#include "kernel/platform.hpp"

#include <stdarg.h>

#include "arch/x86/cpu.hpp"
#include "arch/x86/uart.hpp"
#include "kernel/log.hpp"
#include "kernel/smp.hpp"
#include "tv/format.hpp"

namespace tv {

namespace {
constexpr u16 kDebugExitPort = 0xF4;
u32 g_panic_reset_s = 0;

// The platform's reset, as firmware offers it: the PCI reset control (0xCF9,
// PIIX3/ICH9: full reset), then the 8042's pulse; if neither works, halt.
[[noreturn]] void reset_machine() {
  x86::outb(0xCF9, 0x02);
  x86::outb(0xCF9, 0x06);
  x86::pit_delay_ms(50);
  x86::outb(0x64, 0xFE);
  x86::halt_forever();
}
}  // namespace

void set_panic_reset_seconds(u32 seconds) {
  g_panic_reset_s = seconds;
}

void end_run(RunEnd why) {
  smp::stop_other_cpus();  // one CPU ends the run; the others halt
  TV_LOG("run ends (code 0x%x)", unsigned(why));
  x86::outb(kDebugExitPort, u8(why));
  if (why == RunEnd::VmmPanic && g_panic_reset_s != 0) {
    TV_LOG("panic=%u: resetting the machine in %u s", g_panic_reset_s, g_panic_reset_s);
    x86::pit_delay_ms(g_panic_reset_s * 1000);
    reset_machine();
  }
  x86::halt_forever();
}

void panic(const char* fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vformat(msg, sizeof msg, fmt, ap);
  va_end(ap);
  smp::stop_other_cpus();
  TV_LOG_ERROR("PANIC on CPU %u: %s", smp::this_cpu_index(), msg);
  log::report_tail();
  end_run(RunEnd::VmmPanic);
}

}  // namespace tv
