/* The VMM's `watch` service for the watch/unwatch commands (docs/debug-registers.md). */
#include "domain.h"

long watch_request(int release, const char* args) {
  if (args == 0 || args[0] == '\0') {
    puts(release ? "usage: unwatch SLOT" : "usage: watch ADDR [x|w|rw] [LEN]");
    return 1;
  }
  int d = msgopen("watch");
  if (d < 0) return printf("watch: %s\n", msgerror_string(d)), 1;
  char answer[160] = {0};
  struct msgbuf b[2] = {{(unsigned long)args, strlen(args) + 1, 0}, {(unsigned long)answer, sizeof answer, 1}};
  struct msg_reply r = msgsendbuf(d, release, b, 2);
  msgclose(d);
  if (r.error != 0) return printf("watch: %s\n", msgerror_string(r.error)), 1;
  puts(answer);
  return r.value < 0;
}
