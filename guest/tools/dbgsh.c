/* dbgsh: the guest's client for the VMM's debug shell (docs/dbgsh.md).
 *
 *   dbgsh                 interactive when stdin is a terminal (raw mode);
 *                         Ctrl-D on an empty line or "exit" ends the session
 *   dbgsh -c 'CMD'        runs CMD, then "exit"
 *   printf 'log\nexit\n' | dbgsh
 *                         types stdin; at its end types "exit" if still asked
 * The shell's output goes to stdout. Exit status: 0 the session ended, 1 the
 * shell still wanted input after "exit" (gave up), 2 no dbgsh service / call
 * failed / usage, 3 busy (another session is active), 4 dbgsh=off.
 * The protocol decisions live in guest/lib/dbgsh_proto.c; this file does the
 * hypercalls, the terminal and the waiting. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "thinvisor/dbgsh_proto.h"
#include "thinvisor/vmmcall.h"

enum { EXIT_ENDED = 0, EXIT_GAVE_UP = 1, EXIT_NO_SERVICE = 2, EXIT_BUSY = 3, EXIT_OFF = 4 };

struct client {
  struct tv_hypercall hc;
  tv_u64 number; /* the "dbgsh" service */
  struct dbgsh_proto proto;
  unsigned char buf[4096]; /* stdin bytes the proto is sending */
};

static struct termios g_saved_tty;
static volatile sig_atomic_t g_raw;

static void restore_terminal(void) {
  if (g_raw) tcsetattr(STDIN_FILENO, TCSADRAIN, &g_saved_tty);
  g_raw = 0;
}

/* A killed client must not leave the user's terminal without echo. */
static void on_fatal_signal(int sig) {
  restore_terminal();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void catch_fatal_signals(void) {
  static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) sigaction(sigs[i], &sa, NULL);
}

/* Every key goes to the VMM's line editor, which echoes: no local echo, no
 * line buffering, and Ctrl-C/Z/S/Q are keystrokes, not signals or flow
 * control. ICRNL and OPOST stay: Enter arrives as '\n' (what -c sends too) and
 * the shell's '\n' shows as a new line. */
static void enter_raw_mode(void) {
  if (tcgetattr(STDIN_FILENO, &g_saved_tty) != 0) return;
  struct termios raw = g_saved_tty;
  raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG | IEXTEN);
  raw.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  catch_fatal_signals();
  atexit(restore_terminal);
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) g_raw = 1;
}

static int64_t call_dbgsh(const struct client* c, int64_t rbx) {
  struct tv_regs r = {0, (tv_u64)rbx, 0, 0, 0, 0};
  tv_call(&c->hc, c->number, &r);
  return (int64_t)r.rax;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* The shell waits for a key: wait up to ms for stdin, then hand what came to
 * the proto. The timeout keeps the polls going, so a VMM that has something to
 * say meanwhile is heard. */
static void read_input(struct client* c, int ms) {
  struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
  if (poll(&pfd, 1, ms) <= 0) return;
  ssize_t n = read(STDIN_FILENO, c->buf, sizeof c->buf);
  if (n > 0)
    dbgsh_proto_feed(&c->proto, c->buf, (size_t)n);
  else if (n == 0 || (errno != EINTR && errno != EAGAIN))
    dbgsh_proto_end_input(&c->proto);
}

static int fail(int status, const char* what) {
  fflush(stdout);
  fprintf(stderr, "dbgsh: %s\n", what);
  return status;
}

static int bad_answer(int64_t rax) {
  const char* err = tv_strerror((tv_u64)rax);
  fflush(stdout);
  if (err != NULL)
    fprintf(stderr, "dbgsh: the dbgsh call failed: %s\n", err);
  else
    fprintf(stderr, "dbgsh: unexpected answer 0x%llx from the VMM\n", (unsigned long long)rax);
  return EXIT_NO_SERVICE;
}

/* One call and what follows from its answer; -1 while the session goes on,
 * else the exit status. */
static int step(struct client* c) {
  int ch = 0;
  int64_t rax = call_dbgsh(c, dbgsh_proto_next(&c->proto));
  switch (dbgsh_proto_answer(&c->proto, rax, &ch)) {
    case DBGSH_EV_OUTPUT: putchar(ch); return -1;
    case DBGSH_EV_AGAIN: return -1;
    case DBGSH_EV_IDLE:
      fflush(stdout); /* a pause in the output is when the user should see it */
      sleep_ms(dbgsh_proto_backoff_ms(&c->proto));
      return -1;
    case DBGSH_EV_NEED_INPUT:
      fflush(stdout);
      read_input(c, dbgsh_proto_backoff_ms(&c->proto));
      return -1;
    case DBGSH_EV_END:
      call_dbgsh(c, dbgsh_proto_next(&c->proto)); /* the final ack */
      fflush(stdout);
      return EXIT_ENDED;
    case DBGSH_EV_BUSY: return fail(EXIT_BUSY, "busy: another dbgsh session is active");
    case DBGSH_EV_OFF: return fail(EXIT_OFF, "disabled by the VMM (dbgsh=off)");
    case DBGSH_EV_STUCK: return fail(EXIT_GAVE_UP, "the shell still wants input after \"exit\"; giving up");
    case DBGSH_EV_ERROR: break;
  }
  return bad_answer(rax);
}

static int connect_vmm(struct client* c) {
  if (tv_hypercall_init(&c->hc) != 0) return fail(EXIT_NO_SERVICE, "not running under thinvisor");
  c->number = tv_lookup(&c->hc, "dbgsh");
  if (c->number == 0) return fail(EXIT_NO_SERVICE, "the VMM offers no dbgsh service");
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: dbgsh [-c 'COMMAND']   (or feed commands on stdin)\n");
  return EXIT_NO_SERVICE;
}

/* -c and a pipe know all their input up front or as it comes; only a terminal
 * gets raw mode and the Ctrl-D rule. Returns 1 for a terminal, -1 for bad usage. */
static int setup_input(struct client* c, int argc, char** argv) {
  int tty = argc == 1 && isatty(STDIN_FILENO);
  dbgsh_proto_init(&c->proto, tty);
  if (argc == 3 && strcmp(argv[1], "-c") == 0) {
    dbgsh_proto_feed(&c->proto, argv[2], strlen(argv[2]));
    dbgsh_proto_end_input(&c->proto);
  } else if (argc != 1) {
    return -1;
  }
  return tty;
}

int main(int argc, char** argv) {
  static struct client c;
  int tty = setup_input(&c, argc, argv);
  if (tty < 0) return usage();
  int status = connect_vmm(&c);
  if (status != 0) return status;
  if (tty) {
    fprintf(stderr, "dbgsh: connected; \"exit\" or Ctrl-D on an empty line ends the session\n");
    enter_raw_mode();
  }
  do status = step(&c);
  while (status < 0);
  return status;
}
