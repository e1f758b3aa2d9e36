/* hcfuzz: hammers the hypercall interface from user mode with random service
 * numbers and random register contents, then checks that the VMM accounted for
 * every call (its status report counts hypercalls).
 *
 *   hcfuzz [COUNT [SEED]]     default 100000 calls, seed 1
 * Prints "hcfuzz: ok calls=N" and exits 0 when the VMM's counter grew by
 * exactly COUNT (+ the status calls themselves); exits 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static struct snapshot take_snapshot(const struct tv_hypercall* hc, tv_u64 status_nr) {
  static char buf[16384];
  struct snapshot s = {-1, -1};
  struct tv_regs r = {0, (tv_u64)(unsigned long)buf, sizeof buf, 0, 0, 0};
  tv_call(hc, status_nr, &r);
  if (r.rax != 0) return s;
  s.total = counter_in(buf, "hypercalls_total");
  s.unknown = counter_in(buf, "hypercalls_unknown");
  return s;
}

int main(int argc, char** argv) {
  long count = argc > 1 ? atol(argv[1]) : 100000;
  state = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
  if (state == 0) state = 1;
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0) {
    fprintf(stderr, "hcfuzz: not running under thinvisor\n");
    return 1;
  }
  tv_u64 status_nr = tv_lookup(&hc, "status");
  /* Skipped, for cost rather than safety: status (used for the accounting
   * itself) and integrity (hashes the whole VMM image on every call). */
  tv_u64 skip_nr = tv_lookup(&hc, "integrity");
  struct snapshot before = take_snapshot(&hc, status_nr);
  long made = 0;
  for (long i = 0; i < count; ++i) {
    tv_u64 pick = next_random();
    struct tv_regs r;
    /* Mostly real service numbers (to reach service code with garbage
     * arguments), sometimes anything at all. */
    tv_u64 number = (pick & 3) != 0 ? (pick >> 8) % 12 : next_random();
    r.rbx = next_random();
    r.rcx = next_random();
    r.rdx = next_random();
    r.rsi = next_random();
    r.rdi = next_random();
    if ((pick & 0x30) == 0) r.rcx &= 0xFFF; /* small sizes too */
    if (number == status_nr || number == skip_nr) continue;
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
  printf("hcfuzz: calls=%ld counted=%lld expected=%lld unknown=%lld\n", made, after.total - before.total, expected,
         after.unknown - before.unknown);
  if (before.total < 0 || after.total - before.total != expected) {
    printf("hcfuzz: FAIL the VMM's hypercall counter does not match\n");
    return 1;
  }
  printf("hcfuzz: ok calls=%ld\n", made);
  return 0;
}
