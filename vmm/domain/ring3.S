/* Ring-0 halves of the domain switches (the ring-3-visible halves live in the
 * trampoline page, vmm/arch/x86/trampoline.S). Offsets match
 * vmm/domain/ring3.hpp (static_asserts there). */
#define FRAME_BYTES (22 * 8)
#define ENTRY_STACK_BYTES 8192
#define PERCPU_TRAP_RSP 0        /* vmm/kernel/percpu.hpp */
#define PERCPU_ENTRY_TOP 8
#define MSR_GS_BASE 0xC0000101
#define REC_KERNEL_RSP 0
#define E_RIP 0
#define E_RSP 8
#define E_CR3 16
#define E_RDI 24
#define E_RSI 32
#define E_RDX 40
#define E_RCX 48
#define E_R8 56
#define USER_CS (0x30 | 3)
#define USER_SS (0x28 | 3)

.text
/* u64 enter_ring3(CallRecord* rec, const Ring3Entry* e): runs the domain
 * until it ends the message (MsgRet) or dies; resume_kernel() then returns
 * from here with the value. The callee-saved registers stay on this stack. */
.global enter_ring3
enter_ring3:
  push %rbp
  push %rbx
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, REC_KERNEL_RSP(%rdi)
  mov %rsp, %gs:PERCPU_TRAP_RSP   /* this message's syscalls run below here */
  mov %gs:PERCPU_ENTRY_TOP, %rsp  /* this CPU's TSS.RSP0 */
  pushq $USER_SS
  pushq E_RSP(%rsi)
  pushq $0x2                  /* RFLAGS: IF=0, IOPL=0 (GIF is 0 in the VMM anyway) */
  pushq $USER_CS
  pushq E_RIP(%rsi)
  mov E_CR3(%rsi), %rax
  mov E_RDI(%rsi), %rdi
  mov E_RDX(%rsi), %rdx
  mov E_RCX(%rsi), %rcx
  mov E_R8(%rsi), %r8
  mov E_RSI(%rsi), %rsi
  xor %ebx, %ebx
  xor %ebp, %ebp
  xor %r9d, %r9d
  xor %r10d, %r10d
  xor %r11d, %r11d
  xor %r12d, %r12d
  xor %r13d, %r13d
  xor %r14d, %r14d
  xor %r15d, %r15d
  jmp tramp_enter_user

/* [[noreturn]] void resume_kernel(CallRecord* rec, u64 value) */
.global resume_kernel
resume_kernel:
  mov REC_KERNEL_RSP(%rdi), %rsp
  mov %rsi, %rax
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbx
  pop %rbp
  ret

/* From the trampoline, on this CPU's entry stack, CR3 = the VMM's: copy the
 * frame to the kernel stack of the current message (the entry stack is reused
 * by any nested message), handle it, copy it back and return to ring 3.
 * A domain can load GS with a selector (and so its base with 0), so the GS
 * base is set again first, from the PerCpu pointer its CPU keeps just above
 * TSS.RSP0 (vmm/arch/x86/descriptors.cpp): every entry from ring 3 lands at
 * the same place, so the frame ends exactly there. */
.global domain_trap_entry
domain_trap_entry:
  mov FRAME_BYTES(%rsp), %rbx     /* this CPU's PerCpu (the frame saved RBX) */
  mov %ebx, %eax
  mov %rbx, %rdx
  shr $32, %rdx
  mov $MSR_GS_BASE, %ecx
  wrmsr
  mov %rsp, %rsi
  mov %rsp, %r12                  /* callee-saved: the frame's place, for the way back. A
                                   * message suspended in a coroutine may come back on another
                                   * CPU and return through the first CPU's entry stack: free
                                   * then, as only the CPU holding dom::ExecGuard runs domains */
  mov PERCPU_TRAP_RSP(%rbx), %rsp
  and $-16, %rsp
  sub $FRAME_BYTES, %rsp
  mov %rsp, %rdi
  mov $22, %ecx
  rep movsq
  mov %rsp, %rdi
  call domain_trap            /* returns the CR3 to resume with (or never) */
  mov %rsp, %rsi
  mov %r12, %rdi
  mov $22, %ecx
  rep movsq
  mov %r12, %rsp
  jmp tramp_return_to_user

.section .note.GNU-stack, "", @progbits
