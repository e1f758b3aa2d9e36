/* Multiboot v1 header (ELF image: no address fields) and entry. */
.section .multiboot, "a"
.align 4
  .long 0x1BADB002
  .long 0x00000003              /* page-align modules, want memory info */
  .long -(0x1BADB002 + 0x00000003)

.section .bss
.align 16
stack: .skip 16384
stack_top:

/* Every CPU that enters mbtest at its multiboot entry checks in here; only
 * the first may run it (the boot loader starts one CPU; the others must wait
 * for mbtest's own INIT/SIPI). A later one parks, and mbtest_main reports the
 * count (issue 12: under --smp N thinvisor must not start an AP into the guest). */
.section .data
.align 4
.global cpus_entered
cpus_entered: .long 0

.section .text
.global _start
_start:
  mov $1, %ecx                  /* EAX/EBX hold the multiboot magic and info */
  lock xadd %ecx, cpus_entered
  test %ecx, %ecx
  jnz park
  /* Multiboot 0.6.96 §3.2: GDTR may be invalid; load our own before any
   * segment load or exception can need it. */
  lgdt gdt_ptr
  ljmp $0x08, $1f
1:
  mov $0x10, %cx
  mov %cx, %ds
  mov %cx, %es
  mov %cx, %ss
  mov $stack_top, %esp
  push %ebx                     /* multiboot info */
  push %eax                     /* magic */
  call mbtest_main
.global park
park:
  cli
  hlt
  jmp park

.section .rodata
.align 8
gdt:
  .quad 0
  .quad 0x00CF9A000000FFFF      /* 0x08: 32-bit code, flat */
  .quad 0x00CF92000000FFFF      /* 0x10: data, flat */
gdt_ptr:
  .word gdt_ptr - gdt - 1
  .long gdt

/* The application processors' start-up code (mbtest smp): mbtest copies it
 * to AP_TRAMPOLINE (mbtest.c) and sends each AP INIT, then SIPI with vector
 * AP_TRAMPOLINE >> 12, so the AP runs it in real mode with CS = 0x0800, IP = 0.
 * It switches to 32-bit protected mode on mbtest's GDT (the pointer below
 * holds its absolute address, so the copy needs no fixing) and jumps to
 * ap_entry32 in mbtest's image. Offsets inside the copy are relative to its
 * start, which CS (= DS) addresses. */
.section .text
.code16
.global ap_trampoline, ap_trampoline_end
ap_trampoline:
  cli
  cld
  mov %cs, %ax
  mov %ax, %ds
  lgdtl ap_gdt_ptr - ap_trampoline
  mov %cr0, %eax
  or $1, %eax                   /* PE */
  mov %eax, %cr0
  ljmpl $0x08, $ap_entry32
.align 4
ap_gdt_ptr:
  .word gdt_ptr - gdt - 1
  .long gdt
ap_trampoline_end:
.code32

/* Each AP takes the next slot (lock xadd) and with it its own stack, then
 * runs ap_main(slot) in C; slots past AP_MAX only park. */
.set AP_MAX, 32
.set AP_STACK, 4096
.section .bss
.align 16
.global ap_stacks
ap_stacks: .skip AP_MAX * AP_STACK
.section .data
.align 4
ap_next_slot: .long 0
.section .text
ap_entry32:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs
  mov $1, %eax
  lock xadd %eax, ap_next_slot
  cmp $AP_MAX, %eax
  jae park
  mov %eax, %ecx
  inc %ecx
  shl $12, %ecx                 /* (slot + 1) * AP_STACK */
  lea ap_stacks(%ecx), %esp
  push %eax
  call ap_main
  jmp park

/* Exception handlers used by the checks: they record the vector and skip the
 * faulting instruction (its length is in fault_skip, set before each probe). */
.global ud_handler, gp_handler, db_handler
ud_handler:
  movl $6, last_vector
  push %eax
  mov fault_skip, %eax
  add %eax, 4(%esp)             /* return EIP */
  pop %eax
  iret
/* #DB: record where the single-step trap landed and stop stepping. */
db_handler:
  push %eax
  mov 4(%esp), %eax             /* return EIP */
  mov %eax, db_eip
  incl db_count
  andl $~0x100, 12(%esp)        /* clear TF in the saved EFLAGS */
  pop %eax
  iret
gp_handler:
  movl $13, last_vector
  add $4, %esp                  /* drop the error code */
  push %eax
  mov fault_skip, %eax
  add %eax, 4(%esp)
  pop %eax
  iret

.section .note.GNU-stack, "", @progbits
