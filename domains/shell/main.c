/* shell: the debug shell (docs/dbgsh.md). Descriptor 0 is its input and 1
 * its output; one message runs a whole session: prompt "> ", read a line
 * (editing and history: lineinput_history), run it, until `exit` or the end
 * of input, then return 0 (and end this instance: one session each).
 * A line's first word is a built-in (help, exit) or a program name. The
 * program gets a fresh instance with the shell's own descriptors 0 and 1,
 * and one read-only buffer message holding the rest of the line (the
 * arguments, NUL-terminated, possibly empty) whose value is the shell's own
 * message value masked to DOM_TTY_INTERACTIVE: set when the dbgsh client said
 * a person types at a terminal (docs/dbgsh.md), so a program may page. A
 * program that dies leaves the shell running. */
#include "domain.h"

#define LINE_BYTES 128

static struct dom_history history;
static char line[LINE_BYTES];
static long tty_mode; /* DOM_TTY_INTERACTIVE or 0, for the programs */

static char* skip_spaces(char* p) {
  while (*p == ' ' || *p == '\t') ++p;
  return p;
}

/* Splits "name args" in place: returns the args (never NULL). */
static char* split_word(char* word) {
  char* p = word;
  while (*p != '\0' && *p != ' ' && *p != '\t') ++p;
  if (*p == '\0') return p;
  *p = '\0';
  return skip_spaces(p + 1);
}

static void report_outcome(const char* name, struct msg_reply r) {
  if (r.error == DOM_E_CALLEE_DIED)
    printf("shell: %s crashed (callee died)\n", name);
  else if (r.error != 0)
    printf("shell: %s: %s\n", name, msgerror_string(r.error));
  else if (r.value != 0)
    printf("shell: %s returned %ld\n", name, r.value);
}

static void run_program(const char* name, const char* args) {
  int child = newprocess(name);
  if (child == -DOM_E_NO_SUCH_PROGRAM) {
    printf("shell: no such command: %s\n", name);
    return;
  }
  if (child < 0) {
    printf("shell: cannot start %s: %s\n", name, msgerror_string(child));
    return;
  }
  int st = msgsenddesc(child, 0);
  if (st == 0) st = msgsenddesc(child, 1);
  if (st != 0) {
    printf("shell: cannot give %s its terminal: %s\n", name, msgerror_string(st));
  } else {
    struct msgbuf b = {(unsigned long)args, strlen(args) + 1, 0};
    report_outcome(name, msgsendbuf(child, tty_mode, &b, 1));
  }
  msgclose(child);
}

static void builtin_help(void) {
  printf("built-ins: help (this), exit (end the session)\n");
  printf("keys: Backspace, ^U (erase the line), Up/Down or ^P/^N (history)\n");
  run_program("help", "");
}

/* Runs one line; returns 1 if it was `exit`. */
static int run_line(char* text) {
  char* name = skip_spaces(text);
  if (*name == '\0') return 0;
  char* args = split_word(name);
  if (strcmp(name, "exit") == 0) return 1;
  if (strcmp(name, "help") == 0)
    builtin_help();
  else
    run_program(name, args);
  return 0;
}

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  (void)type, (void)bufs, (void)n;
  exitprocess(0); /* one session per instance */
  tty_mode = arg & DOM_TTY_INTERACTIVE;
  for (;;) {
    printf("> ");
    if (lineinput_history(line, sizeof line, &history) < 0) break;
    if (run_line(line)) break;
  }
  printf("\n");
  return 0;
}
