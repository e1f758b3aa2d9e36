#include "kernel/platform.hpp"

#include <stdarg.h>

#include "arch/x86/cpu.hpp"
#include "kernel/log.hpp"
#include "tv/format.hpp"

namespace tv {

namespace {
constexpr u16 kDebugExitPort = 0xF4;
}

void end_run(RunEnd why) {
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
  TV_LOG_ERROR("PANIC: %s", msg);
  log::report_tail();
  end_run(RunEnd::VmmPanic);
}

}  // namespace tv
