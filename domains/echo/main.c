/* echo: the simplest domain. An int message returns its value (the value
 * ECHO_EXIT ends this instance after the reply). A buffer message returns
 * the sum of buffer 0's bytes and, if buffer 0 is read-write, adds 1 to each
 * of its bytes, so the sender can see that the callee wrote into its memory
 * (mapped, not copied). With value ECHO_TOUCH it reads only the first and
 * last byte (the msgsendbuf benchmark measures mapping, not the loop). */
#include "domain.h"

#define ECHO_EXIT (-1000) /* dom::kEchoExit in vmm/domain/selftest.hpp */
#define ECHO_TOUCH 1      /* dom::kEchoTouchOnly */

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  if (type == MSG_INT) {
    if (arg != ECHO_EXIT) return arg;
    exitprocess(0);
    return 0;
  }
  if (n < 1) return 0;
  unsigned char* p = (unsigned char*)bufs[0].base;
  if (arg == ECHO_TOUCH) return p[0] + p[bufs[0].len - 1];
  long sum = 0;
  for (unsigned long i = 0; i < bufs[0].len; ++i) {
    sum += p[i];
    if (bufs[0].rw) p[i] = (unsigned char)(p[i] + 1);
  }
  return sum;
}
