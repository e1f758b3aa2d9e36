/* hcbench: guest-measured cost of one exit, in TSC ticks (under QEMU
 * -icount shift=0 these are emulated instructions, so the figures are exact).
 *
 *   hcbench [ITERATIONS]     default 2000
 * Prints one line per figure: "hcbench: <name> <ticks-per-call>" for the
 * empty loop baseline, a null hypercall (service 'nop'), a CPUID exit, and a
 * hypercall with a service number the VMM does not know
 * (HCBENCH_UNKNOWN_SERVICE; the VMM answers TV_ERR_UNKNOWN_SERVICE, checked
 * before and after the timed loop, so the figure cannot silently measure a
 * real service: hcbench exits 1 instead). */
#include <stdio.h>
#include <stdlib.h>

#include "thinvisor/vmmcall.h"

/* No service has this number: the VMM's table is small and dense from 0. It
 * fits in 32 bits, so it is the same number from 32-bit code. */
#define HCBENCH_UNKNOWN_SERVICE 0x7FFFFFFFu

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
  struct tv_regs u = {0, 0, 0, 0, 0, 0};
  tv_call(&hc, HCBENCH_UNKNOWN_SERVICE, &u);
  if (u.rax != TV_ERR_UNKNOWN_SERVICE) {
    fprintf(stderr, "hcbench: service number %#x is not unknown to the VMM (rax %#llx, want %#llx)\n",
            HCBENCH_UNKNOWN_SERVICE, (unsigned long long)u.rax, (unsigned long long)TV_ERR_UNKNOWN_SERVICE);
    return 1;
  }
  tv_u32 c[4];
  tv_u64 t0 = rdtsc();
  for (long i = 0; i < n; ++i) __asm__ __volatile__("" ::: "memory");
  tv_u64 t1 = rdtsc();
  for (long i = 0; i < n; ++i) tv_call(&hc, nop, &r);
  tv_u64 t2 = rdtsc();
  for (long i = 0; i < n; ++i) tv_cpuid(0, c);
  tv_u64 t3 = rdtsc();
  for (long i = 0; i < n; ++i) tv_call(&hc, HCBENCH_UNKNOWN_SERVICE, &u);
  tv_u64 t4 = rdtsc();
  if (u.rax != TV_ERR_UNKNOWN_SERVICE) { /* the last call of the timed loop */
    fprintf(stderr, "hcbench: unknown service %#x returned rax %#llx in the timed loop, want %#llx\n",
            HCBENCH_UNKNOWN_SERVICE, (unsigned long long)u.rax, (unsigned long long)TV_ERR_UNKNOWN_SERVICE);
    return 1;
  }
  printf("hcbench: loop %llu\n", (unsigned long long)((t1 - t0) / n));
  printf("hcbench: hypercall %llu\n", (unsigned long long)((t2 - t1) / n));
  printf("hcbench: cpuid %llu\n", (unsigned long long)((t3 - t2) / n));
  printf("hcbench: unknown %llu\n", (unsigned long long)((t4 - t3) / n));
  return 0;
}
