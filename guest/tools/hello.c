/* hello: the seed's example, in thinvisor's API (docs/tutorial-add-a-vmmcall.md).
 * Looks up the VMM's "hello" service by name and calls it with one argument;
 * the VMM logs "arg1 = <argument>" and returns 10. */
#include <stdio.h>
#include <stdlib.h>

#include "thinvisor/vmmcall.h"

int main(int argc, char** argv) {
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0) {
    fprintf(stderr, "hello: not running under thinvisor\n");
    return 1;
  }
  tv_u64 number = tv_lookup(&hc, "hello"); /* 0: no such service */
  if (number == 0) {
    fprintf(stderr, "vmmcall \"hello\" failed\n");
    return 1;
  }
  struct tv_regs r = {0, 0, 0, 0, 0, 0};
  r.rbx = argc > 1 ? strtoull(argv[1], NULL, 0) : 0; /* first argument */
  tv_call(&hc, number, &r);
  printf("hello returned %llu\n", (unsigned long long)r.rax);
  return r.rax == 10 ? 0 : 1;
}
