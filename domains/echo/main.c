/* echo: the simplest domain. An int message returns its value; a buffer
 * message returns the sum of buffer 0's bytes and, if buffer 0 is
 * read-write, adds 1 to each of its bytes, so the sender can see that the
 * callee wrote into its memory (mapped, not copied). */
#include "domain.h"

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  if (type == MSG_INT) return arg;
  if (n < 1) return 0;
  unsigned char* p = (unsigned char*)bufs[0].base;
  long sum = 0;
  for (unsigned long i = 0; i < bufs[0].len; ++i) {
    sum += p[i];
    if (bufs[0].rw) p[i] = (unsigned char)(p[i] + 1);
  }
  return sum;
}
