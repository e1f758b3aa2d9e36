/* hcbench: guest-measured cost of one exit, in TSC ticks (under QEMU
 * -icount shift=0 these are emulated instructions, so the figures are exact).
 *
 *   hcbench [ITERATIONS]     default 2000
 * Prints one line per figure: "hcbench: <name> <ticks-per-call>" for a null
 * hypercall (the 'hello'-free service get_vmmcall_number with an unknown-free
 * path: service 'nop'), a CPUID exit, and the empty loop baseline. */
#include <stdio.h>
#include <stdlib.h>

#include "thinvisor/vmmcall.h"

static inline tv_u64 rdtsc(void) {
  tv_u32 lo, hi;
  __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi));
  return ((tv_u64)hi << 32) | lo;
}

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000;
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0) {
    fprintf(stderr, "hcbench: not running under thinvisor\n");
    return 1;
  }
  tv_u64 nop = tv_lookup(&hc, "nop");
  if (nop == 0) {
    fprintf(stderr, "hcbench: the VMM has no 'nop' service\n");
    return 1;
  }
  struct tv_regs r = {0, 0, 0, 0, 0, 0};
  tv_u32 c[4];
  tv_u64 t0 = rdtsc();
  for (long i = 0; i < n; ++i) __asm__ __volatile__("" ::: "memory");
  tv_u64 t1 = rdtsc();
  for (long i = 0; i < n; ++i) tv_call(&hc, nop, &r);
  tv_u64 t2 = rdtsc();
  for (long i = 0; i < n; ++i) tv_cpuid(0, c);
  tv_u64 t3 = rdtsc();
  printf("hcbench: loop %llu\n", (unsigned long long)((t1 - t0) / n));
  printf("hcbench: hypercall %llu\n", (unsigned long long)((t2 - t1) / n));
  printf("hcbench: cpuid %llu\n", (unsigned long long)((t3 - t2) / n));
  return 0;
}
