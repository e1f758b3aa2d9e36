/* cpuidloop: executes CPUID N times on the CPU it runs on, so a test can
 * count the VMM's CPUID exits per CPU (tests/system/smp_test.cpp pins it
 * with taskset -c K and reads cpu.K.exits.cpuid from the status report).
 *
 *   cpuidloop [N]     default 10000
 * Prints "cpuidloop: N cpuid on cpu C" (C from sched_getcpu(), before and
 * after: "on cpu A then B" if it moved, which a pinned run never does). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "thinvisor/vmmcall.h"

int main(int argc, char** argv) {
  const long n = argc > 1 ? atol(argv[1]) : 10000;
  if (n < 0) {
    fprintf(stderr, "usage: cpuidloop [N]\n");
    return 2;
  }
  const int first = sched_getcpu();
  tv_u32 r[4];
  for (long i = 0; i < n; ++i) tv_cpuid(0, r);
  const int last = sched_getcpu();
  if (first == last)
    printf("cpuidloop: %ld cpuid on cpu %d\n", n, first);
  else
    printf("cpuidloop: %ld cpuid on cpu %d then %d\n", n, first, last);
  return 0;
}
