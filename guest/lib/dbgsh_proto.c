/* The dbgsh client's state machine (guest/include/thinvisor/dbgsh_proto.h).
 * It reacts to each answer on its own, whatever the call carried, so it works
 * with BitVisor's VMM (which answers every keystroke and ack with -1 and hands
 * out the next character on a later poll) and with one that answers an ack
 * with the next character at once. */
#include "thinvisor/dbgsh_proto.h"

#define DBGSH_CTRL_D 0x04

static const char kExit[] = "exit\n";
static const char kNewlineExit[] = "\nexit\n";

void dbgsh_proto_init(struct dbgsh_proto* p, int terminal) {
  struct dbgsh_proto zero = {0};
  *p = zero;
  p->terminal = terminal;
  p->last_key = -1;
}

void dbgsh_proto_feed(struct dbgsh_proto* p, const void* bytes, size_t n) {
  p->in = (const unsigned char*)bytes;
  p->in_len = n;
  p->in_pos = 0;
}

size_t dbgsh_proto_queued(const struct dbgsh_proto* p) {
  return p->in_len - p->in_pos;
}

void dbgsh_proto_end_input(struct dbgsh_proto* p) {
  p->input_ended = 1;
}

/* After end of input: "exit\n", on a fresh line so that a last line without
 * its newline ("printf log | dbgsh") still runs instead of becoming "logexit". */
static int queue_exit(struct dbgsh_proto* p) {
  if (!p->input_ended || p->exits_sent >= DBGSH_MAX_EXITS) return 0;
  int fresh_line = p->last_key == -1 || p->last_key == '\n' || p->last_key == '\r';
  if (fresh_line)
    dbgsh_proto_feed(p, kExit, sizeof kExit - 1);
  else
    dbgsh_proto_feed(p, kNewlineExit, sizeof kNewlineExit - 1);
  p->exits_sent++;
  return 1;
}

/* Ctrl-D on an empty line means "I am done", as in a Unix shell; anywhere
 * else it is an ordinary keystroke for the VMM's line editor. */
static int is_end_key(const struct dbgsh_proto* p, int c) {
  return p->terminal && !p->input_ended && c == DBGSH_CTRL_D && p->line_len == 0;
}

/* The next keystroke to send, or -1 if there is none yet. */
static int take_key(struct dbgsh_proto* p) {
  for (;;) {
    if (dbgsh_proto_queued(p) == 0 && !queue_exit(p)) return -1;
    int c = p->in[p->in_pos++];
    if (!is_end_key(p, c)) return c;
    p->in_pos = p->in_len; /* what was typed after Ctrl-D is not for the shell */
    dbgsh_proto_end_input(p);
  }
}

static int64_t send_key(struct dbgsh_proto* p, int c) {
  p->wants_input = 0;
  p->last_key = c;
  p->line_len = (c == '\n' || c == '\r') ? 0 : p->line_len + 1;
  p->idle_polls = 0;
  return c == 0 ? DBGSH_SEND_NUL : c;
}

int64_t dbgsh_proto_next(struct dbgsh_proto* p) {
  p->last_was_poll = 0;
  if (p->ack_due) {
    p->ack_due = 0;
    return DBGSH_SEND_ACK;
  }
  if (p->wants_input) {
    int c = take_key(p);
    if (c >= 0) return send_key(p, c);
  }
  p->last_was_poll = 1;
  /* A terminal says so with every poll: the one that opens the session makes it interactive. */
  return p->terminal ? DBGSH_SEND_POLL_TERMINAL : DBGSH_SEND_POLL;
}

/* The next call can carry a keystroke (queued, or the "exit\n" that ends input). */
static int can_type(const struct dbgsh_proto* p) {
  return dbgsh_proto_queued(p) != 0 || (p->input_ended && p->exits_sent < DBGSH_MAX_EXITS);
}

/* An answer with nothing to print. Only an empty poll is idle: after an ack or
 * a keystroke, or when the shell waits and there is something to type, the
 * next call goes at once. */
static enum dbgsh_event quiet(struct dbgsh_proto* p) {
  if (p->wants_input && can_type(p)) return DBGSH_EV_AGAIN;
  if (!p->last_was_poll) return DBGSH_EV_AGAIN;
  p->idle_polls++;
  if (!p->wants_input) return DBGSH_EV_IDLE;
  return p->input_ended ? DBGSH_EV_STUCK : DBGSH_EV_NEED_INPUT;
}

static enum dbgsh_event output(struct dbgsh_proto* p, int64_t rax, int* ch) {
  *ch = (int)(rax & 0xFF); /* DBGSH_RECV_NUL's low byte is the NUL */
  p->ack_due = 1;
  p->wants_input = 0; /* a shell that prints is not waiting */
  p->idle_polls = 0;
  return DBGSH_EV_OUTPUT;
}

enum dbgsh_event dbgsh_proto_answer(struct dbgsh_proto* p, int64_t rax, int* ch) {
  if (rax >= 1 && rax <= DBGSH_RECV_NUL) return output(p, rax, ch);
  switch (rax) {
    case DBGSH_RECV_NOTHING: return quiet(p);
    case DBGSH_RECV_WANT_INPUT:
      /* Remembered, not just acted on: a VMM may say it once and answer later
       * polls with -1 until the keystroke comes. */
      p->wants_input = 1;
      return quiet(p);
    case DBGSH_RECV_SESSION_OVER:
      p->ack_due = 1; /* BitVisor's client acknowledges it too; the VMM expects that */
      return DBGSH_EV_END;
    case DBGSH_RECV_BUSY: return DBGSH_EV_BUSY;
    case DBGSH_RECV_OFF: return DBGSH_EV_OFF;
    default: return DBGSH_EV_ERROR;
  }
}

int dbgsh_proto_backoff_ms(const struct dbgsh_proto* p) {
  if (p->idle_polls < DBGSH_SPIN_POLLS) return 0;
  return p->idle_polls < DBGSH_SLOW_POLLS ? 1 : 10;
}
