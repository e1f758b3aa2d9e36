// Message services the VMM offers domains (docs/domains.md, "VMM services"):
//   ttyout  int: one character; buffer: the bytes of buffer 0. Lines go to the VMM log.
//   ttyin   int: the next input character, or -1 (none: the debug shell brings input).
//   time    int: the TSC.
//   log     int: bytes ever written; buffer, value 0: append buffer 0 to the log;
//           value 1: copy the newest log text into rw buffer 0, returns bytes copied.
//   guest   int v: the guest's state, read-only: v = 0..15 a GPR (enum Gpr), 16 RIP,
//           17 RFLAGS, 18 VM exits so far; other v: -1.
//   vmminfo VMM reports as text (info_services.cpp).
#include "domain/vmm_services.hpp"

#include "arch/x86/cpu.hpp"
#include "domain/domain.hpp"
#include "domain/info_services.hpp"
#include "kernel/log.hpp"
#include "tv/rate_limit.hpp"
#include "virt/exit_stats.hpp"
#include "virt/svm/svm.hpp"

namespace tv::dom {
namespace {

char g_line[160 + 1];  // + the NUL: the VMM's formatter has no %.*s
usize g_line_len = 0;

// A domain's output is a report of many lines (the debug shell's commands):
// TV_LOG_GUEST's burst of 32 would cut it short, so ttyout has its own,
// larger budget, still bounding what a misbehaving domain can push out of the ring.
constexpr u32 kTtyLineBurst = 2048;
RateLimiter g_tty_limiter(kTtyLineBurst, log::kGuestLogInterval);

void flush_line() {
  g_line[g_line_len] = '\0';
  g_line_len = 0;
  auto verdict = g_tty_limiter.check(log::now());
  if (!verdict.allow) return;
  log::note_suppressed(verdict.suppressed_before);
  TV_LOG("domain: %s", g_line);
}

void put(char ch) {
  if (ch == '\n') return flush_line();
  g_line[g_line_len++] = ch;
  if (g_line_len == sizeof g_line - 1) flush_line();
}

i64 ttyout(int type, i64 value, const BufView* bufs, usize n) {
  if (type == kMsgInt) {
    put(char(value));
    return 0;
  }
  if (n == 0) return -1;
  char chunk[64];
  for (u64 off = 0; off < bufs[0].len; off += sizeof chunk) {
    usize len = bufs[0].len - off < sizeof chunk ? usize(bufs[0].len - off) : sizeof chunk;
    if (!bufs[0].read(off, chunk, len)) return -1;
    for (usize i = 0; i < len; ++i) put(chunk[i]);
  }
  return i64(bufs[0].len);
}

i64 ttyin(int, i64, const BufView*, usize) {
  return -1;
}

i64 time(int, i64, const BufView*, usize) {
  return i64(x86::rdtsc());
}

i64 log_service(int type, i64 value, const BufView* bufs, usize n) {
  if (type == kMsgInt) return i64(log::total_written());
  if (n == 0) return -1;
  static char text[4096];
  if (value == 0) {
    usize len = bufs[0].len < sizeof text ? usize(bufs[0].len) : sizeof text;
    if (!bufs[0].read(0, text, len)) return -1;
    log::write(text, len);
    return i64(len);
  }
  usize cap = bufs[0].len < sizeof text ? usize(bufs[0].len) : sizeof text;
  usize skip = log::retained() > cap ? log::retained() - cap : 0;
  usize got = log::copy_out(text, cap, skip);
  if (!bufs[0].write(0, text, got)) return -1;
  return i64(got);
}

i64 guest(int, i64 value, const BufView*, usize) {
  const Vcpu& v = svm::boot_vcpu();
  if (value >= 0 && value < i64(kGprCount)) return i64(v.gpr(Gpr(value)));
  if (value == 16) return i64(v.rip());
  if (value == 17) return i64(v.rflags());
  if (value == 18) return i64(exit_stats().total());
  return -1;
}

}  // namespace

Status<DomainError> register_vmm_services() {
  struct Def {
    const char* name;
    VmmHandler fn;
  };
  static constexpr Def kServices[] = {
      {"ttyout", ttyout}, {"ttyin", ttyin}, {"time", time}, {"log", log_service}, {"guest", guest}};
  for (const Def& s : kServices)
    if (auto d = msgregister_vmm(s.name, s.fn); !d) return Err{d.error()};
  return register_info_services();
}

}  // namespace tv::dom

namespace tv::dom {
Status<DomainError> give_tty(int process_desc) {
  constexpr const char* kTty[] = {"ttyin", "ttyout"};
  for (const char* name : kTty) {
    auto d = msgopen(nullptr, name);
    if (!d) return Err{d.error()};
    auto st = msgsenddesc(nullptr, process_desc, *d);
    (void)msgclose(nullptr, *d);
    if (!st) return st;
  }
  return Ok{};
}
}  // namespace tv::dom
