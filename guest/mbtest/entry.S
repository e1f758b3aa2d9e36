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

.section .text
.global _start
_start:
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
2:
  cli
  hlt
  jmp 2b

.section .rodata
.align 8
gdt:
  .quad 0
  .quad 0x00CF9A000000FFFF      /* 0x08: 32-bit code, flat */
  .quad 0x00CF92000000FFFF      /* 0x10: data, flat */
gdt_ptr:
  .word gdt_ptr - gdt - 1
  .long gdt
.section .text

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
