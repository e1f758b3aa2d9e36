/* unwatch SLOT: releases a VMM watchpoint (docs/debug-registers.md). */
#include "domain.h"

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)arg;
  exitprocess(0); /* one command per instance */
  return watch_request(1, type == MSG_BUF && n > 0 ? (const char*)bufs[0].base : 0);
}
