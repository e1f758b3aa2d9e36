/* vmmcall: the guest's command-line window onto thinvisor's hypercall services.
 *
 *   vmmcall list                    services by number, with their caller policy
 *   vmmcall number NAME             the number of a service
 *   vmmcall call NAME [ARG...]      call it (ARGs go to RBX RCX RDX RSI RDI)
 *   vmmcall raw NUMBER [ARG...]     call by number, without a lookup
 *   vmmcall status                  the VMM's status report
 * Options (before the command): --vmcall uses Intel's VMCALL encoding,
 * --vmmcall AMD's; the default follows the CPU vendor.
 * Exit status: 0 ok, 1 unknown name / not under thinvisor, 2 usage,
 * 3 the call returned one of the TV_ERR_* values. */
#include "thinvisor/vmmcall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
  fprintf(stderr,
          "usage: vmmcall [--vmcall|--vmmcall] list | number NAME | call NAME [ARG...] | raw NUMBER [ARG...] | "
          "status\n");
  return 2;
}

static int parse_u64(const char* s, tv_u64* out) {
  char* end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (s[0] == '-') v = (unsigned long long)strtoll(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0') {
    fprintf(stderr, "vmmcall: '%s' is not a number\n", s);
    return -1;
  }
  *out = v;
  return 0;
}

static int print_result(const struct tv_regs* r) {
  printf("rax=0x%llx (%lld) rbx=0x%llx rcx=0x%llx rdx=0x%llx rsi=0x%llx rdi=0x%llx\n", (unsigned long long)r->rax,
         (long long)r->rax, (unsigned long long)r->rbx, (unsigned long long)r->rcx, (unsigned long long)r->rdx,
         (unsigned long long)r->rsi, (unsigned long long)r->rdi);
  const char* err = tv_strerror(r->rax);
  if (err != NULL) {
    fprintf(stderr, "vmmcall: the call failed: %s\n", err);
    return 3;
  }
  return 0;
}

static int call_number(const struct tv_hypercall* hc, tv_u64 number, int argc, char** argv) {
  struct tv_regs r = {0, 0, 0, 0, 0, 0};
  tv_u64* slots[5] = {&r.rbx, &r.rcx, &r.rdx, &r.rsi, &r.rdi};
  if (argc > 5) {
    fprintf(stderr, "vmmcall: at most 5 arguments (RBX RCX RDX RSI RDI)\n");
    return 2;
  }
  for (int i = 0; i < argc; ++i)
    if (parse_u64(argv[i], slots[i]) != 0) return 2;
  tv_call(hc, number, &r);
  return print_result(&r);
}

static tv_u64 lookup_or_complain(const struct tv_hypercall* hc, const char* name) {
  if (strlen(name) >= TV_MAX_NAME) {
    fprintf(stderr, "vmmcall: service name longer than %d bytes\n", TV_MAX_NAME - 1);
    return 0;
  }
  tv_u64 n = tv_lookup(hc, name);
  if (n == 0) fprintf(stderr, "vmmcall: no service named '%s' (try 'vmmcall list')\n", name);
  return n;
}

static int list(const struct tv_hypercall* hc) {
  char name[TV_MAX_NAME];
  tv_u64 count = 1;
  for (tv_u64 i = 0; i < count; ++i) {
    struct tv_regs r = {0, i, (tv_u64)(unsigned long)name, sizeof name, 0, 0};
    tv_call(hc, tv_lookup(hc, "list_services"), &r);
    if (tv_strerror(r.rax) != NULL) {
      fprintf(stderr, "vmmcall: list_services(%llu) failed: %s\n", (unsigned long long)i, tv_strerror(r.rax));
      return 3;
    }
    count = r.rax;
    printf("%3llu %-24s %s\n", (unsigned long long)i, name, r.rbx ? "kernel-only" : "any-mode");
  }
  return 0;
}

static int status(const struct tv_hypercall* hc) {
  static char buf[16384];
  tv_u64 n = lookup_or_complain(hc, "status");
  if (n == 0) return 1;
  struct tv_regs r = {0, (tv_u64)(unsigned long)buf, sizeof buf, 0, 0, 0};
  tv_call(hc, n, &r);
  if (r.rax != 0) {
    fprintf(stderr, "vmmcall: status failed: %s\n", tv_strerror(r.rax) ? tv_strerror(r.rax) : "?");
    return 3;
  }
  fputs(buf, stdout);
  return 0;
}

int main(int argc, char** argv) {
  struct tv_hypercall hc;
  if (tv_hypercall_init(&hc) != 0) {
    fprintf(stderr, "vmmcall: not running under thinvisor (no signature at CPUID 0x40000000)\n");
    return 1;
  }
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; ++i) {
    if (strcmp(argv[i], "--vmcall") == 0)
      hc.insn = TV_INSN_VMCALL;
    else if (strcmp(argv[i], "--vmmcall") == 0)
      hc.insn = TV_INSN_VMMCALL;
    else
      return usage();
  }
  if (i >= argc) return usage();
  const char* cmd = argv[i++];
  if (strcmp(cmd, "list") == 0 && i == argc) return list(&hc);
  if (strcmp(cmd, "status") == 0 && i == argc) return status(&hc);
  if (strcmp(cmd, "number") == 0 && i + 1 == argc) {
    tv_u64 n = lookup_or_complain(&hc, argv[i]);
    if (n == 0) return 1;
    printf("%llu\n", (unsigned long long)n);
    return 0;
  }
  if (strcmp(cmd, "call") == 0 && i < argc) {
    tv_u64 n = lookup_or_complain(&hc, argv[i]);
    if (n == 0) return 1;
    return call_number(&hc, n, argc - i - 1, argv + i + 1);
  }
  if (strcmp(cmd, "raw") == 0 && i < argc) {
    tv_u64 n;
    if (parse_u64(argv[i], &n) != 0) return 2;
    return call_number(&hc, n, argc - i - 1, argv + i + 1);
  }
  return usage();
}
