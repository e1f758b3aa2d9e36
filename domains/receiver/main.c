/* receiver: BitVisor's recvexample. Its first message registers the handler
 * "recvex"; sender (sender/main.c) then opens that name and calls it.
 * recvex answers an int message with value + 1, and a buffer message with
 * the total length of its buffers after printing them and writing a reply
 * into buffer 0 if it is read-write. */
#include "domain.h"

static const char kReply[] = "hello from recvex";

static long recvex(int type, long arg, struct msgbuf* bufs, int n) {
  printf("recvex: type=%d arg=%ld bufs=%d\n", type, arg, n);
  if (type == MSG_INT) return arg + 1;
  long total = 0;
  for (int i = 0; i < n; ++i) {
    int shown = bufs[i].len < 32 ? (int)bufs[i].len : 32;
    printf("recvex:  buf[%d] len=%lu %s \"%.*s\"\n", i, bufs[i].len, bufs[i].rw ? "rw" : "ro", shown,
           (const char*)bufs[i].base);
    total += (long)bufs[i].len;
  }
  if (n > 0 && bufs[0].rw) snprintf((char*)bufs[0].base, bufs[0].len, "%s", kReply);
  return total;
}

static int registered = -1;

/* Returns the recvex descriptor (>= 0), or the negated error of msgregister. */
long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)type, (void)arg, (void)bufs, (void)n;
  if (registered < 0) {
    registered = msgregister("recvex", recvex);
    if (registered < 0)
      printf("receiver: msgregister(recvex): %s\n", msgerror_string(registered));
    else
      printf("receiver: recvex registered as descriptor %d\n", registered);
  }
  return registered;
}
