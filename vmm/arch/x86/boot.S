/* Multiboot v1 entry (Multiboot 0.6.96 §3.2 machine state: 32-bit protected mode,
 * paging off, EAX = 0x2BADB002, EBX = multiboot info) and the switch to long mode
 * (AMD APM vol.2 §14.6 "Enabling and Activating Long Mode"). The image is loaded
 * with the a.out kludge (header flag bit 16) because QEMU's multiboot loader
 * refuses ELF64 files. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS ((1 << 0) | (1 << 1) | (1 << 16)) /* page-align modules, want mem map, addresses below */

.section .multiboot, "a"
.align 4
multiboot_header:
  .long MB_MAGIC
  .long MB_FLAGS
  .long -(MB_MAGIC + MB_FLAGS)
  .long multiboot_header      /* header_addr */
  .long __vmm_start           /* load_addr */
  .long __data_end            /* load_end_addr */
  .long __vmm_reserved_end    /* bss_end_addr: loaders zero up to here and put modules after it */
  .long multiboot_entry       /* entry_addr */

.section .bss
.align 4096
.global boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096 * 4     /* 4 page directories: identity map of 0..4 GiB with 2 MiB pages */
.align 16
.global boot_stack_top
boot_stack: .skip 65536
boot_stack_top:

.section .rodata
.align 16
gdt64:
  .quad 0
  .quad 0x00209A0000000000    /* 0x08: 64-bit code, DPL 0 */
  .quad 0x0000920000000000    /* 0x10: data */
gdt64_end:
gdt64_ptr:
  .word gdt64_end - gdt64 - 1
  .quad gdt64

.section .text.boot, "ax"
.code32
.global multiboot_entry
multiboot_entry:
  cli
  cld
  mov %eax, %esi              /* keep magic and info pointer across the setup */
  mov %ebx, %edi
  mov $boot_stack_top, %esp

  /* Zero .bss and the page pool (the loader should have, but do not rely on it). */
  mov %edi, %ebp              /* not on the stack: the stack itself lives in .bss */
  mov $__bss_start, %edi
  mov $__vmm_reserved_end, %ecx
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
  mov $boot_pdpt, %eax
  or $0x3, %eax
  mov %eax, boot_pml4
  mov $boot_pd, %eax
  or $0x3, %eax
  mov $boot_pdpt, %ebx
  mov $4, %ecx
1:
  mov %eax, (%ebx)
  add $4096, %eax
  add $8, %ebx
  loop 1b
  mov $boot_pd, %ebx
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
  mov $boot_pml4, %eax
  mov %eax, %cr3
  mov $0xC0000080, %ecx       /* EFER */
  rdmsr
  or $((1 << 8) | (1 << 11)), %eax /* LME, NXE */
  wrmsr
  mov %cr0, %eax
  or $((1 << 31) | (1 << 16) | 1), %eax /* PG, WP, PE */
  mov %eax, %cr0
  lgdt gdt64_ptr
  ljmp $0x08, $long_mode_entry

no_long_mode:
  /* Nothing to log with yet except the debug console port. */
  mov $msg_no_lm, %esi
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
long_mode_entry:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  xor %ax, %ax
  mov %ax, %fs
  mov %ax, %gs
  mov $boot_stack_top, %rsp
  xor %rbp, %rbp
  mov %esi, %eax              /* 32-bit stage kept magic in ESI, info pointer in EDI */
  mov %edi, %esi              /* SysV arg1: multiboot info (zero-extended) */
  mov %eax, %edi              /* SysV arg0: magic */
  call kmain
6:
  cli
  hlt
  jmp 6b

.section .rodata
msg_no_lm: .asciz "thinvisor: CPU has no long mode; cannot start\n"

.section .note.GNU-stack, "", @progbits
