/* __domain_entry: where the VMM enters a domain for every message
 * (docs/domains.md). On entry:
 *   RDI = message type (MSG_INT 0, MSG_BUF 1), RSI = value,
 *   RDX = struct msgbuf array (mapped here), RCX = buffer count,
 *   R8  = handler (0: the program's _start), RSP = top of a fresh stack.
 * RDI..RCX are already the SysV argument registers of
 *   long handler(int type, long arg, struct msgbuf* bufs, int n),
 * so the handler is called with them untouched, and its result goes back
 * with MsgRet (RAX = 8, RDI = value), which ends the message and never
 * returns. */
#define DOM_SYS_MSGRET 8

  .section .text.entry, "ax", @progbits
  .globl __domain_entry
  .type __domain_entry, @function
__domain_entry:
  xorl %ebp, %ebp        /* end of the frame-pointer chain for backtraces */
  andq $-16, %rsp        /* SysV wants RSP 16-aligned before the call; cheap insurance */
  cld                    /* SysV: DF clear at function entry */
  movq %r8, %rax
  testq %rax, %rax
  jnz 1f
  leaq _start(%rip), %rax
1:
  callq *%rax
  movq %rax, %rdi
  movl $DOM_SYS_MSGRET, %eax
  int $0x80
  ud2                    /* MsgRet returned: the VMM broke the ABI; fault rather than run on */
  .size __domain_entry, . - __domain_entry

  .section .note.GNU-stack, "", @progbits
