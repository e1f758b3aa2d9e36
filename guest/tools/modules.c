/* modules: the guest's kernel modules as thinvisor's module watch recorded
 * them, through the list_modules hypercall (any mode; docs/module-watch.md).
 *
 *   modules           one line per table entry:
 *                     NAME BASE SIZE STATE SEEN-BY FIRST_TSC LAST_TSC [mismatch]
 *   modules NAME      only NAME's line (exit status 1 if the table has none)
 *
 * Exit status: 0 ok, 1 not under thinvisor / no service / NAME not found,
 * 2 usage, 3 a call failed. */
#include <stdio.h>
#include <string.h>

#include "thinvisor/modwatch.h"

static const char* state_name(unsigned s) {
  static const char* const names[] = {"?", "coming", "live", "unloaded", "failed"};
  return s < 5 ? names[s] : "?";
}

static const char* seen_by(unsigned mask) {
  static const char* const names[] = {"-", "agent", "agentless", "agent+agentless"};
  return names[mask & 3];
}

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    fprintf(stderr, "usage: modules [NAME]\n");
    return 2;
  }
  const char* only = argc == 2 ? argv[1] : NULL;
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0) {
    fprintf(stderr, "modules: not running under thinvisor\n");
    return 1;
  }
  tv_u64 n = tv_lookup(&hc, "list_modules");
  if (n == 0) {
    fprintf(stderr, "modules: the VMM has no list_modules service\n");
    return 1;
  }
  int found = 0;
  for (tv_u64 i = 0;; ++i) {
    char name[TV_MOD_NAME_BYTES];
    struct tv_regs r = {0, i, (tv_u64)(unsigned long)name, sizeof name, 0, 0};
    tv_call(&hc, n, &r);
    if (r.rax == TV_ERR_BAD_ARGUMENT) break; /* past the last entry */
    if (tv_strerror(r.rax) != NULL) {
      fprintf(stderr, "modules: list_modules(%llu) failed: %s\n", (unsigned long long)i, tv_strerror(r.rax));
      return 3;
    }
    name[sizeof name - 1] = '\0';
    if (i == 0 && only == NULL) printf("name base size state seen-by first_tsc last_tsc\n");
    if (only != NULL && strcmp(only, name) != 0) continue;
    found = 1;
    printf("%s 0x%016llx %llu %s %s %llu %llu%s\n", name, (unsigned long long)r.rbx, (unsigned long long)r.rcx,
           state_name((unsigned)(r.rdx & 0xff)), seen_by((unsigned)(r.rdx >> 8)), (unsigned long long)r.rsi,
           (unsigned long long)r.rdi, (r.rdx >> 16) & 1 ? " mismatch" : "");
  }
  if (only != NULL && !found) {
    fprintf(stderr, "modules: %s is not in the table\n", only);
    return 1;
  }
  return 0;
}
