/* help: lists the embedded programs, which are the debug shell's commands
 * (docs/dbgsh.md), each with one line. The list comes from the VMM (the
 * vmminfo "programs" report), so a new program shows up by itself; its line
 * of description is the table below. */
#include "domain.h"

struct about {
  const char* name;
  const char* line;
};

static const struct about kAbout[] = {
    {"shell", "the debug shell (help, exit; Up/Down or ^P/^N: history)"},
    {"help", "this list"},
    {"log", "the VMM log ring (log N: its last N bytes; log -f: follow)"},
    {"exits", "VM exits by reason"},
    {"domains", "running domain instances, their calls and descriptors"},
    {"status", "what the status hypercall reports"},
    {"mem", "VMM memory: reservation, page pool total and free"},
    {"regs", "the guest's registers at its last VM exit (read-only)"},
    {"services", "the hypercall registry: number, name, policy, calls"},
    {"watch", "watch ADDR [x|w|rw] [LEN]: a VMM watchpoint, hits logged"},
    {"unwatch", "unwatch SLOT: release a VMM watchpoint"},
    {"watches", "the debug-register slots: guest's, VMM's, free"},
    {"modules", "guest kernel modules: name, base, size, state, seen by, when"},
    {"echo", "test program: returns its message"},
    {"faulty", "test program: faults on request (crashes as a command)"},
    {"sender", "test program: messages the receiver"},
    {"receiver", "test program: registers a name"},
    {"spawner", "test program: nested newprocess"},
    {"selftest", "test program: libdomain checks"},
};

static const char* about(const char* name) {
  for (unsigned long i = 0; i < sizeof kAbout / sizeof kAbout[0]; ++i)
    if (strcmp(kAbout[i].name, name) == 0) return kAbout[i].line;
  return "";
}

static char names[4096];

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)type, (void)arg, (void)bufs, (void)n;
  exitprocess(0);
  long len = vmminfo_read(VMMINFO_PROGRAMS, names, sizeof names);
  if (len < 0) return printf("help: no program list (%ld)\n", len), 1;
  printf("commands (embedded programs):\n");
  for (char* p = names; *p != '\0';) {
    char* end = p;
    while (*end != '\n' && *end != '\0') ++end;
    int last = *end == '\0';
    *end = '\0';
    printf("  %-10s %s\n", p, about(p));
    p = last ? end : end + 1;
  }
  return 0;
}
