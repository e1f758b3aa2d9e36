/* The parts of libdomain that are plain computation (no syscalls): the
 * formatter, the heap, line editing, number parsing and error names. They use
 * dom_-prefixed names only, so the host unit tests can link them next to the
 * C library (whose printf, free, strtol would otherwise collide). */
#ifndef DOMAIN_CORE_H
#define DOMAIN_CORE_H
#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* printf-style formatting into a sink called once per output byte.
 * Conversions: %d %i %u %x %X %p %s %c %%, with flags '-' and '0', a field
 * width (digits or '*'), a precision for %s (digits or '*'), and the length modifiers l, ll,
 * z. Returns the number of bytes produced. */
typedef void (*dom_sink_fn)(void* ctx, char c);
int dom_format(dom_sink_fn sink, void* ctx, const char* fmt, va_list ap);
/* vsnprintf semantics: writes at most cap-1 bytes and a NUL (if cap > 0),
 * returns the length the whole output would have had. */
int dom_vsnprintf(char* out, size_t cap, const char* fmt, va_list ap);

/* A first-fit heap over caller-supplied memory. Blocks carry a 16-byte header
 * and are 16-byte aligned; free() merges neighbouring free blocks. */
struct dom_heap {
  unsigned char* base;
  size_t size;
};
void dom_heap_init(struct dom_heap* h, void* mem, size_t size);
void* dom_heap_alloc(struct dom_heap* h, size_t n);   /* NULL if n == 0 or no block fits */
void dom_heap_free(struct dom_heap* h, void* p);      /* NULL is a no-op */
size_t dom_heap_free_bytes(const struct dom_heap* h); /* sum of free payload bytes */

/* Line editing for lineinput(): feed one input character and print what
 * `echo` says: `erase` times "\b \b", then `len` bytes of `text`. Returns 1
 * when the line is complete (Enter; buf is then NUL-terminated), 0 otherwise.
 * Backspace/DEL erase one character, ^U the whole line; other control
 * characters and input past cap-1 characters are dropped.
 * With a history (hist != NULL), a completed non-empty line is remembered,
 * and Up / Down (ESC [ A / ESC [ B, ESC O A / B, or ^P / ^N) replace the line
 * with an older / newer one (Down past the newest gives an empty line).
 * Other escape sequences (ESC, '[' or 'O', one final byte) are ignored. */
#define DOM_HISTORY_LINES 16
#define DOM_HISTORY_BYTES 128
struct dom_history {
  char lines[DOM_HISTORY_LINES][DOM_HISTORY_BYTES];
  int count; /* lines ever added; the newest is lines[(count - 1) % DOM_HISTORY_LINES] */
  int back;  /* while browsing: how many lines back (0 = not browsing) */
};
struct dom_line {
  char* buf;
  int cap; /* >= 1: room for the NUL */
  int len;
  struct dom_history* hist; /* NULL: no history */
  int esc;                  /* escape-sequence state: 0 none, 1 after ESC, 2 after ESC [ */
};
struct dom_line_echo {
  int erase;
  int len;
  const char* text; /* valid until the next dom_line_feed */
};
int dom_line_feed(struct dom_line* l, int c, struct dom_line_echo* echo);

/* strtol semantics (leading space, sign, base 0/2..36 with 0x/0 prefixes),
 * saturating at LONG_MIN/LONG_MAX on overflow. */
long dom_strtol(const char* s, char** end, int base);

/* The name of a DomainError code; accepts the code or its negation (so the
 * negative result of msgopen() etc. can be passed as is). */
const char* msgerror_string(int error);

#ifdef __cplusplus
}
#endif
#endif
