/* The entry/exit trampoline: every interrupt and exception entry, and the
 * ring-0 <-> ring-3 switches of protection domains (vmm/domain/).
 *
 * A domain's address space maps none of the VMM except this code page (read-
 * only) and the trampoline tables and stacks (GDT, IDT, TSS, the ring-3 entry
 * stack, the IST stack; vmm/arch/x86/descriptors.cpp), all supervisor-only, at
 * the same addresses as in the VMM's own page tables. So an entry from ring 3
 * first switches CR3 to the VMM's tables, and only then leaves this page.
 *
 * Syscalls use `int $0x80` through a DPL-3 interrupt gate rather than SYSCALL:
 * the gate switches to TSS.RSP0 atomically (APM vol.2 §8.9.3), so there is no
 * instruction window in which NMI, #MC or #DF could run on a user stack
 * (those three also have their own IST stack).
 *
 * Frame layout (lowest address first, vmm/domain/trap_frame.hpp):
 *   r15 .. rax (15 GPRs), vector, error code, then the CPU's rip, cs, rflags,
 *   rsp, ss. Vectors 8, 10-14, 17, 21, 29, 30 push an error code (APM vol.2
 *   §8.2); the others get a 0 so the frame is uniform. */
#define FRAME_QWORDS 22
#define FRAME_CS (18 * 8)

.macro PUSH_GPRS
.irp r, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
  push %\r
.endr
.endm
.macro POP_GPRS
.irp r, r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax
  pop %\r
.endr
.endm

.macro VEC_NOERR v
tramp_vec_\v:
  pushq $0
  pushq $\v
  jmp tramp_common
.endm
.macro VEC_ERR v
tramp_vec_\v:
  pushq $\v
  jmp tramp_common
.endm

.section .tramp_text, "ax"
.align 4096
.global __tramp_text_start
__tramp_text_start:
VEC_NOERR 0
VEC_NOERR 1
VEC_NOERR 2
VEC_NOERR 3
VEC_NOERR 4
VEC_NOERR 5
VEC_NOERR 6
VEC_NOERR 7
VEC_ERR 8
VEC_NOERR 9
VEC_ERR 10
VEC_ERR 11
VEC_ERR 12
VEC_ERR 13
VEC_ERR 14
VEC_NOERR 15
VEC_NOERR 16
VEC_ERR 17
VEC_NOERR 18
VEC_NOERR 19
VEC_NOERR 20
VEC_ERR 21
VEC_NOERR 22
VEC_NOERR 23
VEC_NOERR 24
VEC_NOERR 25
VEC_NOERR 26
VEC_NOERR 27
VEC_NOERR 28
VEC_ERR 29
VEC_ERR 30
VEC_NOERR 31
VEC_NOERR 128

tramp_common:
  PUSH_GPRS
  cld                         /* a domain may leave DF set; C++ assumes it clear */
  mov %cr3, %rax
  cmp tramp_kernel_cr3(%rip), %rax
  je 1f
  mov tramp_kernel_cr3(%rip), %rax
  mov %rax, %cr3              /* from here on the whole VMM is mapped */
1:
  testb $3, FRAME_CS(%rsp)
  jnz domain_trap_entry       /* from ring 3: vmm/domain/ring3.S */
  jmp kernel_exception_entry  /* from the VMM itself */

/* Back to ring 3: RSP = a frame on the entry stack, RAX = the domain's CR3. */
.global tramp_return_to_user
tramp_return_to_user:
  mov %rax, %cr3
  POP_GPRS
  add $16, %rsp               /* vector and error code */
  iretq

/* First entry of a message: RSP = the CPU-format iret frame on the entry
 * stack, RAX = the domain's CR3, the argument registers loaded, every other
 * register already cleared by the caller (nothing of the VMM's leaks). */
.global tramp_enter_user
tramp_enter_user:
  mov %rax, %cr3
  xor %eax, %eax
  iretq
.global __tramp_text_end
__tramp_text_end:

.text
/* An exception in the VMM itself (vmm/kernel/exceptions.cpp). */
kernel_exception_entry:
  mov %rsp, %rdi
  mov %rsp, %rbx              /* callee-saved: the frame, for the way back */
  and $-16, %rsp
  call vmm_exception          /* returns only if the fault had a fixup */
  mov %rbx, %rsp
  POP_GPRS
  add $16, %rsp
  iretq

.section .rodata
.align 8
.global isr_stub_table
isr_stub_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  .quad tramp_vec_\v
.endr
.global syscall_gate_stub
syscall_gate_stub:
  .quad tramp_vec_128

.section .note.GNU-stack, "", @progbits
