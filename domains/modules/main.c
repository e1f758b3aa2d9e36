/* modules: the guest's kernel modules as the VMM's detectors saw them (the
 * vmminfo "modules" report), a debug-shell command (docs/module-watch.md). */
#include "domain.h"

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)type, (void)arg, (void)bufs, (void)n; /* takes no arguments */
  return command_report(VMMINFO_MODULES);
}
