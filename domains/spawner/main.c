/* spawner: nested creation. A message with value n > 0 creates another
 * spawner, sends it n - 1 and returns its answer + 1, so msgsendint(s, n)
 * returns n after n nested creations. If creating or calling the child
 * fails, it returns the negated error code, passed up unchanged.
 * Each instance is one-shot: it calls exitprocess, so a create/send loop
 * from the VMM leaves no instance behind. */
#include "domain.h"

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)bufs, (void)n;
  exitprocess(0); /* takes effect when this message returns */
  if (type != MSG_INT || arg <= 0) return 0;
  int child = newprocess("spawner");
  if (child < 0) return child;
  struct msg_reply r = msgsendint(child, arg - 1);
  msgclose(child);
  if (r.error != 0) return -r.error;
  return r.value < 0 ? r.value : r.value + 1;
}
