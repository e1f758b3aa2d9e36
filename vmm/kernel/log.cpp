#include "kernel/log.hpp"

#include <stdarg.h>

#include "arch/x86/cpu.hpp"
#include "tv/format.hpp"
#include "tv/ring_buffer.hpp"

namespace tv::log {
namespace {
constexpr u16 kDebugConsolePort = 0xE9;
ByteRing<64 * 1024> g_ring;
}  // namespace

void write(const char* text, usize n) {
  for (usize i = 0; i < n; ++i) x86::outb(kDebugConsolePort, u8(text[i]));
  g_ring.write(text, n);
}

void printf(const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  usize n = vformat(line, sizeof line, fmt, ap);
  va_end(ap);
  write(line, n < sizeof line ? n : sizeof line - 1);
}

usize copy_out(char* out, usize cap, usize skip) {
  return g_ring.copy_out(out, cap, skip);
}
u64 total_written() {
  return g_ring.total_written();
}
u64 now() {
  return x86::rdtsc();
}
void note_suppressed(u64 count) {
  if (count != 0) printf("thinvisor: (%lu similar guest-triggered lines suppressed)\n", count);
}
usize retained() {
  return g_ring.size();
}

}  // namespace tv::log
