/* thinvisor guest SDK: the dbgsh character pipe (docs/dbgsh.md "Protocol"),
 * as values and as a pure state machine that decides what the client sends
 * next. No system calls and no hypercalls here: the caller makes the call, so
 * the same code runs in the guest client (guest/tools/dbgsh.c) and in a host
 * unit test against a fake VMM (tests/unit/dbgsh_proto_test.cpp).
 *
 *   struct dbgsh_proto p; dbgsh_proto_init(&p, 0);
 *   dbgsh_proto_feed(&p, "help\nexit\n", 10); dbgsh_proto_end_input(&p);
 *   for (;;) {
 *     rax = call_dbgsh(dbgsh_proto_next(&p));
 *     switch (dbgsh_proto_answer(&p, rax, &ch)) { ... }
 *   }
 *
 * The values are BitVisor's (core/vmmcall_dbgsh.c) plus thinvisor's busy and
 * off; lib/include/tv/dbgsh_protocol.hpp is the VMM's copy, and the unit test
 * checks that the two agree. */
#ifndef THINVISOR_DBGSH_PROTO_H
#define THINVISOR_DBGSH_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RBX, guest -> VMM. 1..0xFF is a keystroke. */
#define DBGSH_SEND_POLL (-1)           /* nothing to send; what do you have? */
#define DBGSH_SEND_ACK 0               /* acknowledges the last output character */
#define DBGSH_SEND_NUL 0x100           /* the NUL keystroke (0 is taken by the ack) */
#define DBGSH_SEND_POLL_TERMINAL 0x101 /* thinvisor: a poll from a terminal (the session is interactive) */

/* RAX, VMM -> guest. 1..0xFF is an output character. */
#define DBGSH_RECV_NOTHING (-1)       /* nothing pending: poll again */
#define DBGSH_RECV_WANT_INPUT 0       /* the shell waits for a keystroke */
#define DBGSH_RECV_NUL 0x100          /* an output NUL */
#define DBGSH_RECV_SESSION_OVER 0x10A /* the shell exited (BitVisor: 0x100 | '\n') */
#define DBGSH_RECV_BUSY 0x10B         /* thinvisor: another client's session is active */
#define DBGSH_RECV_OFF 0x10C          /* thinvisor: dbgsh=off on the VMM command line */

/* What the caller does after dbgsh_proto_answer. */
enum dbgsh_event {
  DBGSH_EV_OUTPUT,     /* write *ch; the next call carries its ack */
  DBGSH_EV_IDLE,       /* nothing happened; wait dbgsh_proto_backoff_ms, then call again */
  DBGSH_EV_NEED_INPUT, /* the shell waits and the queue is empty: feed, end input, or wait */
  DBGSH_EV_AGAIN,      /* call again at once (the VMM took a key or an ack, or there is one to send) */
  DBGSH_EV_END,        /* session over: make one more call (the final ack), then exit 0 */
  DBGSH_EV_BUSY,       /* another session is active; make no further calls */
  DBGSH_EV_OFF,        /* dbgsh=off; make no further calls */
  DBGSH_EV_ERROR,      /* a hypercall-layer error (< -1) or an unknown answer */
  DBGSH_EV_STUCK       /* input ended, "exit" went DBGSH_MAX_EXITS times, the shell still waits */
};

/* After end of input the client types "exit\n" when the shell asks for more;
 * it repeats that a few times (a program may have eaten the first one) and then
 * gives up rather than poll forever. */
#define DBGSH_MAX_EXITS 3

/* Consecutive empty polls before the client starts sleeping between them: a
 * burst of output never waits, an idle session costs a few calls a second. */
#define DBGSH_SPIN_POLLS 64
#define DBGSH_SLOW_POLLS 1024

struct dbgsh_proto {
  const unsigned char* in; /* the input queue: bytes in[pos..len), not owned */
  size_t in_len, in_pos;
  int ack_due;         /* the last answer was output: the next call acknowledges it */
  int wants_input;     /* the VMM asked for a keystroke that has not gone yet */
  int last_was_poll;   /* the last call sent DBGSH_SEND_POLL (for the idle count) */
  int input_ended;     /* no more input from the user (EOF, Ctrl-D, -c) */
  int exits_sent;      /* "exit\n" strings queued after input_ended */
  int terminal;        /* a person types: polls say so, Ctrl-D on an empty line ends the input */
  int last_key;        /* the last keystroke sent, -1 before the first */
  size_t line_len;     /* keystrokes sent since the last Enter */
  unsigned idle_polls; /* empty polls in a row */
};

/* terminal: 1 when a person types at a terminal. Its polls are then
 * DBGSH_SEND_POLL_TERMINAL, so the session it opens is interactive (programs
 * such as log page their output), and Ctrl-D on an empty line ends the input. */
void dbgsh_proto_init(struct dbgsh_proto* p, int terminal);

/* Queues n bytes (not copied: they must live until dbgsh_proto_queued is 0). */
void dbgsh_proto_feed(struct dbgsh_proto* p, const void* bytes, size_t n);

/* Bytes queued and not yet sent. */
size_t dbgsh_proto_queued(const struct dbgsh_proto* p);

/* No more user input: the client ends the session with "exit\n". */
void dbgsh_proto_end_input(struct dbgsh_proto* p);

/* RBX for the next call. */
int64_t dbgsh_proto_next(struct dbgsh_proto* p);

/* Takes that call's RAX; for DBGSH_EV_OUTPUT stores the byte in *ch. */
enum dbgsh_event dbgsh_proto_answer(struct dbgsh_proto* p, int64_t rax, int* ch);

/* How long to wait before the next call after DBGSH_EV_IDLE/NEED_INPUT. */
int dbgsh_proto_backoff_ms(const struct dbgsh_proto* p);

#ifdef __cplusplus
}
#endif
#endif /* THINVISOR_DBGSH_PROTO_H */
