/* void coro_switch(u64* save_sp, u64 load_sp): saves the callee-saved
 * registers and RSP, continues on the other stack (vmm/domain/coroutine.cpp). */
.text
.global coro_switch
coro_switch:
  push %rbp
  push %rbx
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, (%rdi)
  mov %rsi, %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbx
  pop %rbp
  ret

/* The first "return" of a new coroutine lands here with R15 = the Coroutine. */
.global coro_entry
coro_entry:
  mov %r15, %rdi
  call coroutine_body
  ud2

.section .note.GNU-stack, "", @progbits
