/* insnprobe: intercepted instructions in awkward encodings, from user mode.
 *
 * QEMU's TCG has no nRIP-save, so thinvisor decodes each intercepted
 * instruction at the guest's RIP to skip it (vmm/virt/instruction.cpp). This
 * program writes small stubs into mmap'd pages (written PROT_READ|WRITE, then
 * mprotect'ed to READ|EXEC) and runs each in a forked child:
 *
 *   <instruction under test> ; mov r12d, 0x600DF00D ; ret ; int3 padding
 *
 * so a VMM that skips too many bytes lands inside (or past) the marker move and
 * one that skips too few re-executes the instruction's tail: either way the
 * child crashes, misses the marker, or sees other register values. A tail
 * that is itself the whole instruction (prefixes dropped) runs it again, so
 * each CPUID stub runs with leaf 0 and with leaf 0x80000000: re-run, leaf 0
 * answers leaf 0xD, which answers zeros, which answers leaf 0 again, so only
 * an odd number of re-runs shows there; the 0x80000000 chain never comes back
 * (main checks that). VMMCALL re-run with the unknown number answers the same,
 * so the stubs whose tail is a whole VMMCALL call "echo_domain" instead: it
 * answers RBX (CANARY_RBX), which is no service, so a second run answers
 * TV_ERR_UNKNOWN_SERVICE. Cases:
 *   - CPUID (leaves 0 and 0x80000000) with legacy, segment and REX prefixes,
 *     up to the 15-byte maximum: EAX..EDX must equal a plain CPUID's, RSI/RDI
 *     untouched;
 *   - CPUID split across two pages (0F | A2), and a prefixed CPUID and a
 *     15-byte CPUID split at every byte;
 *   - CPUID ending at the last byte of a page whose next page is PROT_NONE:
 *     the fetch past the page end fails, the skip must not; SIGSEGV at the
 *     next page's first byte is the right outcome;
 *   - VMMCALL with RAX=0x7FFFFFFF (no such service) split after byte 1 and 2,
 *     and prefixed: RAX must be TV_ERR_UNKNOWN_SERVICE, RBX..RDI untouched;
 *     and VMMCALL of "echo_domain" with 3 prefixes, whole and split: RAX must be CANARY_RBX;
 *   - single-step: CPUID / VMMCALL with RFLAGS.TF set, ending at a page end or
 *     split across pages: exactly one SIGTRAP, with RIP right after the
 *     instruction (on the next page);
 *   - 14 prefixes + CPUID (16 bytes) exceeds the 15-byte limit and must fault
 *     (#GP -> SIGSEGV, or SIGILL) at the instruction itself.
 * Prints "insnprobe: ok <case>" / "insnprobe: FAIL <case> ..." per case (and
 * "insnprobe: note ..." for an outcome that is reported but not judged), then
 * "insnprobe: all checks passed" and exits 0 only if every case passed. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "thinvisor/vmmcall.h"

#define PAGE 4096u
#define MARKER 0x600DF00Du
#define CANARY_RBX 0xB0B0B0B0B0B0B0B0ull
#define CANARY_RCX 0xC0C0C0C0C0C0C0C0ull
#define CANARY_RDX 0xD0D0D0D0D0D0D0D0ull
#define CANARY_RSI 0x5151515151515151ull
#define CANARY_RDI 0xD1D1D1D1D1D1D1D1ull
#define UNKNOWN_SERVICE 0x7FFFFFFFull

struct io {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, r12;
};

/* run_stub(code, io): loads RAX..RDI from io, clears R12, calls code, stores
 * RAX..RDI and R12 back. The stubs touch neither R15 nor the stack below. */
void run_stub(const void* code, struct io* io);
__asm__(
    ".text\n"
    ".globl run_stub\n"
    ".type run_stub,@function\n"
    "run_stub:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov %rsi, %r15\n"
    "  mov %rdi, %r14\n"
    "  mov 0(%r15), %rax\n  mov 8(%r15), %rbx\n  mov 16(%r15), %rcx\n"
    "  mov 24(%r15), %rdx\n  mov 32(%r15), %rsi\n  mov 40(%r15), %rdi\n"
    "  xor %r12d, %r12d\n"
    "  call *%r14\n"
    "  mov %rax, 0(%r15)\n  mov %rbx, 8(%r15)\n  mov %rcx, 16(%r15)\n"
    "  mov %rdx, 24(%r15)\n  mov %rsi, 32(%r15)\n  mov %rdi, 40(%r15)\n  mov %r12, 48(%r15)\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n"
    ".size run_stub, .-run_stub\n");

static const unsigned char kCpuid[] = {0x0F, 0xA2};
static const unsigned char kVmmcall[] = {0x0F, 0x01, 0xD9};
static const unsigned char kMarkerRet[] = {0x41, 0xBC, 0x0D, 0xF0, 0x0D, 0x60, 0xC3}; /* mov r12d, MARKER; ret */
static const unsigned char kSetTf[] = {0x9C, 0x48, 0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9D};
/* pushfq; or qword [rsp], 0x100; popfq -- TF takes effect after the next instruction */

static uint32_t ref0[4], ref80[4]; /* plain CPUID leaves 0 and 0x80000000, from main */
static uint64_t hello_number;
static int failures;
static const uint64_t cpuid_leaf0[1] = {0};
static unsigned char* area; /* 3 pages: code pages 0 and 1, page 2 spare */

enum expect { EXPECT_CPUID, EXPECT_VMMCALL, EXPECT_HELLO };

struct stub {
  unsigned char bytes[64];
  size_t len;
  size_t insn_start, insn_end; /* offsets of the instruction under test */
};

static void stub_add(struct stub* s, const unsigned char* b, size_t n) {
  memcpy(s->bytes + s->len, b, n);
  s->len += n;
}

/* Builds [TF setup] prefixes opcode marker ret into s. */
static void stub_build(struct stub* s, int tf, const unsigned char* prefixes, size_t np, const unsigned char* op,
                       size_t nop) {
  memset(s, 0, sizeof *s);
  if (tf) stub_add(s, kSetTf, sizeof kSetTf);
  s->insn_start = s->len;
  stub_add(s, prefixes, np);
  stub_add(s, op, nop);
  s->insn_end = s->len;
  stub_add(s, kMarkerRet, sizeof kMarkerRet);
}

/* Places the stub so that the instruction under test has `before` bytes on
 * page 0 and the rest on page 1 (before = its whole length: it ends exactly at
 * the page end). Returns the stub's address. Page 2 gets `page2_prot`. */
static unsigned char* place(const struct stub* s, size_t before, int page2_prot, int second_page_prot) {
  if (mprotect(area, 3 * PAGE, PROT_READ | PROT_WRITE) != 0) {
    perror("insnprobe: mprotect rw");
    exit(2);
  }
  memset(area, 0xCC, 3 * PAGE); /* int3 everywhere else */
  unsigned char* code = area + PAGE - s->insn_start - before;
  memcpy(code, s->bytes, s->len);
  if (mprotect(area, PAGE, PROT_READ | PROT_EXEC) != 0 || mprotect(area + PAGE, PAGE, second_page_prot) != 0 ||
      mprotect(area + 2 * PAGE, PAGE, page2_prot) != 0) {
    perror("insnprobe: mprotect rx");
    exit(2);
  }
  return code;
}

/* Signal handling inside the child. */
static volatile int trap_count;
static volatile uint64_t trap_rip[4];
static volatile int fault_sig;
static volatile uint64_t fault_rip, fault_addr;

static void on_trap(int sig, siginfo_t* si, void* uc_) {
  (void)sig;
  (void)si;
  ucontext_t* uc = uc_;
  if (trap_count < 4) trap_rip[trap_count] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  ++trap_count;
  uc->uc_mcontext.gregs[REG_EFL] &= ~0x100ll;
}

static void on_fault(int sig, siginfo_t* si, void* uc_) {
  ucontext_t* uc = uc_;
  fault_sig = sig;
  fault_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  fault_addr = (uint64_t)(uintptr_t)si->si_addr;
  /* Report from here: the stub's registers are whatever the fault left. */
  char line[160];
  int n = snprintf(line, sizeof line, "FAULTED %d %lx %lx\n", sig, (unsigned long)fault_rip, (unsigned long)fault_addr);
  (void)!write(3, line, (size_t)n);
  _exit(100 + sig);
}

static void install(int sig, void (*fn)(int, siginfo_t*, void*)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

#define MAX_RUNS 2
struct result {
  int status;           /* waitpid status */
  char fault_line[160]; /* "FAULTED sig rip addr" if the child's fault handler ran */
  struct io io[MAX_RUNS];
  int trap_count[MAX_RUNS];
  uint64_t trap_rip[MAX_RUNS];
};

/* Runs the stub at `code` in a child, once per RAX value; faults and traps are caught there. */
static struct result run_child(const unsigned char* code, const uint64_t* rax, int runs) {
  struct result* shared = mmap(NULL, sizeof(struct result), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int fds[2];
  if (shared == MAP_FAILED || pipe(fds) != 0) {
    perror("insnprobe: setup");
    exit(2);
  }
  memset(shared, 0, sizeof *shared);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 3);
    install(SIGTRAP, on_trap);
    install(SIGSEGV, on_fault);
    install(SIGILL, on_fault);
    install(SIGBUS, on_fault);
    for (int i = 0; i < runs; ++i) {
      struct io io = {rax[i], CANARY_RBX, CANARY_RCX, CANARY_RDX, CANARY_RSI, CANARY_RDI, 0};
      trap_count = 0;
      trap_rip[0] = 0;
      run_stub(code, &io);
      shared->io[i] = io;
      shared->trap_count[i] = trap_count;
      shared->trap_rip[i] = trap_rip[0];
    }
    _exit(0);
  }
  close(fds[1]);
  struct result r;
  memset(&r, 0, sizeof r);
  ssize_t n = read(fds[0], r.fault_line, sizeof r.fault_line - 1);
  if (n > 0) r.fault_line[n - 1] = 0; /* drop the newline */
  close(fds[0]);
  waitpid(pid, &r.status, 0);
  memcpy(r.io, shared->io, sizeof r.io);
  memcpy(r.trap_count, shared->trap_count, sizeof r.trap_count);
  memcpy(r.trap_rip, shared->trap_rip, sizeof r.trap_rip);
  munmap(shared, sizeof *shared);
  return r;
}

static void report(int ok, const char* name, const char* detail) {
  printf("insnprobe: %s %s%s%s\n", ok ? "ok" : "FAIL", name, ok || !detail[0] ? "" : ": ", ok ? "" : detail);
  if (!ok) ++failures;
}

/* 1 if the child ended normally; otherwise fills why. */
static int child_finished(const struct result* r, char* why, size_t n) {
  if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0) return 1;
  if (r->fault_line[0])
    snprintf(why, n, "child %s (signal rip addr)", r->fault_line);
  else if (WIFSIGNALED(r->status))
    snprintf(why, n, "child killed by %s", strsignal(WTERMSIG(r->status)));
  else
    snprintf(why, n, "child exit status %d", WEXITSTATUS(r->status));
  return 0;
}

/* Checks the registers the instruction under test must leave. */
static int regs_right(const struct io* io, enum expect e, const uint32_t* ref, char* why, size_t n) {
  if (io->r12 != MARKER) {
    snprintf(why, n, "marker after the instruction not seen (r12=%lx): wrong skip length", (unsigned long)io->r12);
    return 0;
  }
  if (io->rsi != CANARY_RSI || io->rdi != CANARY_RDI) {
    snprintf(why, n, "rsi/rdi changed (%lx %lx)", (unsigned long)io->rsi, (unsigned long)io->rdi);
    return 0;
  }
  if (e == EXPECT_CPUID) {
    if (io->rax != ref[0] || io->rbx != ref[1] || io->rcx != ref[2] || io->rdx != ref[3]) {
      snprintf(why, n, "cpuid(%x) gave %lx %lx %lx %lx, plain cpuid %x %x %x %x", ref == ref0 ? 0u : 0x80000000u,
               (unsigned long)io->rax, (unsigned long)io->rbx, (unsigned long)io->rcx, (unsigned long)io->rdx, ref[0],
               ref[1], ref[2], ref[3]);
      return 0;
    }
  } else {
    if (e == EXPECT_HELLO && io->rax != CANARY_RBX) {
      snprintf(why, n, "vmmcall echo_domain gave rax=%lx, want %lx", (unsigned long)io->rax, (unsigned long)CANARY_RBX);
      return 0;
    }
    if (e == EXPECT_VMMCALL && io->rax != TV_ERR_UNKNOWN_SERVICE) {
      snprintf(why, n, "vmmcall %llx gave rax=%lx, want %llx", UNKNOWN_SERVICE, (unsigned long)io->rax,
               (unsigned long long)TV_ERR_UNKNOWN_SERVICE);
      return 0;
    }
    if (io->rbx != CANARY_RBX || io->rcx != CANARY_RCX || io->rdx != CANARY_RDX) {
      snprintf(why, n, "rbx/rcx/rdx changed (%lx %lx %lx)", (unsigned long)io->rbx, (unsigned long)io->rcx,
               (unsigned long)io->rdx);
      return 0;
    }
  }
  return 1;
}

/* One case: the instruction (prefixes + op) with `before` of its bytes on page
 * 0 (0 = well inside page 0); with tf, a single-step trap must follow it. */
static void run_case(const char* name, int tf, const unsigned char* prefixes, size_t np, enum expect e, size_t before) {
  struct stub s;
  const unsigned char* op = e == EXPECT_CPUID ? kCpuid : kVmmcall;
  size_t nop = e == EXPECT_CPUID ? sizeof kCpuid : sizeof kVmmcall;
  stub_build(&s, tf, prefixes, np, op, nop);
  size_t insn_len = s.insn_end - s.insn_start;
  unsigned char* code = place(&s, before ? before : insn_len + 0x200, PROT_NONE, PROT_READ | PROT_EXEC);
  const uint64_t cpuid_leaves[MAX_RUNS] = {0, 0x80000000u};
  const uint64_t unknown[1] = {UNKNOWN_SERVICE}, hello[1] = {hello_number};
  const uint64_t* rax = e == EXPECT_CPUID ? cpuid_leaves : e == EXPECT_VMMCALL ? unknown : hello;
  int runs = e == EXPECT_CPUID ? 2 : 1;
  struct result r = run_child(code, rax, runs);
  char why[512] = "";
  int ok = child_finished(&r, why, sizeof why);
  for (int i = 0; ok && i < runs; ++i) {
    ok = regs_right(&r.io[i], e, i == 0 ? ref0 : ref80, why, sizeof why);
    uint64_t want = (uint64_t)(uintptr_t)(code + s.insn_end);
    if (ok && tf && (r.trap_count[i] != 1 || r.trap_rip[i] != want)) {
      ok = 0;
      snprintf(why, sizeof why, "%d single-step trap(s), first at rip %lx, want 1 at %lx (right after the instruction)",
               r.trap_count[i], (unsigned long)r.trap_rip[i], (unsigned long)want);
    } else if (ok && !tf && r.trap_count[i] != 0) {
      ok = 0;
      snprintf(why, sizeof why, "unexpected SIGTRAP at %lx", (unsigned long)r.trap_rip[i]);
    }
  }
  report(ok, name, why);
}

/* CPUID ending at page 0's last byte with page 1 PROT_NONE: the VMM's fetch of
 * the next bytes fails there, yet CPUID must be skipped exactly, so the child
 * faults fetching the marker at page 1's first byte. */
static void run_guard_case(const char* name, const unsigned char* prefixes, size_t np) {
  struct stub s;
  stub_build(&s, 0, prefixes, np, kCpuid, sizeof kCpuid);
  unsigned char* code = place(&s, s.insn_end - s.insn_start, PROT_NONE, PROT_NONE);
  struct result r = run_child(code, cpuid_leaf0, 1);
  char want[160];
  snprintf(want, sizeof want, "FAULTED %d %lx %lx", SIGSEGV, (unsigned long)(uintptr_t)(area + PAGE),
           (unsigned long)(uintptr_t)(area + PAGE));
  char why[512] = "";
  int ok = strcmp(r.fault_line, want) == 0;
  if (!ok) {
    if (r.fault_line[0])
      snprintf(why, sizeof why, "child %s, want %s", r.fault_line, want);
    else
      child_finished(&r, why, sizeof why);
    if (!why[0]) snprintf(why, sizeof why, "ran on past an unmapped page");
  }
  report(ok, name, why);
}

/* 14 prefixes + CPUID = 16 bytes: over the 15-byte limit, so the CPU raises #GP
 * (SIGSEGV) or #UD (SIGILL) at the instruction; the VMM must not skip it. */
static void run_overlong_case(void) {
  static const unsigned char p14[14] = {0x2E, 0x3E, 0x26, 0x64, 0x65, 0x36, 0x2E,
                                        0x3E, 0x26, 0x64, 0x65, 0x36, 0x66, 0x48};
  struct stub s;
  stub_build(&s, 0, p14, sizeof p14, kCpuid, sizeof kCpuid);
  unsigned char* code = place(&s, s.insn_end + 0x200, PROT_NONE, PROT_READ | PROT_EXEC);
  struct result r = run_child(code, cpuid_leaf0, 1);
  int sig = 0;
  unsigned long rip = 0, addr = 0;
  if (r.fault_line[0] && sscanf(r.fault_line, "FAULTED %d %lx %lx", &sig, &rip, &addr) == 3 &&
      (sig == SIGSEGV || sig == SIGILL)) {
    char why[200];
    snprintf(why, sizeof why, "%s at rip %lx, the instruction at %lx", strsignal(sig), rip,
             (unsigned long)(uintptr_t)code);
    report(rip == (uintptr_t)code, "overlong-cpuid-faults", why);
    printf("insnprobe: note overlong-cpuid: %s\n", why);
    return;
  }
  if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) {
    printf("insnprobe: note overlong-cpuid-executed (r12=%lx eax=%lx): the CPU ran a 16-byte instruction\n",
           (unsigned long)r.io[0].r12, (unsigned long)r.io[0].rax);
    return;
  }
  char why[512] = "";
  child_finished(&r, why, sizeof why);
  report(0, "overlong-cpuid-faults", why);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0 || hc.insn != TV_INSN_VMMCALL) {
    printf("insnprobe: FAIL not running under thinvisor on AMD (nothing tested)\n");
    return 2;
  }
  tv_cpuid(0, ref0);
  tv_cpuid(0x80000000u, ref80);
  hello_number = tv_lookup(&hc, "echo_domain");
  struct tv_regs probe = {0, 0, 0, 0, 0, 0};
  tv_call(&hc, CANARY_RBX, &probe);
  if (hello_number == 0 || hello_number == CANARY_RBX || probe.rax != TV_ERR_UNKNOWN_SERVICE) {
    printf(
        "insnprobe: FAIL setup: echo_domain is %lx and service %lx answers %lx; want a number other than it, and "
        "no such service\n",
        (unsigned long)hello_number, (unsigned long)CANARY_RBX, (unsigned long)probe.rax);
    return 2;
  }
  /* A CPUID whose tail runs again answers the leaf its own answer names: from
   * 0x80000000 that chain must not come back to 0x80000000's answer. */
  uint32_t chain[4] = {ref80[0], ref80[1], ref80[2], ref80[3]};
  for (int i = 1; i <= 4; ++i) {
    uint32_t next[4];
    __asm__ __volatile__("cpuid"
                         : "=a"(next[0]), "=b"(next[1]), "=c"(next[2]), "=d"(next[3])
                         : "a"(chain[0]), "c"(chain[2]));
    memcpy(chain, next, sizeof chain);
    if (memcmp(chain, ref80, sizeof chain) == 0) {
      printf("insnprobe: FAIL setup: cpuid 0x80000000 run %d more times answers the same; re-runs would not show\n", i);
      return 2;
    }
  }
  area = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) {
    perror("insnprobe: mmap");
    return 2;
  }

  /* Prefixed CPUID, well inside a page. */
  static const unsigned char p66[] = {0x66}, pF3[] = {0xF3}, pF2[] = {0xF2}, p2E[] = {0x2E}, p67[] = {0x67},
                             pseg[] = {0x3E, 0x26, 0x64, 0x65}, p40[] = {0x40}, p48[] = {0x48},
                             p48_66[] = {0x48, 0x66}; /* REX not last: ignored, still a byte */
  static const unsigned char p12[12] = {0x66, 0x2E, 0x3E, 0x26, 0x64, 0x65, 0x36, 0xF3, 0x67, 0x2E, 0x3E, 0x48};
  static const unsigned char p13[13] = {0x66, 0x2E, 0x3E, 0x26, 0x64, 0x65, 0x36, 0xF3, 0x67, 0x2E, 0x3E, 0x26, 0x48};
  run_case("cpuid-plain", 0, NULL, 0, EXPECT_CPUID, 0);
  run_case("cpuid-66", 0, p66, 1, EXPECT_CPUID, 0);
  run_case("cpuid-f3", 0, pF3, 1, EXPECT_CPUID, 0);
  run_case("cpuid-f2", 0, pF2, 1, EXPECT_CPUID, 0);
  run_case("cpuid-2e", 0, p2E, 1, EXPECT_CPUID, 0);
  run_case("cpuid-67", 0, p67, 1, EXPECT_CPUID, 0);
  run_case("cpuid-3e-26-64-65", 0, pseg, sizeof pseg, EXPECT_CPUID, 0);
  run_case("cpuid-rex-40", 0, p40, 1, EXPECT_CPUID, 0);
  run_case("cpuid-rex-w-48", 0, p48, 1, EXPECT_CPUID, 0);
  run_case("cpuid-rex-then-66", 0, p48_66, sizeof p48_66, EXPECT_CPUID, 0);
  run_case("cpuid-14-bytes", 0, p12, sizeof p12, EXPECT_CPUID, 0);
  run_case("cpuid-15-bytes", 0, p13, sizeof p13, EXPECT_CPUID, 0);

  /* CPUID across a page boundary: `before` bytes on the first page. */
  char name[64];
  run_case("cpuid-split-0f|a2", 0, NULL, 0, EXPECT_CPUID, 1);
  static const unsigned char p4[] = {0x66, 0x2E, 0x3E, 0x48}; /* 66 2E 3E 48 0F A2: 6 bytes */
  for (size_t k = 1; k < sizeof p4 + 2; ++k) {
    snprintf(name, sizeof name, "cpuid-prefixed-split-%zu|%zu", k, sizeof p4 + 2 - k);
    run_case(name, 0, p4, sizeof p4, EXPECT_CPUID, k);
  }
  for (size_t k = 1; k < sizeof p13 + 2; ++k) {
    snprintf(name, sizeof name, "cpuid-15-bytes-split-%zu|%zu", k, sizeof p13 + 2 - k);
    run_case(name, 0, p13, sizeof p13, EXPECT_CPUID, k);
  }
  run_case("cpuid-at-page-end", 0, NULL, 0, EXPECT_CPUID, 2);
  run_guard_case("cpuid-before-unmapped-page", NULL, 0);
  run_guard_case("prefixed-cpuid-before-unmapped-page", p4, sizeof p4);

  /* VMMCALL with an unknown service number. */
  static const unsigned char p2E3E[] = {0x2E, 0x3E}, p2E48[] = {0x2E, 0x48};
  run_case("vmmcall-plain", 0, NULL, 0, EXPECT_VMMCALL, 0);
  run_case("vmmcall-split-0f|01d9", 0, NULL, 0, EXPECT_VMMCALL, 1);
  run_case("vmmcall-split-0f01|d9", 0, NULL, 0, EXPECT_VMMCALL, 2);
  run_case("vmmcall-2e-3e", 0, p2E3E, sizeof p2E3E, EXPECT_VMMCALL, 0);
  run_case("vmmcall-2e-48", 0, p2E48, sizeof p2E48, EXPECT_VMMCALL, 0);
  run_case("vmmcall-2e-3e-split-2|3", 0, p2E3E, sizeof p2E3E, EXPECT_VMMCALL, 2);
  run_case("vmmcall-2e-3e-split-4|1", 0, p2E3E, sizeof p2E3E, EXPECT_VMMCALL, 4);

  /* VMMCALL of echo_domain with 3 prefixes: dropping them would run 0F 01 D9 again. */
  static const unsigned char p3[] = {0x2E, 0x3E, 0x26};
  run_case("vmmcall-echo-2e-3e-26", 0, p3, sizeof p3, EXPECT_HELLO, 0);
  run_case("vmmcall-echo-2e-3e-26-split-3|3", 0, p3, sizeof p3, EXPECT_HELLO, 3);
  run_case("vmmcall-echo-2e-3e-26-split-5|1", 0, p3, sizeof p3, EXPECT_HELLO, 5);

  /* Single-step over intercepted instructions at a page end. */
  run_case("tf-cpuid", 1, NULL, 0, EXPECT_CPUID, 0);
  run_case("tf-cpuid-at-page-end", 1, NULL, 0, EXPECT_CPUID, 2);
  run_case("tf-cpuid-split-0f|a2", 1, NULL, 0, EXPECT_CPUID, 1);
  run_case("tf-prefixed-cpuid-at-page-end", 1, p4, sizeof p4, EXPECT_CPUID, sizeof p4 + 2);
  run_case("tf-prefixed-cpuid-split-3|3", 1, p4, sizeof p4, EXPECT_CPUID, 3);
  run_case("tf-vmmcall-at-page-end", 1, NULL, 0, EXPECT_VMMCALL, 3);
  run_case("tf-vmmcall-split-0f01|d9", 1, NULL, 0, EXPECT_VMMCALL, 2);

  /* Over the architectural 15-byte limit. */
  run_overlong_case();

  if (failures == 0) {
    printf("insnprobe: all checks passed\n");
    return 0;
  }
  printf("insnprobe: %d check(s) FAILED\n", failures);
  return 1;
}
