/* hcbench: guest-measured cost of one exit, in TSC ticks (under QEMU
 * -icount shift=0 these are emulated instructions, so the figures are exact).
 *
 *   hcbench [ITERATIONS]     default 2000
 * Each figure is the fastest of HCBENCH_ROUNDS rounds of ITERATIONS calls, so
 * a round that took a timer interrupt (thousands of instructions, once per
 * tick) does not count: what is left is the exit itself.
 * Prints one line per figure: "hcbench: <name> <ticks-per-call>" for the
 * empty loop baseline, a null hypercall (service 'nop'), a CPUID exit, a
 * hypercall with a service number the VMM does not know
 * (HCBENCH_UNKNOWN_SERVICE; the VMM answers TV_ERR_UNKNOWN_SERVICE, checked
 * before and after the timed loop, so the figure cannot silently measure a
 * real service: hcbench exits 1 instead), and, when the VMM has it, the
 * domain-hosted service 'echo_domain' ("domain_service"; its answer is checked
 * the same way, and a VMM without it only gets a note on stderr).
 *
 *   hcbench --cpuid N        executes CPUID N times on the CPU it runs on and
 *                            prints "hcbench: N cpuid on cpu C" (C from
 *                            sched_getcpu(), "on cpu A then B" if it moved,
 *                            which a pinned run never does): smp_test counts
 *                            each CPU's CPUID exits with it (taskset -c K).
 *
 *   hcbench --dbgsh [KEYS]   default KEYS "help\nexit\n"
 *   hcbench --dbgsh-terminal [KEYS]
 *                            the same, polling as a terminal does (0x101), so
 *                            the session is interactive (log pages)
 * Speaks the dbgsh character pipe raw (docs/dbgsh.md "Protocol"): a poll
 * starts a session; an output character is acknowledged, a 0 (the shell
 * wants a key) is answered with the next of KEYS, and 0x10A ends the session
 * (acknowledged, as BitVisor's client does). Times the whole session, first
 * poll to final ack, and prints "hcbench: dbgsh_char <ticks-per-call>",
 * "hcbench: dbgsh_calls <calls>", "hcbench: dbgsh_output <chars>",
 * "hcbench: dbgsh_total <ticks>" and what the shell said, C-escaped, as
 * "hcbench: dbgsh_said \"...\"". Exits 1 on busy, off, an error, KEYS used
 * up while the shell still wants keys, or a session that does not end. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thinvisor/dbgsh_proto.h"
#include "thinvisor/vmmcall.h"

/* No service has this number: the VMM's table is small and dense from 0. It
 * fits in 32 bits, so it is the same number from 32-bit code. */
#define HCBENCH_UNKNOWN_SERVICE 0x7FFFFFFFu

#define HCBENCH_ROUNDS 5
/* out = the fastest of HCBENCH_ROUNDS rounds of n executions of stmt, in ticks. */
#define HCBENCH_FASTEST(out, stmt)                            \
  do {                                                        \
    (out) = ~0ull;                                            \
    for (int round_ = 0; round_ < HCBENCH_ROUNDS; ++round_) { \
      tv_u64 a_ = rdtsc();                                    \
      for (long i = 0; i < n; ++i) stmt;                      \
      tv_u64 b_ = rdtsc();                                    \
      if (b_ - a_ < (out)) (out) = b_ - a_;                   \
    }                                                         \
  } while (0)

static inline tv_u64 rdtsc(void) {
  tv_u32 lo, hi;
  __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi));
  return ((tv_u64)hi << 32) | lo;
}

/* Value echo_domain is timed with: the domain answers it unchanged. */
#define HCBENCH_ECHO_VALUE 0x5A5A1234u
/* A session that makes more calls than this without ending is stuck. */
#define HCBENCH_DBGSH_MAX_CALLS 2000000L
#define HCBENCH_DBGSH_SAID_MAX 16384

/* Appends ch to said[] C-escaped (printable ASCII as is). */
static void said_put(char* said, size_t* len, long ch) {
  char tmp[8];
  if (ch == '\n')
    strcpy(tmp, "\\n");
  else if (ch == '"' || ch == '\\')
    tmp[0] = '\\', tmp[1] = (char)ch, tmp[2] = 0;
  else if (ch >= 0x20 && ch < 0x7F)
    tmp[0] = (char)ch, tmp[1] = 0;
  else
    snprintf(tmp, sizeof tmp, "\\x%02lx", ch & 0xFF);
  size_t n = strlen(tmp);
  if (*len + n + 1 >= HCBENCH_DBGSH_SAID_MAX) return;
  memcpy(said + *len, tmp, n + 1);
  *len += n;
}

static int bench_dbgsh(const struct tv_hypercall* hc, const char* keys, int terminal) {
  tv_u64 nr = tv_lookup(hc, "dbgsh");
  if (nr == 0) {
    fprintf(stderr, "hcbench: the VMM has no 'dbgsh' service\n");
    return 1;
  }
  static char said[HCBENCH_DBGSH_SAID_MAX];
  size_t said_len = 0, key = 0, nkeys = strlen(keys);
  long calls = 0, output = 0;
  const long poll = terminal ? DBGSH_SEND_POLL_TERMINAL : DBGSH_SEND_POLL;
  long send = poll;
  int over = 0;
  tv_u64 t0 = rdtsc();
  while (calls < HCBENCH_DBGSH_MAX_CALLS) {
    struct tv_regs r = {0, 0, 0, 0, 0, 0};
    r.rbx = (tv_u64)send;
    tv_call(hc, nr, &r);
    ++calls;
    if (over) break; /* that was the ack of 0x10A */
    long got = (long)r.rax;
    if (got == DBGSH_RECV_SESSION_OVER) {
      over = 1;
      send = DBGSH_SEND_ACK;
    } else if ((got >= 1 && got <= 0xFF) || got == DBGSH_RECV_NUL) {
      ++output;
      said_put(said, &said_len, got == DBGSH_RECV_NUL ? 0 : got);
      send = DBGSH_SEND_ACK;
    } else if (got == DBGSH_RECV_WANT_INPUT) {
      if (key >= nkeys) {
        fprintf(stderr, "hcbench: dbgsh: the shell still wants keys after \"%s\" (said \"%s\")\n", keys, said);
        return 1;
      }
      send = (unsigned char)keys[key++];
    } else if (got == DBGSH_RECV_NOTHING) {
      send = poll;
    } else {
      fprintf(stderr, "hcbench: dbgsh: answer %#lx (%s) after %ld calls\n", got,
              got == DBGSH_RECV_BUSY  ? "busy"
              : got == DBGSH_RECV_OFF ? "off"
                                      : "error or unknown value",
              calls);
      return 1;
    }
  }
  tv_u64 t1 = rdtsc();
  if (!over) {
    fprintf(stderr, "hcbench: dbgsh: no end of session after %ld calls (said \"%s\")\n", calls, said);
    return 1;
  }
  printf("hcbench: dbgsh_char %llu\n", (unsigned long long)((t1 - t0) / (tv_u64)calls));
  printf("hcbench: dbgsh_calls %ld\n", calls);
  printf("hcbench: dbgsh_output %ld\n", output);
  printf("hcbench: dbgsh_total %llu\n", (unsigned long long)(t1 - t0));
  printf("hcbench: dbgsh_said \"%s\"\n", said);
  return 0;
}

static int cpuid_loop(long n) {
  if (n <= 0) {
    fprintf(stderr, "usage: hcbench --cpuid N\n");
    return 2;
  }
  const int first = sched_getcpu();
  tv_u32 r[4];
  for (long i = 0; i < n; ++i) tv_cpuid(0, r);
  const int last = sched_getcpu();
  if (first == last)
    printf("hcbench: %ld cpuid on cpu %d\n", n, first);
  else
    printf("hcbench: %ld cpuid on cpu %d then %d\n", n, first, last);
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "--cpuid") == 0) return cpuid_loop(atol(argv[2]));
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0) {
    fprintf(stderr, "hcbench: not running under thinvisor\n");
    return 1;
  }
  if (argc > 1 && (strcmp(argv[1], "--dbgsh") == 0 || strcmp(argv[1], "--dbgsh-terminal") == 0))
    return bench_dbgsh(&hc, argc > 2 ? argv[2] : "help\nexit\n", strcmp(argv[1], "--dbgsh-terminal") == 0);
  long n = argc > 1 ? atol(argv[1]) : 2000;
  if (n <= 0) {
    fprintf(stderr, "usage: hcbench [ITERATIONS] | hcbench --dbgsh[-terminal] [KEYS]\n");
    return 2;
  }
  tv_u64 nop = tv_lookup(&hc, "nop");
  if (nop == 0) {
    fprintf(stderr, "hcbench: the VMM has no 'nop' service\n");
    return 1;
  }
  struct tv_regs r = {0, 0, 0, 0, 0, 0};
  struct tv_regs u = {0, 0, 0, 0, 0, 0};
  tv_call(&hc, HCBENCH_UNKNOWN_SERVICE, &u);
  if (u.rax != TV_ERR_UNKNOWN_SERVICE) {
    fprintf(stderr, "hcbench: service number %#x is not unknown to the VMM (rax %#llx, want %#llx)\n",
            HCBENCH_UNKNOWN_SERVICE, (unsigned long long)u.rax, (unsigned long long)TV_ERR_UNKNOWN_SERVICE);
    return 1;
  }
  tv_u32 c[4];
  tv_u64 loop, hypercall, cpuid, unknown;
  HCBENCH_FASTEST(loop, __asm__ __volatile__("" ::: "memory"));
  HCBENCH_FASTEST(hypercall, tv_call(&hc, nop, &r));
  HCBENCH_FASTEST(cpuid, tv_cpuid(0, c));
  HCBENCH_FASTEST(unknown, tv_call(&hc, HCBENCH_UNKNOWN_SERVICE, &u));
  if (u.rax != TV_ERR_UNKNOWN_SERVICE) { /* the last call of the timed loop */
    fprintf(stderr, "hcbench: unknown service %#x returned rax %#llx in the timed loop, want %#llx\n",
            HCBENCH_UNKNOWN_SERVICE, (unsigned long long)u.rax, (unsigned long long)TV_ERR_UNKNOWN_SERVICE);
    return 1;
  }
  /* The domain-hosted service, after the built-in ones. The first call starts
   * the domain instance and is not timed. */
  tv_u64 echo = tv_lookup(&hc, "echo_domain");
  tv_u64 domain = 0;
  if (echo != 0) {
    struct tv_regs e = {0, HCBENCH_ECHO_VALUE, 0, 0, 0, 0};
    tv_call(&hc, echo, &e);
    if (e.rax != HCBENCH_ECHO_VALUE) {
      fprintf(stderr, "hcbench: echo_domain answered %#llx, want %#x\n", (unsigned long long)e.rax, HCBENCH_ECHO_VALUE);
      return 1;
    }
    HCBENCH_FASTEST(domain, (e.rbx = HCBENCH_ECHO_VALUE, tv_call(&hc, echo, &e)));
    if (e.rax != HCBENCH_ECHO_VALUE) {
      fprintf(stderr, "hcbench: echo_domain answered %#llx in the timed loop, want %#x\n", (unsigned long long)e.rax,
              HCBENCH_ECHO_VALUE);
      return 1;
    }
  } else {
    fprintf(stderr, "hcbench: note: the VMM has no 'echo_domain' service; no domain_service figure\n");
  }
  printf("hcbench: loop %llu\n", (unsigned long long)(loop / n));
  printf("hcbench: hypercall %llu\n", (unsigned long long)(hypercall / n));
  printf("hcbench: cpuid %llu\n", (unsigned long long)(cpuid / n));
  printf("hcbench: unknown %llu\n", (unsigned long long)(unknown / n));
  if (echo != 0) printf("hcbench: domain_service %llu\n", (unsigned long long)(domain / n));
  return 0;
}
