/* watches: the four debug-register slots, the guest's and the VMM's (the
 * vmminfo "watches" report), a debug-shell command (docs/debug-registers.md). */
#include "domain.h"

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)type, (void)arg, (void)bufs, (void)n; /* takes no arguments */
  return command_report(VMMINFO_WATCHES);
}
