/* log: prints the VMM's log ring, a debug-shell command (docs/dbgsh.md).
 *
 *   log       all of the ring, oldest first
 *   log N     only its last N bytes
 *   log -f    follow: the last screenful, then new text as the VMM logs it,
 *             until a key is typed (or input ends)
 *
 * Scripted sessions get everything at once. An interactive one (the shell
 * passes DOM_TTY_INTERACTIVE in the message's value: the dbgsh client said a
 * person types at a terminal) gets a screenful at a time and the prompt
 * "--More-- (space: next page, q: quit)"; Enter shows one more line, q,
 * Ctrl-C or the end of input stop. Following never pages. */
#include "domain.h"

#define PAGE_LINES 23
#define CTRL_C 0x03

static char chunk[4096];

/* The log service's read protocol (docs/domains.md, "Reading the VMM log"):
 * int message 1 = the oldest retained stream offset (= bytes lost to
 * wrap-around), any other int = the end offset; buffer message 2 + off copies
 * from stream offset off into rw buffer 0 and returns the bytes copied, or -1
 * if off was overwritten meanwhile. */
struct log_reader {
  int d;
  long off; /* the next byte to read */
};

static long log_query(const struct log_reader* r, long v) {
  struct msg_reply m = msgsendint(r->d, v);
  return m.error != 0 ? -1 : m.value;
}
static long log_oldest(const struct log_reader* r) {
  return log_query(r, 1);
}
static long log_end(const struct log_reader* r) {
  return log_query(r, 0);
}

/* Up to sizeof chunk bytes from r->off (not beyond end): their count, 0 at
 * the end, < 0 if the service failed. Bytes overwritten before they could be
 * read are skipped, and said so. */
static long log_read(struct log_reader* r, long end) {
  for (;;) {
    if (r->off >= end) return 0;
    unsigned long want = (unsigned long)(end - r->off) < sizeof chunk ? (unsigned long)(end - r->off) : sizeof chunk;
    struct msgbuf b = {(unsigned long)chunk, want, 1};
    struct msg_reply m = msgsendbuf(r->d, 2 + r->off, &b, 1);
    if (m.error != 0) return -m.error;
    if (m.value >= 0) return r->off += m.value, m.value;
    long oldest = log_oldest(r);
    if (oldest < 0 || oldest <= r->off) return -1; /* not overwritten: a real failure */
    printf("\nlog: %ld bytes were overwritten while being read\n", oldest - r->off);
    r->off = oldest;
  }
}

/* --- output: all at once, or a page at a time --------------------------- */

struct pager {
  int paging;
  int left; /* lines before the next prompt */
  int quit;
};

static int read_key(void) {
  struct msg_reply k = msgsendint(0, DOM_TTY_READ);
  return k.error != 0 ? -1 : (int)k.value;
}

/* Asks for more; sets how many lines may follow, or quit. */
static void more(struct pager* pg) {
  static const char prompt[] = "--More-- (space: next page, q: quit)";
  static const char erase[] = "\r                                    \r";
  write_out(prompt, sizeof prompt - 1);
  int key = read_key();
  write_out(erase, sizeof erase - 1);
  if (key < 0 || key == 'q' || key == 'Q' || key == CTRL_C)
    pg->quit = 1;
  else if (key == '\n' || key == '\r')
    pg->left = 1;
  else
    pg->left = PAGE_LINES;
}

/* Writes text[0..n), prompting each time a page is full and more follows. */
static int show(struct pager* pg, const char* text, long n) {
  if (!pg->paging) return write_out(text, (unsigned long)n);
  long done = 0;
  while (done < n && !pg->quit) {
    if (pg->left == 0) {
      more(pg);
      continue;
    }
    long i = done;
    while (i < n && pg->left > 0)
      if (text[i++] == '\n') pg->left--;
    if (write_out(text + done, (unsigned long)(i - done)) != 0) return -1;
    done = i;
  }
  return 0;
}

static int print_range(struct log_reader* r, long end, struct pager* pg) {
  for (;;) {
    long n = log_read(r, end);
    if (n < 0) {
      printf("log: cannot read the log at offset %ld\n", r->off);
      return 1;
    }
    if (n == 0 || show(pg, chunk, n) != 0 || pg->quit) return 0;
  }
}

/* --- follow ----------------------------------------------------------------- */

/* The offset of the last PAGE_LINES lines before end (a line boundary). */
static long tail_start(struct log_reader* r, long oldest, long end) {
  r->off = end - (long)sizeof chunk > oldest ? end - (long)sizeof chunk : oldest;
  long from = r->off;
  long n = log_read(r, end);
  if (n <= 0) return end;
  int lines = 0;
  for (long i = n - 1; i > 0; --i)
    if (chunk[i - 1] == '\n' && ++lines == PAGE_LINES) return from + i;
  if (from == oldest) return oldest;
  for (long i = 0; i < n; ++i) /* a partial first line: start after it */
    if (chunk[i] == '\n') return from + i + 1;
  return end;
}

/* Prints what the VMM logs until a key comes: each round lets the guest run
 * once (DOM_TTY_POLL), so following never holds the guest up. */
static int follow(struct log_reader* r, long oldest, long end) {
  struct pager all = {0, 0, 0};
  printf("log: following; any key ends\n");
  r->off = tail_start(r, oldest, end);
  for (;;) {
    long now = log_end(r);
    if (now < 0) {
      printf("log: cannot read the log\n");
      return 1;
    }
    if (print_range(r, now, &all) != 0) return 1;
    struct msg_reply k = msgsendint(0, DOM_TTY_POLL);
    if (k.error != 0 || k.value != DOM_TTY_NO_KEY) return 0; /* a key, the end of input, or a failure */
  }
}

/* --- arguments ---------------------------------------------------------------- */

struct args {
  int follow;
  long tail; /* 0: all */
  int bad;
};

/* The shell passes the rest of its line as a read-only buffer message. */
static struct args parse_args(int type, struct msgbuf* bufs, int n) {
  struct args a = {0, 0, 0};
  if (type != MSG_BUF || n < 1) return a;
  char line[64];
  unsigned long len = bufs[0].len < sizeof line - 1 ? bufs[0].len : sizeof line - 1;
  memcpy(line, (const void*)bufs[0].base, len);
  line[len] = '\0';
  char* p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t') ++p;
    if (*p == '\0') return a;
    char* end = p;
    if (p[0] == '-' && p[1] == 'f' && (p[2] == '\0' || p[2] == ' ' || p[2] == '\t')) {
      a.follow = 1;
      end = p + 2;
    } else {
      a.tail = strtol(p, &end, 10);
      if (end == p || a.tail < 0 || (*end != '\0' && *end != ' ' && *end != '\t')) {
        a.bad = 1;
        return a;
      }
    }
    p = end;
  }
}

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  exitprocess(0); /* one run per instance */
  struct args a = parse_args(type, bufs, n);
  if (a.bad) {
    printf("usage: log [-f] [N]   (N: only the last N bytes)\n");
    return 2;
  }
  struct log_reader r = {msgopen("log"), 0};
  if (r.d < 0) {
    printf("log: cannot open the log service: %s\n", msgerror_string(r.d));
    return 1;
  }
  long oldest = log_oldest(&r), end = log_end(&r); /* stop at end: what we print may be logged too */
  int status = 0;
  if (oldest < 0 || end < 0) {
    printf("log: cannot read the log\n");
    status = 1;
  } else if (a.follow) {
    status = follow(&r, oldest, end);
  } else {
    r.off = a.tail > 0 && a.tail < end - oldest ? end - a.tail : oldest;
    if (r.off == oldest && oldest > 0) printf("log: %ld older bytes were lost to wrap-around\n", oldest);
    struct pager pg = {type == MSG_BUF && (arg & DOM_TTY_INTERACTIVE) != 0, PAGE_LINES, 0};
    if (r.off == oldest && oldest > 0) pg.left--;
    status = print_range(&r, end, &pg);
  }
  msgclose(r.d);
  return status;
}
