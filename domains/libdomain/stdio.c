/* Console output and input over descriptors 1 and 0 (domain.h). */
#include "domain.h"

#define STDIN 0
#define STDOUT 1

/* printf collects output here and sends it as one buffer message per 256
 * bytes: one message per call instead of one per character. */
struct out_sink {
  char buf[256];
  int len;
  int failed;
};

static void flush(struct out_sink* o) {
  if (o->len == 0) return;
  struct msgbuf b = {(unsigned long)o->buf, (unsigned long)o->len, 0};
  if (msgsendbuf(STDOUT, 0, &b, 1).error != 0) o->failed = 1;
  o->len = 0;
}

static void to_console(void* ctx, char c) {
  struct out_sink* o = ctx;
  if (o->len == (int)sizeof(o->buf)) flush(o);
  o->buf[o->len++] = c;
}

int printf(const char* fmt, ...) {
  struct out_sink o;
  o.len = 0;
  o.failed = 0;
  va_list ap;
  va_start(ap, fmt);
  int n = dom_format(to_console, &o, fmt, ap);
  va_end(ap);
  flush(&o);
  return o.failed ? -1 : n;
}

int vsnprintf(char* out, size_t cap, const char* fmt, va_list ap) {
  return dom_vsnprintf(out, cap, fmt, ap);
}

int snprintf(char* out, size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = dom_vsnprintf(out, cap, fmt, ap);
  va_end(ap);
  return n;
}

int write_out(const char* text, unsigned long len) {
  if (len == 0) return 0;
  struct msgbuf b = {(unsigned long)text, len, 0};
  struct msg_reply r = msgsendbuf(STDOUT, 0, &b, 1);
  return r.error != 0 || r.value < 0 ? -1 : 0;
}

int putchar(int c) {
  return msgsendint(STDOUT, (unsigned char)c).error == 0 ? (unsigned char)c : -1;
}

int puts(const char* s) {
  return printf("%s\n", s) < 0 ? -1 : 0;
}

int lineinput(char* buf, int len) {
  return lineinput_history(buf, len, NULL);
}

int lineinput_history(char* buf, int len, struct dom_history* hist) {
  if (buf == NULL || len < 1) return -1;
  struct dom_line line = {buf, len, 0, hist, 0};
  struct dom_line_echo echo;
  for (;;) {
    struct msg_reply key = msgsendint(STDIN, 0);
    if (key.error != 0 || key.value < 0) {
      buf[line.len] = '\0';
      return -1;
    }
    int done = dom_line_feed(&line, (int)key.value, &echo);
    for (int i = 0; i < echo.erase; ++i) printf("\b \b");
    if (echo.len > 0) printf("%.*s", echo.len, echo.text);
    if (done) return line.len;
  }
}
