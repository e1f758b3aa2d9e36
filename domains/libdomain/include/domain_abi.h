/* The protection-domain ABI in C, for domain programs. It mirrors
 * lib/include/tv/domain_abi.hpp and lib/include/tv/domain_error.hpp (C++,
 * which C cannot include); tests/unit/libdomain_test.cpp static_asserts that
 * every number and the msgbuf layout here equal the C++ originals. */
#ifndef DOMAIN_ABI_H
#define DOMAIN_ABI_H

/* Syscall numbers (RAX for `int $0x80`), tv::dom::Sys. */
#define DOM_SYS_NOP 1
#define DOM_SYS_MSGREGISTER 4
#define DOM_SYS_MSGOPEN 5
#define DOM_SYS_MSGCLOSE 6
#define DOM_SYS_MSGSENDINT 7
#define DOM_SYS_MSGRET 8
#define DOM_SYS_MSGSENDDESC 9
#define DOM_SYS_NEWPROCESS 10
#define DOM_SYS_MSGSENDBUF 11
#define DOM_SYS_MSGUNREGISTER 12
#define DOM_SYS_EXITPROCESS 13
#define DOM_SYS_SETLIMIT 14

/* A handler's first argument. */
#define MSG_INT 0
#define MSG_BUF 1

/* Reports of the VMM's vmminfo service, tv::dom::InfoReport (docs/domains.md). */
enum vmminfo_report {
  VMMINFO_EXITS,
  VMMINFO_DOMAINS,
  VMMINFO_STATUS,
  VMMINFO_MEM,
  VMMINFO_REGS,
  VMMINFO_SERVICES,
  VMMINFO_PROGRAMS,
  VMMINFO_WATCHES,
  VMMINFO_MODULES,
  VMMINFO_COUNT
};
#define VMMINFO_BAD_REQUEST (-1) /* tv::dom::kInfoBadRequest; too small a buffer: -(bytes needed) */

/* A debug-shell program's terminal, tv::dom::kTty* (docs/dbgsh.md):
 * msgsendint(0, DOM_TTY_READ) waits for a keystroke, msgsendint(0,
 * DOM_TTY_POLL) answers DOM_TTY_NO_KEY if none has come; -1 = end of input.
 * DOM_TTY_INTERACTIVE in the value of the shell's message to a program: a
 * person types at a terminal (page output); clear: scripted. */
#define DOM_TTY_READ 0
#define DOM_TTY_POLL 1
#define DOM_TTY_NO_KEY (-2)
#define DOM_TTY_INTERACTIVE 1

/* Limits, tv::dom::kMax*. */
#define DOM_MAX_NAME_BYTES 32 /* including the NUL */
#define DOM_MAX_DESCRIPTORS 32
#define DOM_MAX_BUFS 8
#define DOM_MAX_BUF_BYTES (256ul * 1024)
#define DOM_MAX_NESTING 8
#define DOM_USER_IMAGE_BASE 0x0000400000000000ul

/* tv::DomainError. 0 is "no error"; every failure has its own code. */
enum dom_error {
  DOM_OK = 0,
  DOM_E_BAD_DESCRIPTOR = 1, /* descriptor outside 0 .. DOM_MAX_DESCRIPTORS-1 */
  DOM_E_CLOSED_DESCRIPTOR,  /* never opened or already closed */
  DOM_E_STALE_DESCRIPTOR,   /* its endpoint is gone (unregistered, or its domain exited) */
  DOM_E_NO_SUCH_NAME,       /* msgopen: no endpoint has this name */
  DOM_E_NAME_TAKEN,         /* msgregister: the name is registered already */
  DOM_E_TABLE_FULL,         /* no free descriptor, endpoint or domain slot */
  DOM_E_CALLEE_DIED,        /* the callee faulted or broke the ABI and was killed */
  DOM_E_BAD_BUFFER,         /* a msgbuf is unmapped, not writable though rw, too long, too many */
  DOM_E_NESTING_TOO_DEEP,   /* more than DOM_MAX_NESTING calls active on this CPU */
  DOM_E_LOCKED_DOWN,        /* setlimit was called; this call is no longer allowed */
  DOM_E_OUT_OF_MEMORY,      /* the VMM's page pool cannot hold what the call needs */
  DOM_E_BAD_ARGUMENT,       /* a bad pointer, name, number or length */
  DOM_E_NO_SUCH_PROGRAM,    /* newprocess: no embedded program has this name */
  DOM_E_NOT_A_PROCESS,      /* msgsenddesc: the target is not a process's entry descriptor */
  DOM_E_NOT_OWNER,          /* msgunregister: the caller did not register this endpoint */
  DOM_E_COUNT
};

/* One buffer of a buffer message, tv::dom::MsgBuf (24 bytes). */
struct msgbuf {
  unsigned long base; /* caller's address; in the callee, where the buffer is mapped */
  unsigned long len;  /* bytes, 1 .. DOM_MAX_BUF_BYTES */
  unsigned long rw;   /* 0: read-only in the callee, 1: read-write */
};

#endif
