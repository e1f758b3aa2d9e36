// The protection-domain self-test: the `domain_selftest` hypercall runs it
// (only when the VMM was started with `selftest.domains`), so a test drives it
// from inside a running Linux guest and checks that the guest carries on.
// Every check logs "domtest: PASS name" or "domtest: FAIL name (...)", then a
// summary line; figures are "domtest: figure name value" (TSC ticks, which
// are guest instructions under QEMU -icount).
#include "domain/selftest.hpp"

#include "arch/x86/cpu.hpp"
#include "domain/domain.hpp"
#include "domain/vmm_services.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/domain_abi.hpp"
#include "tv/str.hpp"

namespace tv::dom {
namespace {

struct Tally {
  u32 passed = 0, failed = 0;
  void check(bool ok, const char* name, i64 got = 0) {
    if (ok) {
      ++passed;
      TV_LOG("domtest: PASS %s", name);
    } else {
      ++failed;
      TV_LOG("domtest: FAIL %s (got %ld)", name, got);
    }
  }
  template <typename T>
  void expect_error(const Result<T, DomainError>& r, DomainError want, const char* name) {
    check(!r && r.error() == want, name, r ? i64(*r) : -i64(r.error()));
  }
  void expect_value(const Result<i64, DomainError>& r, i64 want, const char* name) {
    check(r && *r == want, name, r ? *r : -i64(r.error()));
  }
};

Result<int, DomainError> start(const char* program) {
  auto d = newprocess(nullptr, program);
  if (d) (void)give_tty(*d);
  return d;
}

// Fault kinds of domains/faulty (its main.c lists them).
struct FaultKind {
  i64 arg;
  const char* name;
};
constexpr FaultKind kFaults[] = {
    {1, "fault: NULL read"},
    {2, "fault: read VMM memory"},
    {3, "fault: HLT"},
    {4, "fault: MOV to CR3"},
    {5, "fault: WRMSR"},
    {6, "fault: IN/OUT"},
    {7, "fault: CLI"},
    {8, "fault: divide by zero"},
    {9, "fault: UD2"},
    {10, "fault: stack overflow"},
    {12, "fault: bad syscall number"},
    {13, "fault: syscall with a bad pointer"},
    {14, "fault: syscall with a huge length"},
    {15, "fault: read the kernel half"},
    {16, "fault: write into its own code"},
};

void faults(Tally& t) {
  for (const FaultKind& f : kFaults) {
    auto d = start("faulty");
    if (!d) {
      t.check(false, f.name, -i64(d.error()));
      continue;
    }
    t.expect_error(msgsendint(nullptr, *d, f.arg), DomainError::CalleeDied, f.name);
    (void)msgclose(nullptr, *d);
  }
  // Fault 14 first starts an echo of its own: it must not outlive its creator.
  const usize live_before = stats().live_domains;
  for (int i = 0; i < 3; ++i) {
    auto f = start("faulty");
    if (f) (void)msgsendint(nullptr, *f, 14);
    if (f) (void)msgclose(nullptr, *f);
  }
  t.check(stats().live_domains == live_before, "a dead domain's children end with it",
          i64(stats().live_domains) - i64(live_before));
  // A write into a buffer the caller passed read-only.
  auto d = start("faulty");
  static u8 page[kPageSize] alignas(kPageSize);
  const MsgBuf ro{reinterpret_cast<u64>(page), 64, 0};
  if (d)
    t.expect_error(msgsendbuf(nullptr, *d, 11, &ro, 1), DomainError::CalleeDied, "fault: write to a read-only buffer");
  if (d)
    t.expect_error(msgsendint(nullptr, *d, 0), DomainError::StaleDescriptor, "a dead domain's descriptor is stale");
  if (d) (void)msgclose(nullptr, *d);
  t.check(page[0] == 0, "the read-only buffer is unchanged", page[0]);
}

void descriptors(Tally& t) {
  t.expect_error(msgsendint(nullptr, -1, 0), DomainError::BadDescriptor, "descriptor -1 is out of range");
  t.expect_error(msgsendint(nullptr, i64(kMaxDescriptors), 0), DomainError::BadDescriptor,
                 "descriptor 32 is out of range");
  t.expect_error(msgsendint(nullptr, i64(1) << 40, 0), DomainError::BadDescriptor, "a huge descriptor is out of range");
  auto d = start("echo");
  if (!d) return t.check(false, "start echo", -i64(d.error()));
  (void)msgclose(nullptr, *d);
  t.expect_error(msgsendint(nullptr, *d, 0), DomainError::ClosedDescriptor, "a closed descriptor");
  t.expect_error(msgopen(nullptr, "no-such-name"), DomainError::NoSuchName, "msgopen of an unknown name");
  t.expect_error(newprocess(nullptr, "no-such-program"), DomainError::NoSuchProgram,
                 "newprocess of an unknown program");
  t.expect_error(msgregister_vmm("ttyout", nullptr), DomainError::NameTaken, "msgregister of a taken name");
}

void messages(Tally& t) {
  auto echo = start("echo");
  if (!echo) return t.check(false, "start echo", -i64(echo.error()));
  t.expect_value(msgsendint(nullptr, *echo, 42), 42, "int message VMM -> domain -> VMM");
  t.expect_value(msgsendint(nullptr, *echo, -5), -5, "a negative result is a value, not an error");
  // A 64 KiB read-write buffer, mapped into the callee: it adds 1 to every byte.
  auto pa = mem::alloc_pages(16);
  if (!pa) return t.check(false, "64 KiB buffer", 0);
  u8* buf = mem::phys_to_ptr<u8>(*pa);
  i64 sum = 0;
  for (usize i = 0; i < 64 * KiB; ++i) sum += (buf[i] = u8(i * 7));
  const MsgBuf rw{*pa, 64 * KiB, 1};
  t.expect_value(msgsendbuf(nullptr, *echo, 0, &rw, 1), sum, "buffer message: the callee reads 64 KiB");
  bool changed = true;
  for (usize i = 0; i < 64 * KiB; ++i) changed = changed && buf[i] == u8(i * 7 + 1);
  t.check(changed, "buffer message: the caller sees the callee's writes");
  const MsgBuf too_long{*pa, kMaxBufBytes + 1, 0};
  t.expect_error(msgsendbuf(nullptr, *echo, 0, &too_long, 1), DomainError::BadBuffer, "a buffer over the limit");
  MsgBuf many[kMaxBufs + 1];
  for (MsgBuf& b : many) b = {*pa, 16, 0};
  t.expect_error(msgsendbuf(nullptr, *echo, 0, many, kMaxBufs + 1), DomainError::BadBuffer, "too many buffers");
  (void)mem::free_pages(*pa, 16);
  (void)msgclose(nullptr, *echo);

  auto spawner = start("spawner");
  if (spawner) t.expect_value(msgsendint(nullptr, *spawner, 3), 3, "nested creation three deep");
  if (spawner) (void)msgclose(nullptr, *spawner);
  auto deep = start("spawner");
  if (deep) {
    auto r = msgsendint(nullptr, *deep, i64(kMaxNesting) + 2);
    t.check(r && *r < 0, "nesting beyond the bound fails inside the chain", r ? *r : -i64(r.error()));
    (void)msgclose(nullptr, *deep);
  }
  auto receiver = start("receiver");
  auto sender = start("sender");
  if (receiver && sender) {
    auto reg = msgsendint(nullptr, *receiver, 0);  // returns the descriptor of its registration
    t.check(reg && *reg >= 0, "receiver registers its name", reg ? *reg : -i64(reg.error()));
    auto r = msgsendint(nullptr, *sender, 0);
    t.check(r && *r >= 0, "sender -> receiver: int and buffer messages between domains", r ? *r : -i64(r.error()));
  }
  if (receiver) (void)msgclose(nullptr, *receiver);
  if (sender) (void)msgclose(nullptr, *sender);
}

// --- The debug shell's programs and the vmminfo service (docs/dbgsh.md) ---

bool contains(const char* hay, usize len, const char* needle) {
  const usize n = str_len(needle);
  for (usize i = 0; n <= len && i <= len - n; ++i)
    if (mem_cmp(hay + i, needle, n) == 0) return true;
  return false;
}

// Whether the log text written since `mark` (log_mark()) contains needle:
// the one place that reads the log back, should its API change.
u64 log_mark() {
  return log::ring().bytes().total_written();
}
bool logged_since(u64 mark, const char* needle) {
  static char text[16 * KiB];
  const ByteRing& r = log::ring().bytes();
  u64 from = mark > r.oldest() ? mark : r.oldest();
  if (r.total_written() - from > sizeof text) from = r.total_written() - sizeof text;
  const usize got = r.copy_from(from, text, sizeof text);
  return contains(text, got, needle);
}

void tools(Tally& t) {
  struct Tool {
    const char* program;
    const char* pass;
  };
  static constexpr Tool kTools[] = {
      {"help", "tool: help returns 0"},     {"log", "tool: log returns 0"},
      {"exits", "tool: exits returns 0"},   {"domains", "tool: domains returns 0"},
      {"status", "tool: status returns 0"}, {"mem", "tool: mem returns 0"},
      {"regs", "tool: regs returns 0"},     {"services", "tool: services returns 0"},
  };
  const usize live = stats().live_domains;
  for (const Tool& tool : kTools) {
    auto d = start(tool.program);
    if (!d) {
      t.check(false, tool.pass, -i64(d.error()));
      continue;
    }
    t.expect_value(msgsendint(nullptr, *d, 0), 0, tool.pass);
    (void)msgclose(nullptr, *d);
  }
  t.check(stats().live_domains == live, "tool: every tool instance ends after its run",
          i64(stats().live_domains) - i64(live));
}

char g_report[16 * KiB];

Result<i64, DomainError> info(int vmminfo, InfoReport report, u64 len) {
  const MsgBuf b{reinterpret_cast<u64>(g_report), len, 1};
  return msgsendbuf(nullptr, vmminfo, i64(report), &b, 1);
}

void check_report(Tally& t, int vmminfo, InfoReport report, const char* needle, const char* pass) {
  auto r = info(vmminfo, report, sizeof g_report);
  t.check(r && *r > 0 && contains(g_report, usize(*r), needle), pass, r ? *r : -i64(r.error()));
}

void reports(Tally& t) {
  auto d = msgopen(nullptr, "vmminfo");
  if (!d) return t.check(false, "vmminfo: open", -i64(d.error()));
  check_report(t, *d, InfoReport::Exits, "exits.cpuid ", "vmminfo: exits lists cpuid");
  check_report(t, *d, InfoReport::Domains, "program", "vmminfo: domains has its table");
  check_report(t, *d, InfoReport::Status, "pool_free_pages ", "vmminfo: status is the status report");
  check_report(t, *d, InfoReport::Mem, "pool_total_pages ", "vmminfo: mem shows the pool");
  check_report(t, *d, InfoReport::Regs, "rflags ", "vmminfo: regs shows the registers");
  check_report(t, *d, InfoReport::Services, "domain_selftest", "vmminfo: services lists the registry");
  check_report(t, *d, InfoReport::Programs, "shell\n", "vmminfo: programs lists the shell");
  auto need = msgsendint(nullptr, *d, i64(InfoReport::Exits));
  mem_set(g_report, 'x', 16);
  auto small = info(*d, InfoReport::Exits, 8);
  t.check(need && small && *small == -*need && g_report[0] == 'x', "vmminfo: a too-small buffer gets -(bytes needed)",
          small ? *small : -i64(small.error()));
  t.expect_value(info(*d, InfoReport(99), sizeof g_report), kInfoBadRequest, "vmminfo: an unknown report");
  (void)msgclose(nullptr, *d);
}

// The scripted terminal: the shell's descriptor 0 instead of ttyin.
const char* g_script = "";
i64 script_input(int, i64, const BufView*, usize) {
  return *g_script != '\0' ? i64(u8(*g_script++)) : -1;
}

Status<DomainError> give_script_tty(int shell, int script) {
  auto out = msgopen(nullptr, "ttyout");
  if (!out) return Err{out.error()};
  Status<DomainError> st = msgsenddesc(nullptr, shell, script);
  if (st) st = msgsenddesc(nullptr, shell, *out);
  (void)msgclose(nullptr, *out);
  return st;
}

Result<i64, DomainError> run_shell(int script, const char* text) {
  g_script = text;
  auto sh = newprocess(nullptr, "shell");
  if (!sh) return Err{sh.error()};
  Result<i64, DomainError> r = Err{DomainError::BadDescriptor};
  if (auto st = give_script_tty(*sh, script); st) r = msgsendint(nullptr, *sh, 0);
  (void)msgclose(nullptr, *sh);
  return r;
}

void shell(Tally& t) {
  auto script = msgregister_vmm("domtest-script", script_input);
  if (!script) return t.check(false, "shell: register the script", -i64(script.error()));
  const usize live = stats().live_domains;
  const u64 mark = log_mark();
  // ^P recalls "faulty": the history works and a crash leaves the shell usable twice.
  t.expect_value(run_shell(*script, "help\nexits\nnosuch\nfaulty\n\x10\nexit\nmem\n"), 0,
                 "shell: a scripted session returns 0 at exit");
  t.check(logged_since(mark, "domain: > help"), "shell: prompts and echoes");
  t.check(logged_since(mark, "domain:   exits "), "shell: help lists the programs");
  t.check(logged_since(mark, "domain: exits.cpuid "), "shell: runs exits");
  t.check(logged_since(mark, "domain: shell: no such command: nosuch"), "shell: an unknown command says so");
  t.check(logged_since(mark, "domain: shell: faulty crashed (callee died)"), "shell: a crashing command says so");
  t.check(!logged_since(mark, "domain: pool_total_pages"), "shell: nothing runs after exit");
  t.expect_value(run_shell(*script, "mem\n"), 0, "shell: the end of input ends the session");
  t.check(logged_since(mark, "domain: pool_total_pages"), "shell: runs mem");
  t.check(stats().live_domains == live, "shell: no instance outlives its session",
          i64(stats().live_domains) - i64(live));
  (void)msgunregister(nullptr, *script);
}

void soak(Tally& t) {
  const usize free_before = mem::pool_free_pages();
  auto echo = start("echo");
  bool ok = bool(echo);
  for (i64 i = 0; ok && i < 10000; ++i) {
    auto r = msgsendint(nullptr, *echo, i);
    ok = r && *r == i;
  }
  t.check(ok, "soak: 10,000 int messages");
  if (echo) t.expect_value(msgsendint(nullptr, *echo, kEchoExit), 0, "echo exits on request");
  if (echo) (void)msgclose(nullptr, *echo);
  ok = true;
  for (int i = 0; ok && i < 1000; ++i) {
    auto d = newprocess(nullptr, "echo");
    ok = d && msgsendint(nullptr, *d, kEchoExit) && msgclose(nullptr, *d);
  }
  t.check(ok, "soak: 1,000 create/exit cycles");
  t.check(mem::pool_free_pages() == free_before, "soak: the free page count is where it started",
          i64(mem::pool_free_pages()) - i64(free_before));
}

void figures() {
  auto echo = start("echo");
  if (!echo) return;
  constexpr int kRounds = 1000;
  (void)msgsendint(nullptr, *echo, 0);  // the stack is mapped on first use
  u64 t0 = x86::rdtsc();
  for (int i = 0; i < kRounds; ++i) (void)msgsendint(nullptr, *echo, i);
  TV_LOG("domtest: figure msgsendint_ticks %lu", (x86::rdtsc() - t0) / kRounds);
  auto pa = mem::alloc_pages(16);
  if (pa) {
    constexpr u64 kSizes[] = {4 * KiB, 64 * KiB};
    for (u64 bytes : kSizes) {
      const MsgBuf b{*pa, bytes, 1};
      (void)msgsendbuf(nullptr, *echo, kEchoTouchOnly, &b, 1);
      t0 = x86::rdtsc();
      for (int i = 0; i < kRounds; ++i) (void)msgsendbuf(nullptr, *echo, kEchoTouchOnly, &b, 1);
      TV_LOG("domtest: figure msgsendbuf_%luk_ticks %lu", bytes / KiB, (x86::rdtsc() - t0) / kRounds);
    }
    (void)mem::free_pages(*pa, 16);
  }
  (void)msgsendint(nullptr, *echo, kEchoExit);
  (void)msgclose(nullptr, *echo);
}

}  // namespace

SelftestResult run_selftest() {
  Tally t;
  messages(t);
  descriptors(t);
  faults(t);
  tools(t);
  reports(t);
  shell(t);
  soak(t);
  figures();
  TV_LOG("domtest: %u passed, %u failed; domains created %lu, killed %lu, live %lu, pool free pages %lu", t.passed,
         t.failed, stats().created, stats().killed, u64(stats().live_domains), u64(mem::pool_free_pages()));
  return {t.passed, t.failed};
}

}  // namespace tv::dom

namespace tv::dom {
namespace {
bool g_selftest_allowed = false;
}
void allow_selftest(bool on) {
  g_selftest_allowed = on;
}
bool selftest_allowed() {
  return g_selftest_allowed;
}
}  // namespace tv::dom
