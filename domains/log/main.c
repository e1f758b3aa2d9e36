/* log: prints the VMM's log ring, a debug-shell command (docs/dbgsh.md).
 * Without arguments it prints all the log service returns; `log N` prints
 * only the last N bytes of that. Paging is left to the terminal. */
#include "domain.h"

static char text[64 * 1024];

/* The only code that knows the log service's read protocol (docs/domains.md,
 * "Reading the VMM log"): a buffer message with value 1 copies from the
 * oldest kept byte into rw buffer 0 and returns the byte count; an int
 * message with value 1 answers the bytes lost to wrap-around. */
static long read_log(char* buf, unsigned long cap, long* lost) {
  int d = msgopen("log");
  if (d < 0) return d;
  struct msg_reply l = msgsendint(d, 1);
  *lost = l.error != 0 ? 0 : l.value;
  struct msgbuf b = {(unsigned long)buf, cap, 1};
  struct msg_reply r = msgsendbuf(d, 1, &b, 1);
  msgclose(d);
  return r.error != 0 ? -r.error : r.value;
}

/* The shell passes the rest of its line as a read-only buffer message. */
static long tail_bytes(int type, struct msgbuf* bufs, int n) {
  if (type != MSG_BUF || n < 1) return 0;
  char arg[24];
  unsigned long len = bufs[0].len < sizeof arg - 1 ? bufs[0].len : sizeof arg - 1;
  memcpy(arg, (const void*)bufs[0].base, len);
  arg[len] = '\0';
  return strtol(arg, NULL, 10);
}

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)arg;
  exitprocess(0); /* one run per instance */
  long lost = 0;
  long len = read_log(text, sizeof text, &lost);
  if (len < 0) return printf("log: cannot read the log: %s\n", msgerror_string((int)len)), 1;
  if (lost > 0) printf("log: %ld older bytes were lost to wrap-around\n", lost);
  long tail = tail_bytes(type, bufs, n);
  long from = tail > 0 && tail < len ? len - tail : 0;
  return write_out(text + from, (unsigned long)(len - from)) != 0;
}
