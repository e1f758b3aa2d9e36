/* Multiboot v1 entry (Multiboot 0.6.96 §3.2 machine state: 32-bit protected mode,
 * paging off, EAX = 0x2BADB002, EBX = multiboot info, ESP undefined), also the
 * multiboot2 entry (Multiboot2 §3.3: the same state, EAX = 0x36D76289, EBX =
 * the boot information; on UEFI after ExitBootServices), and the
 * switch to long mode (AMD APM vol.2 §14.6 "Enabling and Activating Long Mode").
 * The image is loaded with the a.out kludge (header in vmm/arch/x86/linker.ld)
 * because QEMU's multiboot loader refuses ELF64 files.
 *
 * The VMM is linked as a static PIE, which forbids 32-bit absolute relocations.
 * The 32-bit code therefore reads the addresses it needs from the boot address
 * table the linker script places right after the multiboot header, at the fixed
 * address BOOT_TABLE (the loader puts the image at its link address); the 64-bit
 * code uses RIP-relative addressing only. */
#define BOOT_TABLE 0x200020          /* linker.ld asserts __boot_table == this */
#define BT_BSS_START (BOOT_TABLE + 0)
#define BT_BSS_END (BOOT_TABLE + 4)
#define BT_STACK_TOP (BOOT_TABLE + 8)
#define BT_PML4 (BOOT_TABLE + 12)
#define BT_PDPT (BOOT_TABLE + 16)
#define BT_PD (BOOT_TABLE + 20)
#define BT_GDT_PTR (BOOT_TABLE + 24)
#define BT_LONG_ENTRY (BOOT_TABLE + 28)
#define BT_NO_LM_MSG (BOOT_TABLE + 32)
#define BT_ENTRY_TSC (BOOT_TABLE + 36)

.section .bss
.align 4096
.global boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096 * 4     /* 4 page directories: identity map of 0..4 GiB with 2 MiB pages */
.align 16
.global boot_stack, boot_stack_top
boot_stack: .skip 65536
boot_stack_top:

.section .data
.align 8
.global boot_entry_tsc
boot_entry_tsc: .quad 0       /* in .data, not .bss: it is written before .bss is cleared */

.section .rodata
.align 16
.global gdt64_ptr
gdt64:
  .quad 0
  .quad 0x00209A0000000000    /* 0x08: 64-bit code, DPL 0 */
  .quad 0x0000920000000000    /* 0x10: data */
gdt64_end:
gdt64_ptr:
  .word gdt64_end - gdt64 - 1
  .quad gdt64                 /* a RELATIVE relocation: holds the link address, which is where we run now */

.section .text.boot, "ax"
.code32
.global multiboot_entry
multiboot_entry:
  cli
  cld
  mov %eax, %esi              /* keep magic and info pointer across the setup (either protocol: C++ tells them apart) */
  mov %ebx, %edi
  rdtsc                       /* the VMM's start-up cost is measured from here (docs/performance.md) */
  mov BT_ENTRY_TSC, %ebx
  mov %eax, (%ebx)
  mov %edx, 4(%ebx)
  mov BT_STACK_TOP, %esp

  /* Zero .bss (the loader should have, but do not rely on it). The page pool is
   * not part of the image: its pages are zeroed when they are allocated. */
  mov %edi, %ebp              /* not on the stack: the stack itself lives in .bss */
  mov BT_BSS_START, %edi
  mov BT_BSS_END, %ecx
  sub %edi, %ecx
  shr $2, %ecx
  xor %eax, %eax
  rep stosl
  mov %ebp, %edi

  /* Long mode needs CPUID leaf 0x80000001 EDX.LM; refuse cleanly otherwise. */
  mov $0x80000000, %eax
  cpuid
  cmp $0x80000001, %eax
  jb no_long_mode
  mov $0x80000001, %eax
  cpuid
  bt $29, %edx
  jnc no_long_mode

  /* PML4[0] -> PDPT; PDPT[0..3] -> 4 PDs; each PD maps 1 GiB with 2 MiB pages. */
  mov BT_PDPT, %eax
  or $0x3, %eax
  mov BT_PML4, %ebx
  mov %eax, (%ebx)
  mov BT_PD, %eax
  or $0x3, %eax
  mov BT_PDPT, %ebx
  mov $4, %ecx
1:
  mov %eax, (%ebx)
  add $4096, %eax
  add $8, %ebx
  loop 1b
  mov BT_PD, %ebx
  xor %ecx, %ecx
2:
  mov %ecx, %eax
  shl $21, %eax               /* low 32 bits of the 2 MiB page address */
  or $0x83, %eax              /* present, writable, PS */
  mov %eax, (%ebx, %ecx, 8)
  mov %ecx, %eax
  shr $11, %eax               /* bits 63:32 of (index << 21) */
  mov %eax, 4(%ebx, %ecx, 8)
  inc %ecx
  cmp $2048, %ecx
  jb 2b

  mov %cr4, %eax
  or $(1 << 5), %eax          /* CR4.PAE */
  mov %eax, %cr4
  mov BT_PML4, %eax
  mov %eax, %cr3
  mov $0xC0000080, %ecx       /* EFER */
  rdmsr
  or $((1 << 8) | (1 << 11)), %eax /* LME, NXE */
  wrmsr
  mov %cr0, %eax
  or $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP, PE */
  mov %eax, %cr0
  mov BT_GDT_PTR, %eax
  lgdt (%eax)
  pushl $0x08                 /* far return into the 64-bit code segment */
  pushl BT_LONG_ENTRY
  lret

no_long_mode:
  /* Nothing to log with yet except the debug console port. */
  mov BT_NO_LM_MSG, %esi
3:
  lodsb
  test %al, %al
  jz 4f
  outb %al, $0xE9
  jmp 3b
4:
  mov $0x12, %al
  outb %al, $0xF4
5:
  hlt
  jmp 5b

.code64
.global long_mode_entry
long_mode_entry:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  xor %ax, %ax
  mov %ax, %fs
  mov %ax, %gs
  lea boot_stack_top(%rip), %rsp
  xor %rbp, %rbp
  mov %esi, %eax              /* 32-bit stage kept magic in ESI, info pointer in EDI */
  mov %edi, %esi              /* SysV arg1: multiboot info (zero-extended) */
  mov %eax, %edi              /* SysV arg0: magic */
  call kmain_at_load_address  /* moves the VMM and continues there: does not return */
6:
  cli
  hlt
  jmp 6b

/* void switch_stack_and_call(u64 stack, u64 fn, u64 a0, u64 a1, u64 a2):
 * continues in the moved copy of the VMM (vmm/kernel/relocate.cpp) on its own
 * stack; fn never returns. */
.global switch_stack_and_call
switch_stack_and_call:
  mov %rdi, %rsp
  xor %rbp, %rbp
  mov %rsi, %rax
  mov %rdx, %rdi
  mov %rcx, %rsi
  mov %r8, %rdx
  call *%rax
7:
  cli
  hlt
  jmp 7b

.section .rodata
.global boot_no_long_mode_msg
boot_no_long_mode_msg: .asciz "thinvisor: CPU has no long mode; cannot start\n"

.section .note.GNU-stack, "", @progbits
