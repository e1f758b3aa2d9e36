// Message services the VMM offers domains (docs/domains.md, "VMM services"):
//   ttyout  int: one character; buffer: the bytes of buffer 0. Lines go to the VMM log.
//   ttyin   int: the next input character, or -1 (none: the debug shell brings input).
//   time    int: the TSC.
//   log     the VMM log ring (kernel/log.hpp), addressed by stream offset (bytes
//           written before a byte since boot; the ring keeps the newest ones):
//           int v: v = 1 the oldest retained offset, which is also the count of
//           bytes lost to wrap-around; v = 2 the ring's capacity in bytes; any
//           other v: the end offset (bytes ever written).
//           buffer v: v = 0 append buffer 0 to the log (level info);
//           v = 1 copy from the oldest retained byte into rw buffer 0;
//           v = 2 + off copy from stream offset off into rw buffer 0.
//           Reads return the bytes copied (as many as fit; 0 at the end), or -1
//           if off is no longer retained (ask int 1 again: the difference was
//           lost) or lies beyond the end. The text is the ring's: every line
//           begins "[<TSC ticks since entry, 14 wide> <level, 5 wide>] "
//           (tv/log_ring.hpp); a read may end mid-line.
//   guest   int v: the guest's state, read-only: v = 0..15 a GPR (enum Gpr), 16 RIP,
//           17 RFLAGS, 18 VM exits so far; other v: -1.
//   vmminfo VMM reports as text (info_services.cpp).
//   watch   the VMM's watchpoints for the debug shell (watch_service.cpp).
#include "domain/vmm_services.hpp"

#include "arch/x86/cpu.hpp"
#include "domain/domain.hpp"
#include "domain/info_services.hpp"
#include "domain/watch_service.hpp"
#include "kernel/log.hpp"
#include "kernel/percpu.hpp"
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

i64 log_info(i64 value) {
  const ByteRing& r = log::ring().bytes();
  if (value == 1) return i64(r.oldest());
  if (value == 2) return i64(r.capacity());
  return i64(r.total_written());
}

i64 log_append(const BufView& buf) {
  char chunk[256];
  for (u64 off = 0; off < buf.len; off += sizeof chunk) {
    usize len = buf.len - off < sizeof chunk ? usize(buf.len - off) : sizeof chunk;
    if (!buf.read(off, chunk, len)) return -1;
    log::write(LogLevel::Info, chunk, len);
  }
  return i64(buf.len);
}

// Copies the ring from stream offset `from` into `buf` through a small bounce
// buffer (the ring is VMM memory, the buffer the domain's).
i64 log_read(const BufView& buf, u64 from) {
  const ByteRing& r = log::ring().bytes();
  if (from < r.oldest() || from > r.total_written() || !buf.rw) return -1;
  char chunk[256];
  u64 done = 0;
  while (done < buf.len) {
    usize want = buf.len - done < sizeof chunk ? usize(buf.len - done) : sizeof chunk;
    usize got = r.copy_from(from + done, chunk, want);
    if (got == 0) break;
    if (!buf.write(done, chunk, got)) return -1;
    done += got;
  }
  return i64(done);
}

i64 log_service(int type, i64 value, const BufView* bufs, usize n) {
  if (type == kMsgInt) return log_info(value);
  if (n == 0 || value < 0) return -1;
  if (value == 0) return log_append(bufs[0]);
  if (value == 1) return log_read(bufs[0], log::ring().bytes().oldest());
  return log_read(bufs[0], u64(value) - 2);
}

i64 guest(int, i64 value, const BufView*, usize) {
  const Vcpu& v = current_vcpu();
  if (value >= 0 && value < i64(kGprCount)) return i64(v.gpr(Gpr(value)));
  if (value == 16) return i64(v.rip());
  if (value == 17) return i64(v.rflags());
  if (value == 18) return i64(machine_exit_stats().total());
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
  TV_TRY(register_watch_service());
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
