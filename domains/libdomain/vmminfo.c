/* Reading the VMM's vmminfo reports (docs/domains.md) and printing them: the
 * whole of the tool programs exits, domains, status, mem, regs, services. */
#include "domain.h"

long vmminfo_read(int report, char* buf, unsigned long cap) {
  int d = msgopen("vmminfo");
  if (d < 0) return d;
  struct msgbuf b = {(unsigned long)buf, cap, 1};
  struct msg_reply r = msgsendbuf(d, report, &b, 1);
  msgclose(d);
  return r.error != 0 ? -r.error : r.value;
}

/* Slack over the size the VMM quotes: counters may grow between the calls. */
#define REPORT_SLACK 512

int vmminfo_print(int report) {
  int d = msgopen("vmminfo");
  if (d < 0) return printf("vmminfo: %s\n", msgerror_string(d)), 1;
  struct msg_reply need = msgsendint(d, report);
  msgclose(d);
  if (need.error != 0 || need.value < 0) return printf("vmminfo: no report %d\n", report), 1;
  unsigned long cap = (unsigned long)need.value + REPORT_SLACK;
  char* buf = alloc(cap);
  if (buf == NULL) return printf("vmminfo: %lu bytes do not fit the heap\n", cap), 1;
  long len = vmminfo_read(report, buf, cap);
  int failed = len < 0 || write_out(buf, (unsigned long)len) != 0;
  if (len < 0) printf("vmminfo: report %d failed (%ld)\n", report, len);
  free(buf);
  return failed;
}

long command_report(int report) {
  exitprocess(0); /* one report per instance: the shell does not reuse it */
  return vmminfo_print(report);
}
