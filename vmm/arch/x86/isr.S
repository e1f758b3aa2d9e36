/* Exception entry stubs: push a uniform frame (vector, error code, GPRs) and call
 * the C++ handler. Vectors 8, 10-14, 17, 21, 29, 30 push an error code
 * (AMD APM vol.2 §8.2 "Vectors"); the others get a 0 so the frame is uniform. */
.macro ISR_NOERR v
isr_\v:
  pushq $0
  pushq $\v
  jmp isr_common
.endm
.macro ISR_ERR v
isr_\v:
  pushq $\v
  jmp isr_common
.endm

.text
ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31

isr_common:
  push %rax
  push %rbx
  push %rcx
  push %rdx
  push %rsi
  push %rdi
  push %rbp
  push %r8
  push %r9
  push %r10
  push %r11
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, %rdi
  mov %rsp, %rbx              /* callee-saved: the frame, for the way back */
  and $-16, %rsp
  call vmm_exception          /* returns only if the fault had a fixup */
  mov %rbx, %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rbp
  pop %rdi
  pop %rsi
  pop %rdx
  pop %rcx
  pop %rbx
  pop %rax
  add $16, %rsp               /* vector and error code */
  iretq

.section .rodata
.align 8
.global isr_stub_table
isr_stub_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  .quad isr_\v
.endr

.section .note.GNU-stack, "", @progbits
