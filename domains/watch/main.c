/* watch ADDR [x|w|rw] [LEN]: a VMM watchpoint on a guest virtual address; each
 * hit is logged with the guest RIP and the value (docs/debug-registers.md). */
#include "domain.h"

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)arg;
  exitprocess(0); /* one command per instance */
  return watch_request(0, type == MSG_BUF && n > 0 ? (const char*)bufs[0].base : 0);
}
