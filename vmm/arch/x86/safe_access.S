/* Accesses that may fault: each faulting instruction has an entry in the
 * .tv_fixups table (instruction address, resume address); the exception
 * handler resumes there instead of ending the run. Used to pass guest MSR
 * accesses through to the CPU when the CPU itself decides whether they fault.
 *
 *   bool safe_rdmsr(u32 msr, u64* value);   true if the CPU allowed it
 *   bool safe_wrmsr(u32 msr, u64 value);
 *   bool safe_read_u64(u64 address, u64* value);  (the fixup self-test)
 */
.text
.global safe_rdmsr
safe_rdmsr:
  mov %edi, %ecx
1:
  rdmsr
  shl $32, %rdx
  or %rdx, %rax
  mov %rax, (%rsi)
  mov $1, %eax
  ret
2:
  xor %eax, %eax
  ret

.global safe_wrmsr
safe_wrmsr:
  mov %edi, %ecx
  mov %rsi, %rax
  mov %rsi, %rdx
  shr $32, %rdx
3:
  wrmsr
  mov $1, %eax
  ret
4:
  xor %eax, %eax
  ret

.global safe_read_u64
safe_read_u64:
5:
  mov (%rdi), %rax
  mov %rax, (%rsi)
  mov $1, %eax
  ret
6:
  xor %eax, %eax
  ret

.section .tv_fixups, "a"
.align 8
  .quad 1b, 2b
  .quad 3b, 4b
  .quad 5b, 6b

.section .note.GNU-stack, "", @progbits
