#include "kernel/platform.hpp"

#include <stdarg.h>

#include "arch/x86/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/smp.hpp"
#include "tv/format.hpp"

namespace tv {

namespace {
constexpr u16 kDebugExitPort = 0xF4;
}

void end_run(RunEnd why) {
  smp::stop_other_cpus();  // one CPU ends the run; the others halt
  TV_LOG("run ends (code 0x%x)", unsigned(why));
  x86::outb(kDebugExitPort, u8(why));
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
