/* sender: BitVisor's sendexample. Opens "recvex" (registered by receiver)
 * and sends it an int message and a buffer message with one read-write and
 * one read-only buffer. Returns 0 if both answers and the rewritten buffer
 * are what recvex promises, else the number of the step that failed. */
#include "domain.h"

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)type, (void)arg, (void)bufs, (void)n;
  int d = msgopen("recvex");
  if (d < 0) {
    printf("sender: msgopen(recvex): %s\n", msgerror_string(d));
    return 1;
  }
  long step = 0;
  struct msg_reply r = msgsendint(d, 0x12345678);
  printf("sender: int reply %lx (%s)\n", r.value, msgerror_string(r.error));
  if (r.error != 0 || r.value != 0x12345679) step = 2;

  char text[64] = "hello recvex";
  static const char ro[] = "read-only";
  struct msgbuf b[2] = {{(unsigned long)text, sizeof(text), 1}, {(unsigned long)ro, sizeof(ro), 0}};
  r = msgsendbuf(d, 42, b, 2);
  printf("sender: buf reply %ld (%s), buffer 0 now \"%s\"\n", r.value, msgerror_string(r.error), text);
  if (step == 0 && (r.error != 0 || r.value != (long)(sizeof(text) + sizeof(ro)))) step = 3;
  if (step == 0 && strcmp(text, "hello from recvex") != 0) step = 4;

  int c = msgclose(d);
  if (step == 0 && c != 0) step = 5;
  return step;
}
