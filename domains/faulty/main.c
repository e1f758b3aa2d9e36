/* faulty: breaks the rules on request, for the fault-isolation tests. An int
 * message's value picks the fault; each must get this instance killed (the
 * sender sees DOM_E_CALLEE_DIED). 0 returns 7 normally. If a fault does not
 * kill it, the handler returns 1000 + the fault number (for the syscall
 * cases, 2000 + the fault number + 100 * the status the VMM answered) so a
 * test can tell "survived" from "died".
 *   1 NULL read            2 read the VMM's link address 0x200000
 *   3 HLT                  4 MOV to CR3          5 WRMSR
 *   6 IN and OUT           7 CLI                 8 divide by zero
 *   9 UD2                 10 stack overflow (deep recursion)
 *  11 write into a read-only buffer (a buffer message; buffer 0 is written)
 *  12 a bad syscall number
 *  13 msgopen of an unmapped name pointer
 *  14 msgsendbuf with a buffer 1 << 40 bytes long (to a fresh echo)
 *  15 read 0xFFFF800000000000 (the kernel half)
 *  16 write into this program's own text */
#include "domain.h"

static long read_at(unsigned long addr) {
  return *(volatile long*)addr;
}

/* Never reached: the 16 KiB stack is gone long before. volatile, so the
 * compiler cannot prove the recursion endless (a -Werror warning) either. */
static volatile long recursion_limit = 0x7FFFFFFFFFFFFFFFl;

static long recurse(long depth) {
  volatile char frame[512];
  frame[0] = (char)depth;
  if (depth == recursion_limit) return 0;
  /* The addition after the call keeps it from becoming a loop. */
  return recurse(depth + 1) + frame[0];
}

static long survived_syscall(long fault, unsigned long status) {
  return 2000 + fault + 100 * (long)status;
}

static long bad_syscall(long fault) {
  unsigned long nr = 999, value = 0;
  __asm__ volatile("int $0x80" : "+a"(nr), "+d"(value) : : "memory", "cc");
  return survived_syscall(fault, nr);
}

static long huge_buffer(long fault) {
  int echo = newprocess("echo");
  if (echo < 0) return survived_syscall(fault, (unsigned long)-echo);
  static char byte;
  struct msgbuf b = {(unsigned long)&byte, 1ul << 40, 0};
  struct msg_reply r = msgsendbuf(echo, 0, &b, 1);
  msgclose(echo);
  return survived_syscall(fault, (unsigned long)r.error);
}

static long fault_int(long fault) {
  volatile long zero = 0;
  switch (fault) {
    case 0: return 7;
    case 1: return 1000 + fault + read_at(0);
    case 2: return 1000 + fault + read_at(0x200000);
    case 3: __asm__ volatile("hlt"); break;
    case 4: __asm__ volatile("mov %0, %%cr3" : : "r"(0ul) : "memory"); break;
    case 5: __asm__ volatile("wrmsr" : : "c"(0xC0000080u), "a"(0u), "d"(0u)); break;
    case 6: {
      unsigned char v;
      __asm__ volatile("inb $0x64, %0" : "=a"(v));
      __asm__ volatile("outb %0, $0x80" : : "a"(v));
      break;
    }
    case 7: __asm__ volatile("cli"); break;
    case 8: {
      /* In assembly: GCC turns 1 / x into a compare, which never faults. */
      unsigned long q = 1, r = 0;
      __asm__ volatile("divq %2" : "+a"(q), "+d"(r) : "r"((unsigned long)zero));
      return 1000 + fault + (long)q;
    }
    case 9: __asm__ volatile("ud2"); break;
    case 10: return 1000 + fault + recurse(0);
    case 12: return bad_syscall(fault);
    case 13: return survived_syscall(fault, (unsigned long)-msgopen((const char*)(DOM_USER_IMAGE_BASE + 0x30000000)));
    case 14: return huge_buffer(fault);
    case 15: return 1000 + fault + read_at(0xFFFF800000000000ul);
    case 16: *(volatile unsigned char*)(unsigned long)_start = 0xC3; break;
    default: return -1; /* not a fault number */
  }
  return 1000 + fault;
}

long _start(int type, long arg, struct msgbuf* bufs, int n) {
  if (type == MSG_INT) return fault_int(arg);
  if (n < 1) return -1;
  *(volatile unsigned char*)bufs[0].base = 0xAA; /* fault 11: buffer 0 should be read-only */
  return 1000 + 11;
}
