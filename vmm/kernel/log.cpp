#include "kernel/log.hpp"

#include <stdarg.h>

#include "arch/x86/cpu.hpp"
#include "arch/x86/uart.hpp"
#include "kernel/memory.hpp"
#include "tv/console_option.hpp"
#include "tv/format.hpp"
#include "tv/spinlock.hpp"
#include "tv/str.hpp"

extern "C" tv::u64 boot_entry_tsc;  // arch/x86/boot.S: TSC at the multiboot entry

namespace tv::log {
namespace {
constexpr u16 kDebugConsolePort = 0xE9;
constexpr usize kPanicTailBytes = 2 * KiB;  // about 20 lines: the run-up to a panic
// The ring from the first line on; log.size may later shrink it in place or
// move the log into pool pages (then these 64 KiB stay unused).
char g_boot_storage[kLogDefaultBytes];
// constinit: the VMM runs no global constructors, and it logs before any could run.
constinit LogRing g_ring(g_boot_storage, sizeof g_boot_storage);
SpinLock g_lock;  // the console port and the ring, so lines of different CPUs do not mix
bool g_reporting = false;

bool lock_for_line() {
  if (!__atomic_load_n(&g_reporting, __ATOMIC_ACQUIRE)) {
    g_lock.lock();
    return true;
  }
  for (u32 i = 0; i < 1000000; ++i) {
    if (g_lock.try_lock()) return true;
    __builtin_ia32_pause();
  }
  return false;  // held by a stopped CPU: write anyway
}

u16 g_uart = 0;  // the console UART's base port; 0: QEMU's debug console

void console(const char* text, usize n) {
  if (g_uart == 0) {
    for (usize i = 0; i < n; ++i) x86::outb(kDebugConsolePort, u8(text[i]));
    return;
  }
  for (usize i = 0; i < n; ++i) {
    if (text[i] == '\n') x86::uart_put(g_uart, '\r');
    x86::uart_put(g_uart, u8(text[i]));
  }
}

void vprintf_at(LogLevel level, const char* fmt, va_list ap) {
  char line[512];
  usize n = vformat(line, sizeof line, fmt, ap);
  write(level, line, n < sizeof line ? n : sizeof line - 1);
}

}  // namespace

void write(LogLevel level, const char* text, usize n) {
  const bool locked = lock_for_line();
  console(text, n);
  g_ring.append(level, now() - boot_entry_tsc, text, n);
  if (locked) g_lock.unlock();
}

u16 configure_console(const Cmdline& cmd) {
  // Default: QEMU's debug console where it is there (it reads back 0xE9), else COM1.
  ConsoleSpec spec = x86::inb(kDebugConsolePort) == kDebugconPort ? ConsoleSpec{ConsoleKind::Debugcon, kDebugconPort, 0}
                                                                  : ConsoleSpec{ConsoleKind::Uart, 0x3F8, kDefaultBaud};
  if (const char* v = cmd.get("console")) {
    auto parsed = parse_console_option(v, str_len(v));
    if (parsed)
      spec = *parsed;
    else
      TV_LOG_WARN("console=%s: %s; the console stays where it was", v, to_string(parsed.error()));
  }
  if (spec.kind == ConsoleKind::Debugcon) {
    g_uart = 0;
    return 0;
  }
  x86::uart_init(spec.port, uart_divisor(spec.baud));
  TV_LOG("console: the VMM's log goes to the UART at %x, %u baud, from here on; the guest does not get that UART",
         unsigned(spec.port), spec.baud);
  g_uart = spec.port;
  TV_LOG("console: UART at %x, %u baud (the debug console got the lines before this one)", unsigned(spec.port),
         spec.baud);
  return spec.port;
}

void break_lock_for_report() {
  __atomic_store_n(&g_reporting, true, __ATOMIC_RELEASE);
}

void printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf_at(LogLevel::Info, fmt, ap);
  va_end(ap);
}

void printf_at(LogLevel level, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf_at(level, fmt, ap);
  va_end(ap);
}

const LogRing& ring() {
  return g_ring;
}
u64 now() {
  return x86::rdtsc();
}
void note_suppressed(u64 count) {
  if (count != 0) printf("thinvisor: (%lu similar guest-triggered lines suppressed)\n", count);
}

usize configured_bytes(const Cmdline& cmd) {
  auto kib = cmd.get_u64("log.size", kLogDefaultBytes / KiB);
  if (!kib) return kLogDefaultBytes;
  auto bytes = log_bytes_from_kib(*kib);
  return bytes ? *bytes : kLogDefaultBytes;
}

usize pool_bytes_needed(const Cmdline& cmd) {
  usize bytes = configured_bytes(cmd);
  return bytes > sizeof g_boot_storage ? bytes : 0;
}

void configure(const Cmdline& cmd) {
  if (auto kib = cmd.get_u64("log.size", kLogDefaultBytes / KiB); !kib) {
    TV_LOG_WARN("log.size: %s; the log ring stays %lu KiB", to_string(kib.error()), kLogDefaultBytes / KiB);
    return;
  } else if (auto bytes = log_bytes_from_kib(*kib); !bytes) {
    TV_LOG_WARN("log.size=%lu: %s; the log ring stays %lu KiB", *kib, to_string(bytes.error()), kLogDefaultBytes / KiB);
    return;
  }
  usize bytes = configured_bytes(cmd);
  if (bytes == g_ring.bytes().capacity()) return;
  char* storage = g_boot_storage;
  if (bytes > sizeof g_boot_storage) {
    auto pa = mem::alloc_pages(bytes / kPageSize);
    if (!pa) {
      TV_LOG_WARN("log.size: no %lu KiB in the page pool; the log ring stays %lu KiB", bytes / KiB,
                  g_ring.bytes().capacity() / KiB);
      return;
    }
    storage = mem::phys_to_ptr<char>(*pa);
  }
  (void)g_ring.move_to(storage, bytes);  // a power of two, never an in-place growth
  TV_LOG("log ring: %lu KiB (%s)", bytes / KiB, storage == g_boot_storage ? "in .bss" : "in the page pool");
}

void report_tail() {
  const ByteRing& r = g_ring.bytes();
  u64 from = g_ring.tail_start(kPanicTailBytes);
  u64 end = r.total_written();
  // The VMM's memory is identity-mapped, so the pointer is the physical address.
  TV_LOG_ERROR(
      "log ring at %lx, %lu KiB: %lu bytes written, %lu lost to wrap-around; its newest %lu bytes "
      "follow, each line with its TSC ticks since entry and level:",
      reinterpret_cast<u64>(r.storage()), r.capacity() / KiB, r.total_written(), r.oldest(), end - from);
  char chunk[256];
  for (u64 o = from; o < end;) {
    usize n = r.copy_from(o, chunk, end - o < sizeof chunk ? usize(end - o) : sizeof chunk);
    if (n == 0) break;
    console(chunk, n);  // the console only: the ring holds these lines already
    o += n;
  }
}

}  // namespace tv::log
