/* debugreg: the guest's debug registers and thinvisor's watchpoints, from a
 * root shell, through /dev/tvdebugreg (guest/kmod/tvdebugreg.c; loaded on
 * demand from /lib/modules/tvdebugreg.ko).
 *
 *   debugreg get N                  the guest's DRn as the VMM keeps it
 *   debugreg set N VALUE            validated write (set_debugreg)
 *   debugreg list                   DR0-3, DR6, DR7 and the VMM's watchpoints
 *   debugreg watch ADDR [x|w|rw] [LEN]   a VMM watchpoint (prints the slot)
 *   debugreg unwatch SLOT
 *   debugreg selftest               watch a variable of this program through
 *                                   set_debugreg; expect SIGTRAP TRAP_HWBKPT, DR6.B0
 *   debugreg ptrace-test            Linux's own ptrace watchpoint on a child
 *   debugreg invalid                every refusal rule, each with its error
 *   debugreg gd-test                the kernel's own DR7.GD trap (#DB with DR6.BD)
 *   debugreg getppid N              N getppid() calls (a target for `watch`)
 *   debugreg bench N                N set_debugreg, get_debugreg and nop calls from
 *                                   kernel mode, the fastest of 5 rounds each
 *   debugreg fuzz N [SEED]          N random kernel-mode calls of the services,
 *                                   then everything released and DR7 cleared
 * Exit status: 0 ok, 1 failure, 2 usage, 3 a call was refused. */
#define _GNU_SOURCE
#include "thinvisor/debugreg.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TRAP_HWBKPT
#define TRAP_HWBKPT 4
#endif

static int g_fd = -1;

static int open_device(void) {
  if (g_fd >= 0) return 0;
  g_fd = open("/dev/tvdebugreg", O_RDWR);
  if (g_fd < 0 && errno == ENOENT) {
    /* busybox insmod: the module is in the initramfs */
    if (system("insmod /lib/modules/tvdebugreg.ko 2>/dev/null") == 0) g_fd = open("/dev/tvdebugreg", O_RDWR);
  }
  if (g_fd < 0) {
    fprintf(stderr, "debugreg: cannot open /dev/tvdebugreg: %s\n", strerror(errno));
    return -1;
  }
  return 0;
}

/* One kernel-mode call; returns RAX (results in *out if given). */
static tv_u64 call(const char* service, tv_u64 rbx, tv_u64 rcx, tv_u64 rdx, struct tvdr_call* out) {
  struct tvdr_call c;
  memset(&c, 0, sizeof c);
  snprintf(c.service, sizeof c.service, "%s", service);
  c.rbx = rbx;
  c.rcx = rcx;
  c.rdx = rdx;
  if (ioctl(g_fd, TVDR_CALL, &c) != 0) {
    fprintf(stderr, "debugreg: %s: %s\n", service, strerror(errno));
    exit(1);
  }
  if (out) *out = c;
  return c.out_rax;
}

static int parse_u64(const char* s, tv_u64* out) {
  char* end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0') {
    fprintf(stderr, "debugreg: '%s' is not a number\n", s);
    return -1;
  }
  *out = v;
  return 0;
}

static int report(const char* what, tv_u64 rax) {
  if (rax == 0) return 0;
  fprintf(stderr, "debugreg: %s refused: %s\n", what, tv_dr_strerror(rax) ? tv_dr_strerror(rax) : "?");
  return 3;
}

static tv_u64 get_dr(int n) {
  struct tvdr_call c;
  if (call("get_debugreg", (tv_u64)n, 0, 0, &c) != 0) return ~0ull;
  return c.out_rbx;
}

static int list(void) {
  static const int regs[] = {0, 1, 2, 3, 6, 7};
  for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; ++i)
    printf("dr%d 0x%016llx\n", regs[i], (unsigned long long)get_dr(regs[i]));
  static const char* const kinds[] = {"x", "w", "io", "rw"};
  for (int s = 0; s < 4; ++s) {
    struct tvdr_call c;
    if (call("watch_info", (tv_u64)s, 0, 0, &c) != 0) continue;
    printf("watch slot %d addr 0x%llx kind %s len %llu hits %llu\n", s, (unsigned long long)c.out_rbx,
           kinds[c.out_rcx & 3], (unsigned long long)c.out_rdx, (unsigned long long)c.out_rsi);
  }
  return 0;
}

static int watch(int argc, char** argv) {
  tv_u64 addr, len = 0, kind = 0;
  if (argc < 1 || parse_u64(argv[0], &addr) != 0) return 2;
  if (argc >= 2) {
    if (strcmp(argv[1], "x") == 0)
      kind = 0;
    else if (strcmp(argv[1], "w") == 0)
      kind = 1;
    else if (strcmp(argv[1], "rw") == 0)
      kind = 3;
    else
      return 2;
  }
  len = kind == 0 ? 1 : 8;
  if (argc >= 3 && parse_u64(argv[2], &len) != 0) return 2;
  struct tvdr_call c;
  int rc = report("watch", call("watch", addr, kind, len, &c));
  if (rc == 0) printf("watch slot %llu\n", (unsigned long long)c.out_rbx);
  return rc;
}

/* ---- selftest: a variable of ours, armed through set_debugreg ---- */
static volatile int g_watched;
static volatile sig_atomic_t g_traps, g_code;

static void on_sigtrap(int sig, siginfo_t* si, void* ctx) {
  (void)sig;
  (void)ctx;
  ++g_traps;
  g_code = si->si_code;
}

static int selftest(void) {
  struct tvdr_deliver d = {1, 0, 0};
  if (ioctl(g_fd, TVDR_DELIVER, &d) != 0) {
    fprintf(stderr, "debugreg selftest: no SIGTRAP delivery: %s\n", strerror(errno));
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigtrap;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGTRAP, &sa, NULL);
  const tv_u64 addr = (tv_u64)(unsigned long)&g_watched;
  int rc = report("set_debugreg(0)", call("set_debugreg", 0, addr, 0, NULL));
  /* DR7: L0, R/W0 = 01 (write), LEN0 = 11 (4 bytes) */
  if (rc == 0) rc = report("set_debugreg(7)", call("set_debugreg", 7, 0x000D0401, 0, NULL));
  if (rc == 0) {
    g_watched = 42; /* the watched write: a trap after it */
    g_watched = 43;
  }
  call("set_debugreg", 7, 0x400, 0, NULL);
  call("set_debugreg", 0, 0, 0, NULL);
  struct tvdr_deliver last;
  memset(&last, 0, sizeof last);
  ioctl(g_fd, TVDR_LAST, &last);
  d.mask = 0;
  ioctl(g_fd, TVDR_DELIVER, &d);
  if (rc != 0) return rc;
  printf("debugreg selftest: var 0x%llx traps %d si_code %d (%s) dr6 0x%llx B0 %s\n", (unsigned long long)addr,
         (int)g_traps, (int)g_code, g_code == TRAP_HWBKPT ? "TRAP_HWBKPT" : "other", (unsigned long long)last.last_dr6,
         (last.last_dr6 & 1) ? "set" : "clear");
  const int ok = g_traps == 2 && g_code == TRAP_HWBKPT && (last.last_dr6 & 1) != 0;
  printf("debugreg selftest: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

/* ---- ptrace-test: Linux's own hardware watchpoint on a child ---- */
static int ptrace_test(void) {
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    raise(SIGSTOP);
    g_watched = 7;
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  const long off0 = (long)offsetof(struct user, u_debugreg[0]);
  const long off6 = (long)offsetof(struct user, u_debugreg[6]);
  const long off7 = (long)offsetof(struct user, u_debugreg[7]);
  int ok = ptrace(PTRACE_POKEUSER, child, (void*)off0, (void*)&g_watched) == 0 &&
           ptrace(PTRACE_POKEUSER, child, (void*)off7, (void*)0x000D0001L) == 0;
  if (!ok) fprintf(stderr, "debugreg ptrace-test: POKEUSER: %s\n", strerror(errno));
  ptrace(PTRACE_CONT, child, NULL, NULL);
  waitpid(child, &status, 0);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  long dr6 = 0;
  const int trapped = WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP;
  if (trapped) {
    ptrace(PTRACE_GETSIGINFO, child, NULL, &si);
    dr6 = ptrace(PTRACE_PEEKUSER, child, (void*)off6, NULL);
    ptrace(PTRACE_CONT, child, NULL, NULL);
    waitpid(child, &status, 0);
  } else if (!WIFEXITED(status)) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
  }
  printf("debugreg ptrace-test: child stopped with %s si_code %d dr6 0x%lx\n", trapped ? "SIGTRAP" : "no SIGTRAP",
         si.si_code, dr6);
  ok = ok && trapped && si.si_code == TRAP_HWBKPT && (dr6 & 1) != 0;
  printf("debugreg ptrace-test: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

/* ---- invalid: every rule, each with its own error, the file unchanged ---- */
static tv_u64 vmm_base(void) {
  static char buf[16384];
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0) return 0;
  tv_u64 n = tv_lookup(&hc, "status");
  struct tv_regs r = {0, (tv_u64)(unsigned long)buf, sizeof buf, 0, 0, 0};
  if (n == 0) return 0;
  tv_call(&hc, n, &r);
  const char* p = strstr(buf, "vmm_base ");
  return p ? strtoull(p + 9, NULL, 0) : 0;
}

struct invalid_case {
  const char* what;
  int reg;
  tv_u64 value;
  tv_u64 dr0; /* written first, if not 0 */
  int error;
};

static int invalid(void) {
  const tv_u64 vmm = vmm_base();
  if (vmm == 0) {
    fprintf(stderr, "debugreg invalid: no vmm_base in the status report\n");
    return 1;
  }
  /* A user address, certainly mapped and aligned. */
  const tv_u64 va = (tv_u64)(unsigned long)&g_watched & ~7ull;
  const struct invalid_case cases[] = {
      {"regnum 8", 8, 0, 0, TV_DR_BAD_REGISTER},
      {"regnum 99", 99, 0, 0, TV_DR_BAD_REGISTER},
      {"DR6 bit 32", 6, 1ull << 32, 0, TV_DR_HIGH_BITS},
      {"DR7 bit 63", 7, 1ull << 63, 0, TV_DR_HIGH_BITS},
      {"DR7.GD", 7, 0x2400, 0, TV_DR_GENERAL_DETECT},
      {"I/O breakpoint without CR4.DE", 7, 0x20401, 0x70, TV_DR_IO_WITHOUT_DE},
      {"execute breakpoint, LEN 4", 7, 0xC0401, va, TV_DR_EXEC_LENGTH},
      {"4-byte write at +2", 7, 0xD0401, va + 2, TV_DR_MISALIGNED},
      {"8-byte write at +4", 7, 0x90401, va + 4, TV_DR_MISALIGNED},
      {"non-canonical DR0", 0, 0x0000800000000000ull, 0, TV_DR_NON_CANONICAL},
      {"DR0 at the VMM's base", 0, vmm, 0, TV_DR_VMM_RANGE},
      {"DR0 inside the VMM", 1, vmm + 0x1000, 0, TV_DR_VMM_RANGE},
      {"DR0 in the domain window", 0, 0x400000001000ull, 0, TV_DR_VMM_RANGE},
  };
  tv_u64 before[6];
  static const int regs[] = {0, 1, 2, 3, 6, 7};
  for (int i = 0; i < 6; ++i) before[i] = get_dr(regs[i]);
  int failures = 0;
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    const struct invalid_case* c = &cases[i];
    if (c->dr0 != 0 && call("set_debugreg", 0, c->dr0, 0, NULL) != 0) {
      printf("debugreg invalid: %s: set-up write refused\n", c->what);
      ++failures;
      continue;
    }
    const tv_u64 rax = call("set_debugreg", (tv_u64)c->reg, c->value, 0, NULL);
    const int ok = rax == TV_ERR_DR(c->error);
    printf("debugreg invalid: %-32s -> %s%s\n", c->what, tv_dr_strerror(rax) ? tv_dr_strerror(rax) : "accepted",
           ok ? "" : "  (UNEXPECTED)");
    failures += !ok;
    if (c->dr0 != 0) call("set_debugreg", 0, before[0], 0, NULL);
  }
  /* get_debugreg has a refusal of its own. */
  const tv_u64 g = call("get_debugreg", 8, 0, 0, NULL);
  printf("debugreg invalid: %-32s -> %s\n", "get_debugreg(8)", tv_dr_strerror(g) ? tv_dr_strerror(g) : "accepted");
  failures += g != TV_ERR_DR(TV_DR_BAD_REGISTER);
  /* The VMM's watchpoints follow the same address rules. */
  const tv_u64 w = call("watch", vmm, 1, 8, NULL);
  printf("debugreg invalid: %-32s -> %s\n", "watch on the VMM", tv_dr_strerror(w) ? tv_dr_strerror(w) : "accepted");
  failures += w != TV_ERR_DR(TV_DR_VMM_RANGE);
  const tv_u64 u = call("unwatch", 0, 0, 0, NULL); /* the VMM claims from slot 3 down */
  printf("debugreg invalid: %-32s -> %s\n", "unwatch a free slot", tv_dr_strerror(u) ? tv_dr_strerror(u) : "accepted");
  failures += u != TV_ERR_DR(TV_DR_NOT_WATCHED);
  /* The VMM's own watchpoints (the module-load detector's) are not released on request. */
  for (int s = 0; s < 4; ++s) {
    if (call("watch_info", (tv_u64)s, 0, 0, NULL) != 0) continue;
    const tv_u64 own = call("unwatch", (tv_u64)s, 0, 0, NULL);
    printf("debugreg invalid: %-32s -> %s\n", "unwatch the VMM's own slot",
           tv_dr_strerror(own) ? tv_dr_strerror(own) : "accepted");
    failures += own != TV_ERR_DR(TV_DR_VMM_INTERNAL);
  }
  for (int i = 0; i < 6; ++i) {
    if (get_dr(regs[i]) != before[i]) {
      printf("debugreg invalid: dr%d changed\n", regs[i]);
      ++failures;
    }
  }
  printf("debugreg invalid: %s (%d unexpected)\n", failures == 0 ? "ok" : "FAILED", failures);
  return failures == 0 ? 0 : 1;
}

/* The fastest of 5 rounds of n kernel-mode calls, in ticks (as hcbench: a
 * round that took a timer interrupt does not count); ~0 if a call failed. */
static tv_u64 fastest(const char* service, tv_u64 rbx, tv_u64 rcx, tv_u64 n) {
  tv_u64 best = ~0ull;
  for (int round = 0; round < 5; ++round) {
    struct tvdr_bench b;
    memset(&b, 0, sizeof b);
    snprintf(b.service, sizeof b.service, "%s", service);
    b.rbx = rbx;
    b.rcx = rcx;
    b.iterations = n;
    if (ioctl(g_fd, TVDR_BENCH, &b) != 0 || b.out_rax != 0) {
      fprintf(stderr, "debugreg bench: %s: %s (rax %#llx)\n", service, strerror(errno), (unsigned long long)b.out_rax);
      return ~0ull;
    }
    if (b.out_ticks < best) best = b.out_ticks;
  }
  return best;
}

static int bench(tv_u64 n) {
  /* set_debugreg(0, 0x1000 / 0x1008 alternating: the module changes RCX each call) */
  const tv_u64 set = fastest("set_debugreg", 0, 0x1000, n);
  const tv_u64 get = fastest("get_debugreg", 0, 0, n);
  const tv_u64 nop = fastest("nop", 0, 0, n);
  call("set_debugreg", 0, 0, 0, NULL);
  if (set == ~0ull || get == ~0ull || nop == ~0ull) return 1;
  printf("debugreg_set_kernel %llu\n", (unsigned long long)(set / n));
  printf("debugreg_get_kernel %llu\n", (unsigned long long)(get / n));
  printf("debugreg_nop_kernel %llu\n", (unsigned long long)(nop / n));
  return 0;
}

/* ---- fuzz: random kernel-mode calls of every debug-register service ---- */
static tv_u64 g_state;
static tv_u64 next_random(void) {
  g_state ^= g_state << 13;
  g_state ^= g_state >> 7;
  g_state ^= g_state << 17;
  return g_state;
}

/* A value for a DR or an address: random, near a real user or kernel address,
 * small, or a DR7 with a few slots enabled. */
static tv_u64 fuzz_value(tv_u64 kernel_text) {
  const tv_u64 r = next_random();
  switch (r & 7) {
    case 0: return (tv_u64)(unsigned long)&g_watched + ((r >> 8) & 0xF);
    case 1: return kernel_text + ((r >> 8) & 0xFFF);
    case 2: return (r >> 8) & 0xFF;
    case 3: return 0x400 | ((r >> 8) & 0xFFFF00FF);
    case 4: return 0xFFFF0FF0 | ((r >> 8) & 0xF);
    default: return next_random();
  }
}

static int fuzz(tv_u64 n, tv_u64 seed) {
  static const char* const services[] = {"set_debugreg", "get_debugreg", "watch", "unwatch", "watch_info"};
  g_state = seed ? seed : 1;
  /* A kernel text address for realistic execute watchpoints. */
  tv_u64 text = 0xffffffff81000000ull;
  FILE* k = fopen("/proc/kallsyms", "r");
  if (k) {
    char line[256];
    while (fgets(line, sizeof line, k))
      if (strstr(line, " __x64_sys_getppid\n")) {
        text = strtoull(line, NULL, 16);
        break;
      }
    fclose(k);
  }
  tv_u64 accepted = 0;
  for (tv_u64 i = 0; i < n; ++i) {
    const tv_u64 pick = next_random();
    const char* s = services[(pick >> 4) % 5];
    const tv_u64 a = (pick & 1) ? (pick >> 16) % 10 : fuzz_value(text);
    tv_u64 v = fuzz_value(text);
    /* Never arm a guest execute breakpoint (R/W 00, LEN 00): Linux ignores a
     * hit on a slot it did not allocate and returns without RF, so the
     * instruction would trap forever. The VMM's own (watch) are fine. */
    if (strcmp(s, "set_debugreg") == 0 && (a == 7 || a == 5))
      for (int slot = 0; slot < 4; ++slot)
        if (((v >> (16 + 4 * slot)) & 0xF) == 0) v &= ~(3ull << (2 * slot));
    accepted += call(s, a, v, (pick >> 24) % 10, NULL) == 0;
    /* A data watch on this program's own variable, now and then touched. */
    if ((pick & 0x30) == 0) g_watched = (int)i;
  }
  /* Leave nothing armed. */
  call("set_debugreg", 7, 0x400, 0, NULL);
  for (int s = 0; s < 4; ++s) call("unwatch", (tv_u64)s, 0, 0, NULL);
  for (int r = 0; r < 4; ++r) call("set_debugreg", (tv_u64)r, 0, 0, NULL);
  call("set_debugreg", 6, 0, 0, NULL);
  printf("debugreg fuzz: %llu calls, %llu accepted\n", (unsigned long long)n, (unsigned long long)accepted);
  return 0;
}

static int usage(void) {
  fprintf(stderr,
          "usage: debugreg get N | set N VALUE | list | watch ADDR [x|w|rw] [LEN] | unwatch SLOT |\n"
          "                selftest | ptrace-test | invalid | gd-test | getppid N | bench N | fuzz N [SEED]\n");
  return 2;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const char* cmd = argv[1];
  tv_u64 a = 0, b = 0;
  if (strcmp(cmd, "ptrace-test") == 0) return ptrace_test();
  if (strcmp(cmd, "getppid") == 0) {
    if (argc != 3 || parse_u64(argv[2], &a) != 0) return usage();
    for (tv_u64 i = 0; i < a; ++i) syscall(SYS_getppid);
    printf("debugreg: %llu getppid calls\n", (unsigned long long)a);
    return 0;
  }
  if (open_device() != 0) return 1;
  if (strcmp(cmd, "get") == 0 && argc == 3 && parse_u64(argv[2], &a) == 0) {
    struct tvdr_call c;
    int rc = report("get_debugreg", call("get_debugreg", a, 0, 0, &c));
    if (rc == 0) printf("dr%llu 0x%016llx\n", (unsigned long long)a, (unsigned long long)c.out_rbx);
    return rc;
  }
  if (strcmp(cmd, "set") == 0 && argc == 4 && parse_u64(argv[2], &a) == 0 && parse_u64(argv[3], &b) == 0)
    return report("set_debugreg", call("set_debugreg", a, b, 0, NULL));
  if (strcmp(cmd, "list") == 0) return list();
  if (strcmp(cmd, "watch") == 0) {
    int rc = watch(argc - 2, argv + 2);
    return rc == 2 ? usage() : rc;
  }
  if (strcmp(cmd, "unwatch") == 0 && argc == 3 && parse_u64(argv[2], &a) == 0)
    return report("unwatch", call("unwatch", a, 0, 0, NULL));
  if (strcmp(cmd, "selftest") == 0) return selftest();
  if (strcmp(cmd, "invalid") == 0) return invalid();
  if (strcmp(cmd, "gd-test") == 0) {
    tv_u64 dr6 = 0;
    if (ioctl(g_fd, TVDR_GD_TEST, &dr6) != 0) return 1;
    const int ok = (dr6 & (1u << 13)) != 0;
    printf("debugreg gd-test: the kernel's #DB handler saw dr6 0x%llx: BD %s\n", (unsigned long long)dr6,
           ok ? "set: ok" : "clear: FAILED");
    return ok ? 0 : 1;
  }
  if (strcmp(cmd, "bench") == 0 && argc == 3 && parse_u64(argv[2], &a) == 0 && a > 0) return bench(a);
  if (strcmp(cmd, "fuzz") == 0 && (argc == 3 || argc == 4) && parse_u64(argv[2], &a) == 0 &&
      (argc == 3 || parse_u64(argv[3], &b) == 0))
    return fuzz(a, b);
  return usage();
}
