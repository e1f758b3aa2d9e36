/* Syscall wrappers: `int $0x80` with RAX = number and RDI, RSI, RDX, RCX =
 * arguments; the VMM answers RAX = status, RDX = value and preserves every
 * other register (tv/domain_abi.hpp). "memory" is clobbered because a call
 * may run other domains that write into buffers we passed. */
#include "domain.h"

struct sysret {
  unsigned long status;
  unsigned long value;
};

static inline struct sysret sys(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
                                unsigned long a3) {
  __asm__ volatile("int $0x80" : "+a"(nr), "+d"(a2) : "D"(a0), "S"(a1), "c"(a3) : "memory", "cc");
  return (struct sysret){nr, a2};
}

/* Descriptor results: >= 0, or the negated error. */
static int desc_result(struct sysret r) {
  return r.status != 0 ? -(int)r.status : (int)r.value;
}
static int status_result(struct sysret r) {
  return (int)r.status;
}
static struct msg_reply reply(struct sysret r) {
  return (struct msg_reply){(long)r.value, (int)r.status};
}

int newprocess(const char* name) {
  return desc_result(sys(DOM_SYS_NEWPROCESS, (unsigned long)name, 0, 0, 0));
}

int msgregister(const char* name, msghandler_t func) {
  return desc_result(sys(DOM_SYS_MSGREGISTER, (unsigned long)name, (unsigned long)func, 0, 0));
}

int msgopen(const char* name) {
  return desc_result(sys(DOM_SYS_MSGOPEN, (unsigned long)name, 0, 0, 0));
}

/* Descriptors are passed sign-extended, so a negative one stays out of range
 * (the VMM answers BadDescriptor) instead of wrapping to a small number. */
int msgclose(int desc) {
  return status_result(sys(DOM_SYS_MSGCLOSE, (unsigned long)(long)desc, 0, 0, 0));
}

int msgunregister(int desc) {
  return status_result(sys(DOM_SYS_MSGUNREGISTER, (unsigned long)(long)desc, 0, 0, 0));
}

int msgsenddesc(int process, int desc) {
  return status_result(sys(DOM_SYS_MSGSENDDESC, (unsigned long)(long)process, (unsigned long)(long)desc, 0, 0));
}

int exitprocess(int code) {
  (void)code; /* BitVisor's signature; the ABI takes no argument */
  return status_result(sys(DOM_SYS_EXITPROCESS, 0, 0, 0, 0));
}

int setlimit(void) {
  return status_result(sys(DOM_SYS_SETLIMIT, 0, 0, 0, 0));
}

struct msg_reply msgsendint(int desc, long value) {
  return reply(sys(DOM_SYS_MSGSENDINT, (unsigned long)(long)desc, (unsigned long)value, 0, 0));
}

struct msg_reply msgsendbuf(int desc, long value, struct msgbuf* bufs, int n) {
  return reply(sys(DOM_SYS_MSGSENDBUF, (unsigned long)(long)desc, (unsigned long)value, (unsigned long)bufs,
                   (unsigned long)(long)n));
}

void msgret(long value) {
  sys(DOM_SYS_MSGRET, (unsigned long)value, 0, 0, 0);
  __builtin_trap(); /* MsgRet does not return; if it did, the VMM broke the ABI */
}
