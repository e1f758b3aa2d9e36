/* void svm_vmrun(GuestRegs* regs, u64 guest_vmcb_pa, u64 host_vmcb_pa, u64 guest_dr7)
 *
 * One guest entry and exit (AMD APM vol.2 §15.5 "VMRUN Instruction", §15.6
 * "#VMEXIT"). VMRUN saves and restores only part of the host state; the rest
 * (FS, GS, TR, LDTR, KernelGsBase, STAR/LSTAR/CSTAR/SFMASK, SYSENTER) is moved
 * with VMLOAD/VMSAVE: guest state in before VMRUN, guest state out and host
 * state back in after it, so the VMM never runs on the guest's TR.
 * GIF stays 0 in the VMM (svm_clgi before the first entry, and every #VMEXIT
 * clears it), so interrupts meant for the guest wait until the next VMRUN
 * delivers them to the guest. */
/* Offsets in GuestRegs::gpr (vmm/virt/vcpu.hpp: hardware register order;
 * RAX (0) and RSP (32) travel in the VMCB). */
#define G_RCX 8
#define G_RDX 16
#define G_RBX 24
#define G_RBP 40
#define G_RSI 48
#define G_RDI 56
#define G_R8 64
#define G_R9 72
#define G_R10 80
#define G_R11 88
#define G_R12 96
#define G_R13 104
#define G_R14 112
#define G_R15 120

.text
.global svm_vmrun
svm_vmrun:
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  push %rdi                   /* [rsp+8]: gprs */
  push %rdx                   /* [rsp+0]: host vmcb pa */
  /* Guest breakpoints armed: DR7 goes into the CPU here as well as through the
   * VMCB. QEMU's VMRUN copies the VMCB's DR7 without arming anything (real
   * hardware arms it), so a MOV DR7 is what makes QEMU watch. Until VMRUN the
   * VMM only reads its own memory, which no armed slot may cover
   * (docs/debug-registers.md). */
  test $0xff, %cl
  jz 1f
  mov %rcx, %dr7
1:
  mov %rsi, %rax              /* the guest vmcb pa; RAX is the host's again after #VMEXIT */
  mov G_RBX(%rdi), %rbx
  mov G_RCX(%rdi), %rcx
  mov G_RDX(%rdi), %rdx
  mov G_RSI(%rdi), %rsi
  mov G_RBP(%rdi), %rbp
  mov G_R8(%rdi), %r8
  mov G_R9(%rdi), %r9
  mov G_R10(%rdi), %r10
  mov G_R11(%rdi), %r11
  mov G_R12(%rdi), %r12
  mov G_R13(%rdi), %r13
  mov G_R14(%rdi), %r14
  mov G_R15(%rdi), %r15
  mov G_RDI(%rdi), %rdi
  vmload %rax
  vmrun %rax
  vmsave %rax
  /* Disarm the guest's breakpoints before the VMM touches memory: QEMU leaves
   * the guest's DR7 in the CPU after #VMEXIT (docs/debug-registers.md). RAX
   * is free here; the stack slots below are the first data the VMM touches. */
  mov $0x400, %eax
  mov %rax, %dr7
  xchg %rdi, 8(%rsp)          /* gprs back in RDI, the guest's RDI in its stack slot */
  mov %rbx, G_RBX(%rdi)
  mov %rcx, G_RCX(%rdi)
  mov %rdx, G_RDX(%rdi)
  mov %rsi, G_RSI(%rdi)
  mov %rbp, G_RBP(%rdi)
  mov %r8, G_R8(%rdi)
  mov %r9, G_R9(%rdi)
  mov %r10, G_R10(%rdi)
  mov %r11, G_R11(%rdi)
  mov %r12, G_R12(%rdi)
  mov %r13, G_R13(%rdi)
  mov %r14, G_R14(%rdi)
  mov %r15, G_R15(%rdi)
  pop %rax                    /* host vmcb pa */
  vmload %rax
  pop %rax                    /* the guest's RDI */
  mov %rax, G_RDI(%rdi)
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret

/* void svm_clgi(void): GIF = 0 before the first VMRUN; every #VMEXIT leaves it 0. */
.global svm_clgi
svm_clgi:
  clgi
  ret

/* void svm_vmsave(u64 pa): capture the host's VMLOAD/VMSAVE state once. */
.global svm_vmsave
svm_vmsave:
  mov %rdi, %rax
  vmsave %rax
  ret

.section .note.GNU-stack, "", @progbits
