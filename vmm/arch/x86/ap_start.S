/* The APs' way from INIT-SIPI-SIPI into the VMM (vmm/kernel/smp.cpp).
 *
 * ap_tramp_start..ap_tramp_end is copied to a page below 1 MiB whose number
 * is the SIPI vector, so an AP starts there in real mode with CS = page >> 4,
 * IP = 0 (Intel SDM vol.3 §8.4.4.1, AMD APM vol.2 §16.5). It goes straight to
 * long mode (APM vol.2 §14.6: PAE, then EFER.LME, then CR0.PG with CR0.PE in
 * one write), on the VMM's own page tables, which identity-map the low 4 GiB,
 * and far-jumps to ap_long_entry in the VMM image. The boot CPU patches the
 * parameter block (ap_tramp_params) in the copy; it starts one AP at a time
 * and waits for it, so one block serves all of them. */
#define EFER 0xC0000080

.section .rodata
.align 16
.code16
.global ap_tramp_start, ap_tramp_end, ap_tramp_params, ap_gdt, ap_gdt_ptr
ap_tramp_start:
  cli
  cld
  mov %cs, %ax
  mov %ax, %ds
  lgdtl (ap_gdt_ptr - ap_tramp_start)
  mov %cr4, %eax
  or $(1 << 5), %eax             /* CR4.PAE */
  mov %eax, %cr4
  movl (ap_param_cr3 - ap_tramp_start), %eax
  mov %eax, %cr3
  mov $EFER, %ecx
  rdmsr
  or $((1 << 8) | (1 << 11)), %eax /* LME, NXE */
  wrmsr
  mov $0x80010001, %eax          /* PG, WP, PE */
  mov %eax, %cr0
  ljmpl *(ap_param_entry - ap_tramp_start)

.align 8
ap_gdt:
  .quad 0
  .quad 0x00209A0000000000       /* 0x08: 64-bit code, DPL 0 */
  .quad 0x0000920000000000       /* 0x10: data */
ap_gdt_ptr:
  .word ap_gdt_ptr - ap_gdt - 1
  .long 0                        /* patched: linear address of ap_gdt in the copy */
.align 8
ap_tramp_params:
ap_param_entry:
  .long 0                        /* patched: ap_long_entry (below 4 GiB: the VMM is) */
  .word 0x08
  .word 0
ap_param_cr3:
  .long 0                        /* patched: the VMM's CR3 (below 4 GiB) */

ap_tramp_end:

.text
.code64
/* In long mode on the VMM's tables, at the VMM's own address: set the data
 * segments and this AP's stack (ap_boot_stack, set by the boot CPU for the
 * one AP it is starting), then ap_main(ap_boot_cpu), which never returns. */
.global ap_long_entry
ap_long_entry:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  xor %eax, %eax
  mov %ax, %fs
  mov %ax, %gs
  mov ap_boot_stack(%rip), %rsp
  mov ap_boot_cpu(%rip), %rdi
  xor %ebp, %ebp
  test %rdi, %rdi
  jz ap_dead
  call ap_main
1:
  cli
  hlt
  jmp 1b

/* A CPU the VMM does not run (beyond cpus=N or 16 CPUs, or one that came too
 * late): left in firmware it would take the guest's NMIs through an IVT the
 * guest can write, outside SVM. Here it never runs again: GIF = 0 holds NMIs
 * and SMIs off it for good (CLGI needs EFER.SVME), IF = 0 the rest. It uses
 * no stack and no memory but ap_dead_count. */
.global ap_dead, ap_dead_count
ap_dead:
  mov $EFER, %ecx
  rdmsr
  or $(1 << 12), %eax             /* EFER.SVME */
  wrmsr
  clgi
  lock incl ap_dead_count(%rip)
2:
  cli
  hlt
  jmp 2b

.data
.align 4
ap_dead_count: .long 0
.text

/* void park_wait(void): wait for an NMI with GIF set (the only way a parked
 * CPU is woken: vmm/kernel/smp.cpp). The caller checked its mailbox with GIF
 * clear; an NMI that arrives after that check is taken at STGI, before the
 * HLT, and would be lost — so the NMI handler moves a return address of
 * park_wait_hlt past the HLT (vmm/kernel/exceptions.cpp). */
.global park_wait, park_wait_hlt
park_wait:
  stgi
park_wait_hlt:
  hlt
  clgi
  ret

/* void take_pending_nmi(void): lets an NMI that is held pending by GIF = 0
 * (an NMI intercept exit) be taken now, by the VMM's handler, instead of at
 * the next VMRUN (which would exit again at once). QEMU checks for
 * interrupts after STGI (it ends the translation block). */
.global take_pending_nmi
take_pending_nmi:
  stgi
  clgi
  ret

.section .note.GNU-stack, "", @progbits
