/* hcfuzz: hammers the hypercall interface from user mode with random service
 * numbers and random register contents, then checks that the VMM accounted for
 * every call (its status report counts hypercalls). Arguments are not only
 * random: some point into the fuzzer's own writable buffers (so services reach
 * their write paths), some at a read-only page and some at kernel addresses —
 * afterwards the read-only page must be unchanged (the VMM must not write
 * where the caller could not).
 *
 *   hcfuzz [--this-cpu] [COUNT [SEED]]     default 100000 calls, seed 1
 * Prints "hcfuzz: ok calls=N" and exits 0 when the VMM's counter grew by
 * exactly COUNT (+ the status calls themselves); exits 1 otherwise.
 * The counter is the machine-wide hypercalls_total; with --this-cpu it is the
 * counter of the CPU hcfuzz runs on (cpu.K.hypercalls of the VMM CPU whose
 * apic_id is this CPU's apicid in /proc/cpuinfo), so one instance per CPU can
 * run at once (issue 12). --this-cpu needs hcfuzz pinned to one CPU
 * (taskset -c K) and exits 2 otherwise. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "thinvisor/vmmcall.h"

static tv_u64 state;
static tv_u64 next_random(void) { /* xorshift64*: deterministic for a seed */
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1Dull;
}

/* One status call; the values of two counters from its report (-1 if absent). */
struct snapshot {
  long long total, unknown;
};
static long long counter_in(const char* report, const char* key) {
  size_t klen = strlen(key);
  for (const char* line = report; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ') return atoll(line + klen + 1);
  return -1;
}
static char report[16384];
/* total_key: "hypercalls_total", or with --this-cpu "cpu.K.hypercalls". */
static char total_key[64] = "hypercalls_total";
/* One status call into `report`; 0 on success. */
static int fetch_report(const struct tv_hypercall* hc, tv_u64 status_nr) {
  struct tv_regs r = {0, (tv_u64)(unsigned long)report, sizeof report, 0, 0, 0};
  tv_call(hc, status_nr, &r);
  return r.rax == 0 ? 0 : -1;
}
static struct snapshot take_snapshot(const struct tv_hypercall* hc, tv_u64 status_nr) {
  struct snapshot s = {-1, -1};
  if (fetch_report(hc, status_nr) != 0) return s;
  s.total = counter_in(report, total_key);
  s.unknown = counter_in(report, "hypercalls_unknown");
  return s;
}

/* --this-cpu: the VMM's index of the one CPU this process may run on, found
 * through its APIC ID (Linux's CPU numbers need not be the VMM's); -1 with
 * the reason on stderr. Uses `report` (a status report). */
static int this_vmm_cpu(const struct tv_hypercall* hc, tv_u64 status_nr) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) != 1) {
    fprintf(stderr, "hcfuzz: --this-cpu needs hcfuzz pinned to one CPU (taskset -c K)\n");
    return -1;
  }
  const int cpu = sched_getcpu();
  long apicid = -1, processor = -1;
  FILE* f = fopen("/proc/cpuinfo", "r");
  char line[512];
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    const char* colon = strchr(line, ':');
    if (colon == NULL) continue;
    if (strncmp(line, "processor", 9) == 0) processor = atol(colon + 1);
    if (strncmp(line, "apicid", 6) == 0 && processor == cpu) apicid = atol(colon + 1);
  }
  if (f != NULL) fclose(f);
  if (apicid < 0) {
    fprintf(stderr, "hcfuzz: no apicid for CPU %d in /proc/cpuinfo\n", cpu);
    return -1;
  }
  if (fetch_report(hc, status_nr) != 0) {
    fprintf(stderr, "hcfuzz: the status report failed\n");
    return -1;
  }
  const long cpus = counter_in(report, "cpus");
  for (long k = 0; k < cpus; ++k) {
    char key[64];
    snprintf(key, sizeof key, "cpu.%ld.apic_id", k);
    if (counter_in(report, key) != apicid) continue;
    printf("hcfuzz: on CPU %d (APIC ID %ld), the VMM's CPU %ld\n", cpu, apicid, k);
    snprintf(total_key, sizeof total_key, "cpu.%ld.hypercalls", k);
    return (int)k;
  }
  fprintf(stderr, "hcfuzz: the VMM's status report (cpus %ld) has no CPU with apic_id %ld\n", cpus, apicid);
  return -1;
}

static unsigned char* g_rw; /* two writable pages */
static unsigned char* g_ro; /* one read-only page, filled with a pattern */

/* An argument: random, a pointer somewhere useful, or a small size. */
static tv_u64 fuzz_arg(void) {
  tv_u64 r = next_random();
  switch (r & 7) {
    case 0: return (tv_u64)(unsigned long)(g_rw + (r >> 8) % 8192); /* own writable memory */
    case 1: return (tv_u64)(unsigned long)(g_ro + (r >> 8) % 4096); /* read-only page */
    case 2: return 0xffff888000000000ull + ((r >> 8) & 0x3ffff000); /* kernel direct map */
    case 3: return (r >> 8) & 0xF;                                  /* a small index */
    case 4: return (r & 0x100) ? 4096 : 64;                         /* a plausible size */
    default: return next_random();
  }
}

int main(int argc, char** argv) {
  const int this_cpu = argc > 1 && strcmp(argv[1], "--this-cpu") == 0;
  if (this_cpu) --argc, ++argv;
  long count = argc > 1 ? atol(argv[1]) : 100000;
  state = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
  if (state == 0) state = 1;
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0) {
    fprintf(stderr, "hcfuzz: not running under thinvisor\n");
    return 1;
  }
  if (this_cpu && this_vmm_cpu(&hc, tv_lookup(&hc, "status")) < 0) return 2;
  g_rw = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  g_ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (g_rw == MAP_FAILED || g_ro == MAP_FAILED) {
    perror("hcfuzz: mmap");
    return 2;
  }
  for (int i = 0; i < 4096; ++i) g_ro[i] = (unsigned char)(i * 7 + 3);
  if (mprotect(g_ro, 4096, PROT_READ) != 0) {
    perror("hcfuzz: mprotect");
    return 2;
  }
  tv_u64 status_nr = tv_lookup(&hc, "status");
  /* Skipped, for cost rather than safety: integrity hashes the whole VMM
   * image on every call. */
  tv_u64 skip_nr = tv_lookup(&hc, "integrity");
  /* Every registered service, however many there are (list_services answers
   * with the count), plus two numbers past the end. */
  static char name[64];
  struct tv_regs lr = {0, 0, (tv_u64)(unsigned long)name, sizeof name, 0, 0};
  tv_u64 list_nr = tv_lookup(&hc, "list_services");
  tv_call(&hc, list_nr, &lr);
  const tv_u64 services = (list_nr != 0 && lr.rax < 1000) ? lr.rax + 2 : 12;
  struct snapshot before = take_snapshot(&hc, status_nr);
  long made = 0;
  for (long i = 0; i < count; ++i) {
    tv_u64 pick = next_random();
    struct tv_regs r;
    /* Mostly real service numbers (to reach service code with garbage
     * arguments), sometimes anything at all. */
    tv_u64 number = (pick & 3) != 0 ? (pick >> 8) % services : next_random();
    r.rbx = fuzz_arg();
    r.rcx = fuzz_arg();
    r.rdx = fuzz_arg();
    r.rsi = fuzz_arg();
    r.rdi = fuzz_arg();
    if (number == skip_nr) continue;
    /* Alternate the AMD and Intel encodings now and then. */
    hc.insn = (pick & 0x700) == 0 ? TV_INSN_VMCALL : TV_INSN_VMMCALL;
    tv_call(&hc, number, &r);
    ++made;
  }
  hc.insn = TV_INSN_VMMCALL;
  struct snapshot after = take_snapshot(&hc, status_nr);
  /* The first status call counted itself before reporting; the second one
   * counts too: so the counter grew by the fuzz calls + 1. */
  long long expected = (long long)made + 1;
  printf("hcfuzz: calls=%ld counted=%lld expected=%lld unknown=%lld (%s)\n", made, after.total - before.total, expected,
         after.unknown - before.unknown, total_key);
  if (before.total < 0 || after.total - before.total != expected) {
    printf("hcfuzz: FAIL the VMM's hypercall counter does not match\n");
    return 1;
  }
  for (int i = 0; i < 4096; ++i) {
    if (g_ro[i] != (unsigned char)(i * 7 + 3)) {
      printf("hcfuzz: FAIL the read-only page changed at offset %d\n", i);
      return 1;
    }
  }
  int written = 0;
  for (int i = 0; i < 8192; ++i) written += g_rw[i] != 0;
  printf("hcfuzz: read-only page intact; %d bytes of the writable buffers were written by services\n", written);
  printf("hcfuzz: ok calls=%ld\n", made);
  return 0;
}
