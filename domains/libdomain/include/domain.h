/* libdomain: the library of thinvisor protection-domain programs (docs/domains.md).
 *
 * A program defines its entry handler
 *     long _start(int type, long arg, struct msgbuf* bufs, int n);
 * which runs for every message sent to its process descriptor (type MSG_INT:
 * bufs is NULL and n 0; MSG_BUF: n buffers mapped into this domain). Its
 * return value goes back to the sender. Handlers registered with
 * msgregister() have the same signature.
 *
 * How results and errors are kept apart (the ABI returns a status in RAX and
 * a value in RDX, tv/domain_abi.hpp):
 *  - calls that yield a descriptor return it (>= 0) or a negated error code
 *    (< 0): descriptors are never negative, so the two cannot be confused;
 *  - msgsendint/msgsendbuf return a struct msg_reply: `error` is 0 when the
 *    message was delivered and `value` is then the callee's return value,
 *    whatever number it is (-1 included);
 *  - the other calls return 0 or a positive error code.
 * msgerror_string() names a code (or its negation).
 *
 * Descriptor conventions (as BitVisor's): the creator sends ttyin then
 * ttyout with msgsenddesc, so 0 is input (msgsendint(0, 0) returns the next
 * character) and 1 is output (msgsendint(1, c) prints c; msgsendbuf(1, 0,
 * {text, len, 0}, 1) prints len bytes). */
#ifndef DOMAIN_H
#define DOMAIN_H
#include "domain_abi.h"
#include "domain_core.h"

typedef long (*msghandler_t)(int type, long arg, struct msgbuf* bufs, int n);
long _start(int type, long arg, struct msgbuf* bufs, int n);

struct msg_reply {
  long value; /* the callee's return value; meaningful only if error == 0 */
  int error;  /* 0, or a DOM_E_* code (DOM_E_CALLEE_DIED if the callee was killed) */
};

/* Descriptor-returning calls: a descriptor >= 0, or -DOM_E_*. */
int newprocess(const char* name);                     /* an instance of an embedded program */
int msgregister(const char* name, msghandler_t func); /* publish a handler under name */
int msgopen(const char* name);                        /* a descriptor for a registered name */

/* 0 or a DOM_E_* code. */
int msgclose(int desc);
int msgunregister(int desc);
int msgsenddesc(int process, int desc); /* the receiver sees 0, 1, 2 ... in arrival order */
int exitprocess(int code);              /* ends this instance after the current message; code is unused */
int setlimit(void);                     /* lock down: register/open/senddesc/newprocess then fail */

struct msg_reply msgsendint(int desc, long value);
struct msg_reply msgsendbuf(int desc, long value, struct msgbuf* bufs, int n);
/* Ends the current message at once with value (what returning from the
 * handler does); usable from any call depth. */
__attribute__((noreturn)) void msgret(long value);

/* Console on descriptors 0 and 1. printf buffers each call's output and sends
 * it as buffer messages of up to 256 bytes; it returns the number of bytes
 * formatted, or -1 if descriptor 1 refused them. */
int printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char* out, size_t cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char* out, size_t cap, const char* fmt, va_list ap);
int putchar(int c);      /* c, or -1 */
int puts(const char* s); /* s and a newline; >= 0, or -1 */
/* Reads a line from descriptor 0 into buf (NUL-terminated, at most len-1
 * characters), echoing to descriptor 1, with Backspace/DEL and ^U editing.
 * Returns its length, or -1 if descriptor 0 failed or returned a negative
 * value (end of input). */
int lineinput(char* buf, int len);
/* The same with a history (domain_core.h): Up/Down or ^P/^N recall earlier
 * lines, and each completed non-empty line is added. hist starts zeroed. */
int lineinput_history(char* buf, int len, struct dom_history* hist);

/* Sends len bytes to descriptor 1 as one buffer message (no formatting, no
 * 256-byte chunks). 0, or -1 if descriptor 1 refused them. */
int write_out(const char* text, unsigned long len);

/* The VMM's vmminfo service (docs/domains.md): report is a VMMINFO_* number.
 * vmminfo_read copies the report's text and a NUL into buf and returns its
 * length; < 0: -(bytes needed) if cap is too small, VMMINFO_BAD_REQUEST, or
 * -DOM_E_* if the message failed. vmminfo_print prints it to descriptor 1
 * (0, or 1 after printing why not). command_report is a whole tool program:
 * it ends this instance after the message and prints the report. */
long vmminfo_read(int report, char* buf, unsigned long cap);
int vmminfo_print(int report);
long command_report(int report);
/* The watch/unwatch commands: asks the VMM's `watch` service to claim
 * (release 0; args "ADDR [x|w|rw] [LEN]") or release (release 1; args
 * "SLOT") a watchpoint and prints its answer. 0 on success, 1 otherwise. */
long watch_request(int release, const char* args);

/* Strings and memory (the compiler may also call memcpy/memset/memmove). */
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strncpy(char* dst, const char* src, size_t n);
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
long strtol(const char* s, char** end, int base);

/* The heap: first fit over the program's own array. A program that wants more
 * than the default 16 KiB writes DOMAIN_HEAP(bytes) once at file scope. */
void* alloc(size_t n); /* NULL if n == 0 or nothing fits */
void free(void* p);
#define DOMAIN_HEAP(bytes)                                         \
  unsigned char domain_heap[(bytes)] __attribute__((aligned(16))); \
  const size_t domain_heap_size = (bytes)

/* assert is always compiled in (NDEBUG does not remove it): on failure it
 * prints "assertion failed: expr (file:line)" and executes UD2, so the VMM
 * kills this instance and logs the RIP, and the sender gets
 * DOM_E_CALLEE_DIED, an answer no handler value can be mistaken for. */
__attribute__((noreturn)) void __domain_assert_fail(const char* expr, const char* file, int line);
#define assert(e) ((e) ? (void)0 : __domain_assert_fail(#e, __FILE__, __LINE__))

#endif
