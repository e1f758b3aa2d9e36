/* exits: VM exits by reason (the vmminfo "exits" report), a debug-shell command (docs/dbgsh.md). */
#include "domain.h"

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)type, (void)arg, (void)bufs, (void)n; /* takes no arguments */
  return command_report(VMMINFO_EXITS);
}
