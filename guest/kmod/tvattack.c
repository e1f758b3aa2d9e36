// SPDX-License-Identifier: GPL-2.0
/*
 * tvattack: what a hostile guest kernel would try against the hypervisor
 * underneath it, one attack per insmod, so that system tests can check that
 * thinvisor survives each one.
 *
 *   insmod tvattack.ko attack=NAME [addr=0x..] [count=N] [port=0x..] [value=0x..]
 *                      [seed=N] [vmm=BASE-END]
 *
 * The attack runs in module init and prints exactly one result line
 *
 *   tvattack: NAME: RESULT
 *
 * where RESULT is one of
 *
 *   faulted          the CPU (or the hypervisor on its behalf) raised an
 *                    exception; it was caught by an exception-table fixup
 *                    (or a *_safe helper), so no oops
 *   accepted         no exception: the state was changed; the module has
 *                    already put the old value back
 *   readback 0xHEX   the value read back after the write (32-bit registers:
 *                    8 hex digits, I/O ports: 2)
 *   done             the action completed (for destructive actions: the CPU
 *                    came back, which may itself be the finding)
 *   done N           N repetitions completed
 *   result N         a hypercall's RAX as a signed decimal (0 = success,
 *                    -3 = TV_ERR_BAD_ADDRESS, see <thinvisor/vmmcall.h>)
 *   skipped: WHY     the attack could not be set up (ioremap failed, not
 *                    under thinvisor, ...); nothing was attempted
 *
 * Init then returns -ECANCELED, so the module never stays loaded and the
 * next insmod works (insmod prints an error; tests ignore it). An unknown
 * attack name prints "tvattack: unknown attack 'NAME'" with pr_err, and init
 * returns -EINVAL.
 *
 * Loaded once, run once: busybox insmod's init_module retry after the failed
 * finit_module does nothing (see tv_oneshot.h).
 *
 * Parameters not given take per-attack defaults (listed with each attack):
 * count=0, port=0 and value=-1 (the defaults of the parameters) mean "not
 * given". addr defaults to 0.
 *
 * Some attacks are destructive by design (reset_*, pm1a_sleep, a20_*,
 * init_*, sipi_all): if the hypervisor does not contain them, the result
 * line may never appear, or the guest may die right after it. That is what
 * the test is there to see.
 */
#include <asm/apic.h>
#include <asm/asm.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/objtool.h>
#include <linux/pgtable.h>
#include <linux/preempt.h>
#include <linux/ptrace.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <thinvisor/vmmcall.h>

#include "tv_oneshot.h"

static char *attack = "";
module_param(attack, charp, 0444);
MODULE_PARM_DESC(attack, "attack to run (see the table at the end of tvattack.c)");

static unsigned long addr;
module_param(addr, ulong, 0444);
MODULE_PARM_DESC(addr, "address for dr_exec/dr_data (default 0), MSI address for msi_*");

static unsigned int count;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "repetitions (0: the attack's default)");

static unsigned int port;
module_param(port, uint, 0444);
MODULE_PARM_DESC(port, "I/O port for pm1a_sleep (0: 0x604)");

static unsigned long value = ~0UL;
module_param(value, ulong, 0444);
MODULE_PARM_DESC(value, "value for pm1a_sleep (default 0x2400)");

static const char *cur; /* name of the running attack, for the result line */

#define report(fmt, ...) pr_info("tvattack: %s: " fmt "\n", cur, ##__VA_ARGS__)

static unsigned int count_or(unsigned int dflt)
{
	return count ? count : dflt;
}

static void report_fault(int faulted)
{
	report("%s", faulted ? "faulted" : "accepted");
}

/* ---- helpers: privileged writes that turn an exception into a flag ----- */

/* Each returns 1 if the instruction faulted (fixup taken), else 0. */
static int write_cr0_checked(unsigned long v)
{
	int faulted = 1;

	asm volatile("1: mov %[v], %%cr0\n\t"
		     "movl $0, %[f]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [f] "+r"(faulted) : [v] "r"(v) : "memory");
	return faulted;
}

static int write_cr3_checked(unsigned long v)
{
	int faulted = 1;

	asm volatile("1: mov %[v], %%cr3\n\t"
		     "movl $0, %[f]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [f] "+r"(faulted) : [v] "r"(v) : "memory");
	return faulted;
}

static int write_cr4_checked(unsigned long v)
{
	int faulted = 1;

	asm volatile("1: mov %[v], %%cr4\n\t"
		     "movl $0, %[f]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [f] "+r"(faulted) : [v] "r"(v) : "memory");
	return faulted;
}

/* Raw CR writes: native_write_cr0/cr4 pin bits and would refuse or warn. */
static void raw_write_cr0(unsigned long v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static void raw_write_cr3(unsigned long v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static void raw_write_cr4(unsigned long v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static unsigned long raw_read_cr0(void) { unsigned long v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static unsigned long raw_read_cr3(void) { unsigned long v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static unsigned long raw_read_cr4(void) { unsigned long v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }

static void cpuid_leaf0(void)
{
	u32 a = 0, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

/* An MSR write that must not stick: report, and undo it if it was taken. */
static void msr_write_attack(u32 msr, u64 newval)
{
	unsigned long flags;
	u64 old;
	int err;

	local_irq_save(flags);
	if (rdmsrl_safe(msr, &old)) {
		local_irq_restore(flags);
		report("skipped: rdmsr 0x%x faulted", msr);
		return;
	}
	err = wrmsrl_safe(msr, newval);
	if (!err)
		wrmsrl_safe(msr, old);
	local_irq_restore(flags);
	report_fault(err != 0);
}

/* ---- control registers ------------------------------------------------- */

/*
 * efer_lmsle: EFER.LMSLE (bit 13, long-mode segment limit enable). Recent
 * AMD CPUs (Zen 3 on) do not implement it and raise #GP. A hypervisor that
 * copies the guest's EFER write into the VMCB unchecked makes its next VMRUN
 * fail (or hands the guest a feature the CPU lacks).
 */
static void atk_efer_lmsle(void)
{
	u64 efer;

	if (rdmsrl_safe(MSR_EFER, &efer)) {
		report("skipped: rdmsr EFER faulted");
		return;
	}
	msr_write_attack(MSR_EFER, efer | (1ULL << 13));
}

/*
 * cr0_nw: CR0 with NW=1 (bit 29) and CD=0, an illegal combination (#GP). A
 * hypervisor that intercepts CR0 writes and stores the value into the VMCB
 * without the check gets VMEXIT_INVALID on its next VMRUN.
 */
static void atk_cr0_nw(void)
{
	unsigned long flags, old;
	int faulted;

	local_irq_save(flags);
	old = raw_read_cr0();
	faulted = write_cr0_checked((old | X86_CR0_NW) & ~X86_CR0_CD);
	if (!faulted)
		raw_write_cr0(old);
	local_irq_restore(flags);
	report_fault(faulted);
}

/*
 * cr0_high: CR0 with bit 32 set (bits 63:32 are reserved, must be zero: #GP).
 * Unchecked, it reaches the VMCB and VMRUN fails its consistency checks.
 */
static void atk_cr0_high(void)
{
	unsigned long flags, old;
	int faulted;

	local_irq_save(flags);
	old = raw_read_cr0();
	faulted = write_cr0_checked(old | (1UL << 32));
	if (!faulted)
		raw_write_cr0(old);
	local_irq_restore(flags);
	report_fault(faulted);
}

/*
 * cr4_reserved: CR4 with bit 31 set. Bit 31 is reserved in the AMD APM
 * (vol. 2, "CR4 Register": bits 31:24 reserved on AMD; Intel has not used it
 * either). #GP on hardware; unchecked in the VMCB, VMRUN fails.
 */
static void atk_cr4_reserved(void)
{
	unsigned long flags, old;
	int faulted;

	local_irq_save(flags);
	old = raw_read_cr4();
	faulted = write_cr4_checked(old | (1UL << 31));
	if (!faulted)
		raw_write_cr4(old);
	local_irq_restore(flags);
	report_fault(faulted);
}

/*
 * cr3_high: CR3 = current CR3 | (1 << x86_phys_bits), the first bit above the
 * CPU's physical address width (at most bit 52, so always below 63, which is
 * the PCID no-flush bit). In long mode that is a reserved bit (#GP). A
 * hypervisor that shadows or checks CR3 and does not validate it would walk
 * (or ask the CPU to walk) page tables at a non-existent address; with the
 * value in the VMCB, VMRUN fails.
 */
static void atk_cr3_high(void)
{
	unsigned int bit = boot_cpu_data.x86_phys_bits;
	unsigned long flags, old;
	int faulted;

	if (bit < 32 || bit > 62) {
		report("skipped: physical address width %u", bit);
		return;
	}
	local_irq_save(flags);
	old = raw_read_cr3();
	faulted = write_cr3_checked(old | (1UL << bit));
	if (!faulted)
		raw_write_cr3(old);
	local_irq_restore(flags);
	report_fault(faulted);
}

/* ---- segment state ----------------------------------------------------- */

#define TVATTACK_CS_INDEX GDT_ENTRIES /* first slot after the kernel's GDT */
#define TVATTACK_CS_SEL (TVATTACK_CS_INDEX * 8)
/* Code, P=1, DPL 0, type 0xB, G=1, L=1 and D=1 (__KERNEL_CS is 0x00af9b...). */
#define TVATTACK_CS_DESC 0x00ef9b000000ffffULL

/*
 * cs_ld: run 64-bit code with a CS descriptor that has L=1 and D=1 and make a
 * VM exit (CPUID) from there. The combination is reserved in long mode;
 * VMRUN's consistency checks reject "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D
 * all set" with VMEXIT_INVALID. A hypervisor that does not expect VMRUN to
 * fail on guest-chosen state (or loops re-entering) dies or hangs here.
 *
 * How: copy the GDT into a fresh page, add the descriptor after the kernel's
 * entries, LGDT the copy, far-return to the new selector, CPUID, far-return
 * to __KERNEL_CS, LGDT the original. Interrupts are off throughout (NMIs
 * would still work: __KERNEL_CS is in the copy). If the far return to the new
 * CS raises #GP (which hardware may do for L=1 D=1), the fixup pops the two
 * words it left on the stack.
 */
/*
 * Far-return to `sel` (64-bit code), CPUID, far-return to __KERNEL_CS.
 * Returns 1 if the first far return faulted. Far returns are "unsupported
 * instructions in callable functions" to objtool, hence the annotation; the
 * stack is balanced on both paths.
 */
static noinline int cs_roundtrip_cpuid(unsigned long sel)
{
	int faulted = 0;

	asm volatile("pushq %[sel]\n\t"
		     "leaq 3f(%%rip), %%rax\n\t"
		     "pushq %%rax\n"
		     "1: lretq\n"
		     "3:\n\t"
		     "xorl %%eax, %%eax\n\t"
		     "xorl %%ecx, %%ecx\n\t"
		     "cpuid\n\t"
		     "pushq %[kcs]\n\t"
		     "leaq 4f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "2:\n\t"
		     "addq $16, %%rsp\n\t"
		     "movl $1, %[f]\n"
		     "4:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [f] "+r"(faulted)
		     : [sel] "r"(sel), [kcs] "i"(__KERNEL_CS)
		     : "rax", "rbx", "rcx", "rdx", "memory");
	return faulted;
}
STACK_FRAME_NON_STANDARD(cs_roundtrip_cpuid);

static void atk_cs_ld(void)
{
	struct desc_ptr orig, copy;
	unsigned long flags, page;
	int faulted = 0;
	u64 *gdt;

	page = get_zeroed_page(GFP_KERNEL);
	if (!page) {
		report("skipped: no memory");
		return;
	}
	gdt = (u64 *)page;

	local_irq_save(flags);
	native_store_gdt(&orig);
	if (orig.size + 1 > TVATTACK_CS_SEL) {
		local_irq_restore(flags);
		free_page(page);
		report("skipped: GDT limit 0x%x", orig.size);
		return;
	}
	memcpy(gdt, (void *)orig.address, orig.size + 1);
	gdt[TVATTACK_CS_INDEX] = TVATTACK_CS_DESC;
	copy.address = page;
	copy.size = TVATTACK_CS_SEL + 8 - 1;
	native_load_gdt(&copy);

	faulted = cs_roundtrip_cpuid(TVATTACK_CS_SEL);

	native_load_gdt(&orig);
	local_irq_restore(flags);
	free_page(page);
	report_fault(faulted);
}

/* ---- debug registers --------------------------------------------------- */

static void dr_attack(unsigned long dr7_bits)
{
	unsigned long old_dr0, old_dr7;
	int i;

	preempt_disable();
	asm volatile("mov %%dr0, %0" : "=r"(old_dr0));
	asm volatile("mov %%dr7, %0" : "=r"(old_dr7));
	asm volatile("mov %0, %%dr0" : : "r"(addr));
	asm volatile("mov %0, %%dr7" : : "r"(dr7_bits | DR_LOCAL_ENABLE | (1UL << 10)));
	for (i = 0; i < 100; i++)
		cpuid_leaf0();
	asm volatile("mov %0, %%dr7" : : "r"(old_dr7));
	asm volatile("mov %0, %%dr0" : : "r"(old_dr0));
	preempt_enable();
	report("done %d", i);
}

/*
 * dr_exec: DR0 = addr (meant: an address inside the hypervisor), DR7 =
 * local-enable slot 0, R/W=00 LEN=00 (instruction breakpoint), then 100
 * CPUIDs (100 VM exits). SVM does not swap DR0-3 on VMRUN/#VMEXIT; a
 * hypervisor that runs with the guest's debug registers live (or loads the
 * guest's DR7 into its own) takes a #DB in host mode it has no handler for.
 */
static void atk_dr_exec(void)
{
	dr_attack(0);
}

/*
 * dr_data: as dr_exec, but R/W=11 (read or write) and LEN=11 (8 bytes, long
 * mode only) on addr: a data breakpoint on hypervisor data touched on every
 * VM exit.
 */
static void atk_dr_data(void)
{
	dr_attack((3UL << 16) | (3UL << 18));
}

/* ---- guest-physical space ---------------------------------------------- */

/*
 * ioremap_touch: read one word in each of `count` GiBs above 4 GiB (phys
 * (4+i) << 30, default count 1000): no RAM and no device there. A
 * hypervisor that builds nested page tables on demand for every touched
 * guest-physical GiB runs out of memory (or must recycle them) unless it maps
 * large pages or bounds the space. Stops early at the CPU's physical address
 * width (where ioremap would refuse with a warning).
 */
static void atk_ioremap_touch(void)
{
	unsigned int n = count_or(1000), i;
	u64 limit = 1ULL << boot_cpu_data.x86_phys_bits;

	for (i = 0; i < n; i++) {
		phys_addr_t phys = (phys_addr_t)(4 + i) << 30;
		void __iomem *p;

		if (phys + PAGE_SIZE > limit)
			break;
		p = ioremap(phys, PAGE_SIZE);
		if (!p)
			break;
		(void)readl(p);
		iounmap(p);
		cond_resched();
	}
	report("done %u", i);
}

/* ---- ACPI -------------------------------------------------------------- */

/*
 * pm1a_sleep: write `value` (default 0x2400: SLP_EN | SLP_TYP=1, which QEMU
 * treats as a suspend request) to the 16-bit PM1a control `port` (default
 * 0x604 on QEMU pc) `count` times (default 2000). Passed through, the guest
 * suspends (or powers off) the whole machine, hypervisor included.
 */
static void atk_pm1a_sleep(void)
{
	unsigned int n = count_or(2000), i;
	u16 p = port ? port : 0x604;
	u16 v = value != ~0UL ? value : 0x2400;

	for (i = 0; i < n; i++)
		outw(v, p);
	report("done %u", i);
}

/* ---- local APIC -------------------------------------------------------- */

#define APIC_PHYS 0xfee00000UL

static void __iomem *map_apic(void)
{
	void __iomem *apic = ioremap(APIC_PHYS, PAGE_SIZE);

	if (!apic)
		report("skipped: ioremap of the APIC failed");
	return apic;
}

static void icr_wait_idle(void __iomem *apic)
{
	int i;

	for (i = 0; i < 100000 && (readl(apic + APIC_ICR) & APIC_ICR_BUSY); i++)
		cpu_relax();
}

/* One IPI via the xAPIC MMIO ICR: high word (destination) first, then low. */
static void send_icr(void __iomem *apic, u32 high, u32 low)
{
	unsigned long flags;

	local_irq_save(flags);
	icr_wait_idle(apic);
	writel(high, apic + APIC_ICR2);
	writel(low, apic + APIC_ICR);
	icr_wait_idle(apic);
	local_irq_restore(flags);
}

static void icr_attack(u32 high, u32 low)
{
	void __iomem *apic = map_apic();

	if (!apic)
		return;
	send_icr(apic, high, low);
	iounmap(apic);
	report("done");
}

/*
 * init_self: INIT IPI to this CPU (ICR low 0x00044500: INIT, level assert,
 * shorthand self). Under SVM, INIT is not blocked in the guest unless the
 * hypervisor intercepts INIT (or redirects it); otherwise the physical CPU
 * resets and the hypervisor is gone.
 */
static void atk_init_self(void)
{
	icr_attack(0, 0x00044500);
}

/* init_all_excl: INIT to all other CPUs (0x000C4500); kills the hypervisor
 * on every other core. */
static void atk_init_all_excl(void)
{
	icr_attack(0, 0x000c4500);
}

/* init_phys: INIT addressed physically to this CPU's own APIC id (low
 * 0x00004500, no shorthand): the same as init_self via another decode path a
 * filter might miss. */
static void atk_init_phys(void)
{
	void __iomem *apic = map_apic();
	u32 id;

	if (!apic)
		return;
	id = readl(apic + APIC_ID) >> 24;
	send_icr(apic, id << 24, 0x00004500);
	iounmap(apic);
	report("done");
}

/* sipi_all: STARTUP IPI, vector 0x10 (real-mode code at 0x10000), to all
 * other CPUs (0x000C4610): wakes parked cores straight into guest code
 * outside the hypervisor. */
static void atk_sipi_all(void)
{
	icr_attack(0, 0x000c4600 | 0x10);
}

/* smi_self: SMI IPI to this CPU (0x00044200). SMM runs outside the
 * hypervisor; the SMM handler returns into host mode with state a
 * hypervisor may not expect (and under SVM an SMI exits if intercepted). */
static void atk_smi_self(void)
{
	icr_attack(0, 0x00044200);
}

/*
 * nmi_self: `count` (default 1000) NMI IPIs to this CPU (0x00044400). NMIs
 * arrive while in the hypervisor (as #VMEXIT NMI or in host mode with GIF
 * set); a hypervisor that drops them or mishandles nesting loses them or
 * crashes. Linux prints "NMI received for unknown reason" (rate-limited).
 */
static void atk_nmi_self(void)
{
	void __iomem *apic = map_apic();
	unsigned int n = count_or(1000), i;

	if (!apic)
		return;
	for (i = 0; i < n; i++)
		send_icr(apic, 0, 0x00044400);
	iounmap(apic);
	report("done %u", i);
}

/*
 * The MSI address aimed at this CPU's APIC. QEMU turns 32-bit CPU stores
 * into the APIC window at offset 0 or above 0xFFF into MSIs (hw/intc/apic.c
 * apic_mem_write), and the MSI's destination APIC id is address bits 19:12.
 * So 0xFEE00000 | id << 12 reaches this CPU (for id 0 via the offset-0
 * case); 0xFEE01000 would go to APIC id 1. addr= overrides.
 */
static void msi_attack(u32 data)
{
	unsigned long where = addr;
	void __iomem *p;

	if (!where) {
		void __iomem *apic = map_apic();

		if (!apic)
			return;
		where = APIC_PHYS | ((unsigned long)(readl(apic + APIC_ID) >> 24) << 12);
		iounmap(apic);
	}
	p = ioremap(where & PAGE_MASK, PAGE_SIZE);
	if (!p) {
		report("skipped: ioremap of 0x%lx failed", where);
		return;
	}
	writel(data, p + (where & ~PAGE_MASK));
	iounmap(p);
	report("done");
}

/* msi_init: an MSI with data 0x500 (delivery mode INIT) by a CPU store: the
 * same as an INIT IPI, but past any filter that only watches the ICR. */
static void atk_msi_init(void)
{
	msi_attack(0x500);
}

/* msi_smi: an MSI with delivery mode SMI (data 0x200). */
static void atk_msi_smi(void)
{
	msi_attack(0x200);
}

/*
 * lvt_smi: program the LVT performance-counter entry (0x340) to deliver an
 * SMI (bits 10:8 = 010), unmasked; read it back, restore. A counter overflow
 * then raises SMIs at the guest's choosing, also while in the hypervisor.
 */
static void atk_lvt_smi(void)
{
	void __iomem *apic = map_apic();
	unsigned long flags;
	u32 old, rb;

	if (!apic)
		return;
	local_irq_save(flags);
	old = readl(apic + APIC_LVTPC);
	writel((old & ~(APIC_LVT_MASKED | APIC_MODE_MASK)) | APIC_DM_SMI, apic + APIC_LVTPC);
	rb = readl(apic + APIC_LVTPC);
	writel(old, apic + APIC_LVTPC);
	local_irq_restore(flags);
	iounmap(apic);
	report("readback 0x%08x", rb);
}

/*
 * apic_base_move: IA32_APIC_BASE (MSR 0x1B) + 1 MiB, moving the APIC window
 * to 0xFEF00000. A hypervisor that tracks the APIC by address (to filter
 * ICR writes, say) would watch the wrong page; one that passes the MSR
 * through lets the guest move the APIC over memory the hypervisor uses.
 */
static void atk_apic_base_move(void)
{
	u64 base;

	if (rdmsrl_safe(MSR_IA32_APICBASE, &base)) {
		report("skipped: rdmsr 0x1b faulted");
		return;
	}
	msr_write_attack(MSR_IA32_APICBASE, base + 0x100000);
}

/* ---- I/O APIC ---------------------------------------------------------- */

/*
 * ioapic_smi: redirection entry of pin 23 (low dword, index 0x10 + 2*23) set
 * to delivery mode SMI (0x200), unmasked, vector 0x30; read back, restore.
 * Like lvt_smi, an interrupt line that raises SMIs whenever the device
 * asserts it.
 */
static void atk_ioapic_smi(void)
{
	void __iomem *io = ioremap(0xfec00000UL, PAGE_SIZE);
	const u32 index = 0x10 + 2 * 23;
	unsigned long flags;
	u32 old, rb;

	if (!io) {
		report("skipped: ioremap of the I/O APIC failed");
		return;
	}
	local_irq_save(flags);
	writel(index, io);
	old = readl(io + 0x10);
	writel(0x200 | 0x30, io + 0x10);
	rb = readl(io + 0x10);
	writel(old, io + 0x10);
	local_irq_restore(flags);
	iounmap(io);
	report("readback 0x%08x", rb);
}

/* ---- A20 and resets ---------------------------------------------------- */

/*
 * a20_off: clear the A20 gate through port 0x92 (system control port A) and
 * read it back. Not restored: with A20 off, QEMU masks physical address bit
 * 20 for the whole CPU, the hypervisor's own accesses included, so memory
 * with that bit set aliases; a guest that gets this through breaks the
 * hypervisor (and itself).
 */
static void atk_a20_off(void)
{
	outb(inb(0x92) & ~2, 0x92);
	report("readback 0x%02x", inb(0x92));
}

static void kbc_wait_input_empty(void)
{
	int i;

	for (i = 0; i < 100000 && (inb(0x64) & 2); i++)
		udelay(1);
}

/* a20_8042: the same through the keyboard controller (command 0xDD,
 * "disable A20"). */
static void atk_a20_8042(void)
{
	kbc_wait_input_empty();
	outb(0xdd, 0x64);
	report("done");
}

/* reset_92: fast reset via port 0x92 bit 0: resets the machine, hypervisor
 * included, unless intercepted. */
static void atk_reset_92(void)
{
	outb(inb(0x92) | 1, 0x92);
	report("done");
}

/* reset_cf9: hard reset via the reset control register 0xCF9 (0x06). */
static void atk_reset_cf9(void)
{
	outb(0x06, 0xcf9);
	report("done");
}

/* reset_8042: pulse the reset line through the keyboard controller (0xFE). */
static void atk_reset_8042(void)
{
	kbc_wait_input_empty();
	outb(0xfe, 0x64);
	report("done");
}

/* ---- hypercall buffers ------------------------------------------------- */

/*
 * The number of service svc, or 0 after reporting why the attack is skipped
 * (not under thinvisor, or no such service).
 */
static tv_u64 lookup_or_skip(struct tv_hypercall *hc, const char *svc)
{
	tv_u64 n;

	if (tv_hypercall_init(hc) != 0) {
		report("skipped: not under thinvisor");
		return 0;
	}
	n = tv_lookup(hc, svc);
	if (n == 0)
		report("skipped: no %s service", svc);
	return n;
}

/*
 * The thinvisor "status" hypercall (RBX = buffer, RCX = size) with its
 * buffer on guest-physical `phys`. The VMM takes the caller's virtual
 * address and walks the caller's page tables, so pass a kernel virtual
 * address that maps `phys`: the direct map (__va). On x86-64 the direct map
 * always covers the first MiB (init_mem_mapping maps [0, ISA_END_ADDRESS)),
 * ROM and VGA hole included; lookup_address double-checks, and ioremap is
 * the fallback should a kernel ever leave it out.
 */
static void status_attack(phys_addr_t phys)
{
	struct tv_regs r = { 0, 0, 0, 0, 0, 0 };
	struct tv_hypercall hc;
	void __iomem *mapped = NULL;
	unsigned long va = (unsigned long)__va(phys);
	unsigned int level;
	pte_t *pte;
	tv_u64 n;

	n = lookup_or_skip(&hc, "status");
	if (n == 0)
		return;
	pte = lookup_address(va, &level);
	if (!pte || !pte_present(*pte)) {
		mapped = ioremap(phys, PAGE_SIZE);
		if (!mapped) {
			report("skipped: 0x%llx not mapped", (unsigned long long)phys);
			return;
		}
		va = (unsigned long)mapped;
	}
	r.rbx = va;
	r.rcx = PAGE_SIZE;
	tv_call(&hc, n, &r);
	if (mapped)
		iounmap(mapped);
	report("result %lld", (long long)r.rax);
}

/* status_rom: the VMM writes its report over the BIOS ROM at 0xF0000. A VMM
 * that writes guest-physical memory without checking it is RAM scribbles on
 * (shadowed) firmware or device memory. */
static void atk_status_rom(void)
{
	status_attack(0xf0000);
}

/* status_vga: the same with the VGA text buffer at 0xB8000 (MMIO). */
static void atk_status_vga(void)
{
	status_attack(0xb8000);
}

/* ---- hypercall fuzzing ------------------------------------------------- */

/*
 * fuzz: `count` (default 100000) random hypercalls from kernel mode (CPL 0),
 * seeded by `seed` (default 1), the kernel-mode twin of guest/tools/hcfuzz.c.
 * A kernel caller reaches what a user caller cannot: supervisor pages, so the
 * VMM's checks of page protections, of what is guest RAM and of its own
 * region are what stands between the fuzzer and a corrupted guest or VMM.
 *
 * Service numbers: 3/4 valid (enumerated with list_services), the rest just
 * past the last service, a valid number with bits above 31 set (unknown in
 * 64-bit mode: the VMM must not truncate) or anything at all. Skipped:
 * integrity (it hashes the whole VMM image on every call: cost, not safety).
 * Registers RBX..RDI: random values, small indices, lengths (0, 1, page
 * sizes +-1, 2^32, 2^63, ~0) and pointers, each one of
 *   - a kmalloc'd 16 KiB buffer (pointers into its first 8 KiB, so the
 *     VMM's longest answer, 4 KiB of status text, stays inside; page
 *     crossings included);
 *   - a read-only alias (vmap PAGE_KERNEL_RO) of a page filled with a
 *     pattern, and a page of this module's rodata (checksummed);
 *   - kernel text (_printk's pages, checksummed);
 *   - user addresses: 0, 0x1000, the last page of the user half (never
 *     mapped; with a length it crosses into the non-canonical hole);
 *   - non-canonical addresses;
 *   - the VMM's own region, from vmm=BASE[-END] (hex, as in the VMM log line
 *     "VMM memory reserved: N KiB at BASE-END"; END defaults to BASE plus
 *     the status report's vmm_reserved_bytes): ioremap'd first and last
 *     page, its direct-map address and the raw physical address;
 *   - MMIO and firmware: ioremap'd local APIC (0xFEE00000) and I/O APIC
 *     (0xFEC00000), direct-map addresses of the BIOS ROM (0xF0000) and VGA
 *     text buffer (0xB8000).
 * Checked after the run: the read-only pages and kernel text are unchanged;
 * the VMM's status counters (the same report hcfuzz reads) grew by exactly
 * the calls made plus one (the closing status call), unknown by exactly the
 * calls with an unknown number, denied by 0; every unknown number answered
 * TV_ERR_UNKNOWN_SERVICE, nop 0, hello 10 and kernel_echo its RBX.
 * Prints "tvattack: fuzz stats: ..." and then "ok calls=N", or "FAIL ..."
 * with the numbers. Preemptible: cond_resched() every 1000 calls.
 */
static unsigned long seed = 1;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "seed for fuzz (default 1)");

static char *vmm = "";
module_param(vmm, charp, 0444);
MODULE_PARM_DESC(vmm, "the VMM's region for fuzz: BASE[-END], hex");

#define FUZZ_RW_BYTES (16 * 1024) /* pointers go into the first half */
#define FUZZ_STATUS_BYTES (16 * 1024)
#define FUZZ_TEXT_BYTES (3 * PAGE_SIZE)
#define FUZZ_MAX_SERVICES 64
#define FUZZ_MAX_TARGETS 16

/* A page of this module's rodata (read-only once the module is formed). */
static const u8 fuzz_rodata[PAGE_SIZE] __aligned(PAGE_SIZE) = { 0x5a, 0xa5, 0x3c };

struct fuzz_state {
	struct tv_hypercall hc;
	u64 rng;
	u8 *rw;
	u8 *ro;			/* the read-only alias */
	struct page *ro_page;	/* its page, written through the direct map */
	unsigned long text;	/* start of the checksummed kernel text */
	unsigned long vmm_base, vmm_end;
	void __iomem *maps[4];	/* ioremaps to undo */
	unsigned int nmaps;
	u64 vmm_targets[FUZZ_MAX_TARGETS];
	unsigned int nvmm;
	u64 mmio_targets[FUZZ_MAX_TARGETS];
	unsigned int nmmio;
	u64 numbers[FUZZ_MAX_SERVICES];
	unsigned int nnumbers, nservices;
	u64 calls_of[FUZZ_MAX_SERVICES];	/* fuzz calls per valid number */
	u64 nr_status, nr_skip, nr_nop, nr_hello, nr_echo;
	char *status_buf;
};

static u64 fuzz_next(struct fuzz_state *f)	/* xorshift64*, as hcfuzz */
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545F4914F6CDD1DULL;
}

static u64 fnv1a(const void *p, size_t n)
{
	const u8 *b = p;
	u64 h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static u8 ro_pattern(unsigned int i)
{
	return (u8)(i * 7 + 3);
}

/* The value of "KEY N" in the status report, -1 if absent. */
static long long fuzz_counter(const char *report, const char *key)
{
	size_t klen = strlen(key);
	const char *line = report;

	while (line && *line) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			const char *p = line + klen + 1;
			long long v = 0;

			if (*p < '0' || *p > '9')
				return -1;
			while (*p >= '0' && *p <= '9')
				v = v * 10 + (*p++ - '0');
			return v;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

struct fuzz_snapshot {
	long long total, unknown, denied, vmm_bytes;
};

static struct fuzz_snapshot fuzz_snapshot(struct fuzz_state *f)
{
	struct fuzz_snapshot s = { -1, -1, -1, -1 };
	struct tv_regs r = { 0, 0, 0, 0, 0, 0 };

	memset(f->status_buf, 0, FUZZ_STATUS_BYTES);
	r.rbx = (unsigned long)f->status_buf;
	r.rcx = FUZZ_STATUS_BYTES - 1;
	f->hc.insn = TV_INSN_VMMCALL;
	tv_call(&f->hc, f->nr_status, &r);
	if (r.rax != 0)
		return s;
	s.total = fuzz_counter(f->status_buf, "hypercalls_total");
	s.unknown = fuzz_counter(f->status_buf, "hypercalls_unknown");
	s.denied = fuzz_counter(f->status_buf, "hypercalls_denied");
	s.vmm_bytes = fuzz_counter(f->status_buf, "vmm_reserved_bytes");
	return s;
}

/* Service numbers by list_services; integrity left out. 0 on success. */
static int fuzz_find_services(struct fuzz_state *f)
{
	tv_u64 nr_list = tv_lookup(&f->hc, "list_services");
	char name[TV_MAX_NAME];
	unsigned int i;

	f->nr_status = tv_lookup(&f->hc, "status");
	f->nr_skip = tv_lookup(&f->hc, "integrity");
	f->nr_nop = tv_lookup(&f->hc, "nop");
	f->nr_hello = tv_lookup(&f->hc, "hello");
	f->nr_echo = tv_lookup(&f->hc, "kernel_echo");
	if (nr_list == 0 || f->nr_status == 0)
		return -1;
	for (i = 0; i < FUZZ_MAX_SERVICES; i++) {
		struct tv_regs r = { 0, i, (unsigned long)name, sizeof(name), 0, 0 };

		tv_call(&f->hc, nr_list, &r);
		if (r.rax == TV_ERR_BAD_ARGUMENT)
			break;
		if ((long long)r.rax <= 0)
			return -1;
		f->nservices = r.rax;
		if (i != f->nr_skip || f->nr_skip == 0)
			f->numbers[f->nnumbers++] = i;
	}
	return f->nnumbers ? 0 : -1;
}

static void fuzz_add_map(struct fuzz_state *f, u64 *targets, unsigned int *n,
			 phys_addr_t phys)
{
	void __iomem *p;

	if (f->nmaps >= ARRAY_SIZE(f->maps) || *n >= FUZZ_MAX_TARGETS)
		return;
	p = ioremap(phys, PAGE_SIZE);
	if (!p) {
		pr_info("tvattack: fuzz setup: ioremap of 0x%llx failed, left out\n",
			(unsigned long long)phys);
		return;
	}
	f->maps[f->nmaps++] = p;
	targets[(*n)++] = (unsigned long)p;
}

static void fuzz_add(u64 *targets, unsigned int *n, u64 va)
{
	if (*n < FUZZ_MAX_TARGETS)
		targets[(*n)++] = va;
}

/* Parses vmm=BASE[-END]; 0 if absent or malformed. */
static void fuzz_parse_vmm(struct fuzz_state *f, long long reserved)
{
	char buf[64], *dash;

	if (!vmm || !*vmm)
		return;
	strscpy(buf, vmm, sizeof(buf));
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = 0;
	if (kstrtoul(buf, 16, &f->vmm_base) != 0) {
		f->vmm_base = 0;
		return;
	}
	if (dash && kstrtoul(dash, 16, &f->vmm_end) == 0 && f->vmm_end > f->vmm_base)
		return;
	f->vmm_end = reserved > 0 ? f->vmm_base + reserved : f->vmm_base + PAGE_SIZE;
}

static const u64 fuzz_lengths[] = {
	0, 1, 64, 255, 256, 4095, 4096, 4097, 8192, 0x10000, 0xffffffffULL,
	0x100000000ULL, 1ULL << 63, ~0ULL, ~0ULL - 4095,
};

static const u64 fuzz_noncanonical[] = {
	/* + up to 0xfff each: all stay non-canonical (4-level paging) */
	0x0000800000000000ULL, 0x00007ffffffff000ULL + 0x2000, 0x8000000000000000ULL,
	0xffff7ffffffff000ULL, 0x1234567890abcdefULL,
};

static u64 fuzz_pick(const u64 *v, unsigned int n, u64 r)
{
	return n ? v[r % n] : r;
}

static u64 fuzz_arg(struct fuzz_state *f)
{
	u64 r = fuzz_next(f), x = r >> 8;

	switch (r & 15) {
	case 0:
	case 1: return (unsigned long)(f->rw + x % (FUZZ_RW_BYTES / 2));
	case 2: return (unsigned long)(f->ro + x % PAGE_SIZE);
	case 3: return (unsigned long)(fuzz_rodata + x % PAGE_SIZE);
	case 4: return f->text + x % FUZZ_TEXT_BYTES;
	case 5:
		switch (x & 3) {
		case 0: return 0;
		case 1: return 0x1000 + (x >> 2) % PAGE_SIZE;
		default: return TASK_SIZE_MAX + (x >> 2) % PAGE_SIZE; /* its last page */
		}
	case 6: return fuzz_noncanonical[x % ARRAY_SIZE(fuzz_noncanonical)] + ((x >> 8) & 0xfff);
	case 7: return fuzz_pick(f->vmm_targets, f->nvmm, x) + ((x >> 16) % PAGE_SIZE);
	case 8: return fuzz_pick(f->mmio_targets, f->nmmio, x) + ((x >> 16) % PAGE_SIZE);
	case 9:
	case 10: return fuzz_lengths[x % ARRAY_SIZE(fuzz_lengths)];
	case 11: return x & 0xf;
	default: return fuzz_next(f);
	}
}

static void atk_fuzz(void)
{
	unsigned int n = count_or(100000), i;
	struct fuzz_snapshot before, after;
	struct fuzz_state *f;
	struct page *pages[1];
	u64 text_sum, ro_sum, made = 0, unknown = 0, wrong = 0, first_wrong_nr = 0,
	    first_wrong_rax = 0, vmcalls = 0, t0, t1;
	unsigned int level, written = 0, hit = 0, j;
	pte_t *pte;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		report("skipped: no memory");
		return;
	}
	if (tv_hypercall_init(&f->hc) != 0) {
		report("skipped: not under thinvisor");
		goto out_free;
	}
	f->rng = seed ? seed : 1;
	f->rw = kzalloc(FUZZ_RW_BYTES, GFP_KERNEL);
	f->status_buf = kzalloc(FUZZ_STATUS_BYTES, GFP_KERNEL);
	f->ro_page = alloc_page(GFP_KERNEL);
	if (!f->rw || !f->status_buf || !f->ro_page) {
		report("skipped: no memory");
		goto out_free;
	}
	for (j = 0; j < PAGE_SIZE; j++)
		((u8 *)page_address(f->ro_page))[j] = ro_pattern(j);
	pages[0] = f->ro_page;
	f->ro = vmap(pages, 1, VM_MAP, PAGE_KERNEL_RO);
	if (!f->ro) {
		report("skipped: vmap failed");
		goto out_free;
	}
	pte = lookup_address((unsigned long)f->ro, &level);
	if (!pte || pte_write(*pte)) {
		report("skipped: the read-only alias is writable");
		goto out_free;
	}
	pte = lookup_address((unsigned long)fuzz_rodata, &level);
	if (!pte || pte_write(*pte)) {
		report("skipped: the module's rodata is writable");
		goto out_free;
	}
	if (fuzz_find_services(f) != 0) {
		report("skipped: services not found");
		goto out_free;
	}
	before = fuzz_snapshot(f);
	if (before.total < 0) {
		report("FAIL status report unreadable before the run");
		goto out_free;
	}
	fuzz_parse_vmm(f, before.vmm_bytes);
	if (f->vmm_base) {
		fuzz_add_map(f, f->vmm_targets, &f->nvmm, f->vmm_base);
		fuzz_add_map(f, f->vmm_targets, &f->nvmm, (f->vmm_end - 1) & PAGE_MASK);
		fuzz_add(f->vmm_targets, &f->nvmm, (unsigned long)__va(f->vmm_base));
		fuzz_add(f->vmm_targets, &f->nvmm, (unsigned long)__va((f->vmm_end - 1) & PAGE_MASK));
		fuzz_add(f->vmm_targets, &f->nvmm, f->vmm_base);
	}
	fuzz_add_map(f, f->mmio_targets, &f->nmmio, APIC_PHYS);
	fuzz_add_map(f, f->mmio_targets, &f->nmmio, 0xfec00000UL);
	fuzz_add(f->mmio_targets, &f->nmmio, (unsigned long)__va(0xf0000));
	fuzz_add(f->mmio_targets, &f->nmmio, (unsigned long)__va(0xb8000));

	f->text = (unsigned long)_printk & PAGE_MASK;
	text_sum = fnv1a((const void *)f->text, FUZZ_TEXT_BYTES);
	ro_sum = fnv1a(fuzz_rodata, PAGE_SIZE);

	/* The snapshot above counted itself: it is not part of the run. */
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		u64 pick = fuzz_next(f), number, rbx;
		struct tv_regs r;

		switch (pick & 7) {
		case 0: number = f->nservices + ((pick >> 8) & 7); break;
		case 1:
			number = (pick & 0x80) ? fuzz_next(f)
					       : (1ULL << (32 + (pick >> 8) % 32)) | f->numbers[(pick >> 16) % f->nnumbers];
			break;
		default: number = f->numbers[(pick >> 8) % f->nnumbers]; break;
		}
		r.rax = 0;
		r.rbx = rbx = fuzz_arg(f);
		r.rcx = fuzz_arg(f);
		r.rdx = fuzz_arg(f);
		r.rsi = fuzz_arg(f);
		r.rdi = fuzz_arg(f);
		if (number == f->nr_skip && f->nr_skip != 0)
			continue;
		f->hc.insn = (pick & 0x700) == 0 ? TV_INSN_VMCALL : TV_INSN_VMMCALL;
		vmcalls += f->hc.insn == TV_INSN_VMCALL;
		tv_call(&f->hc, number, &r);
		made++;
		if (number >= f->nservices) {
			unknown++;
			if (r.rax != TV_ERR_UNKNOWN_SERVICE && !wrong++) {
				first_wrong_nr = number;
				first_wrong_rax = r.rax;
			}
		} else {
			u64 want = number == f->nr_nop ? 0 : number == f->nr_hello ? 10 :
				   number == f->nr_echo ? rbx : r.rax;

			f->calls_of[number]++;
			if (r.rax != want && !wrong++) {
				first_wrong_nr = number;
				first_wrong_rax = r.rax;
			}
		}
		if (i % 1000 == 999)
			cond_resched();
	}
	t1 = ktime_get_ns();
	f->hc.insn = TV_INSN_VMMCALL;
	after = fuzz_snapshot(f);

	for (j = 0; j < FUZZ_RW_BYTES; j++)
		written += f->rw[j] != 0;
	for (j = 0; j < f->nservices && j < FUZZ_MAX_SERVICES; j++)
		hit += f->calls_of[j] ? 1 : 0;
	pr_info("tvattack: fuzz stats: calls=%llu counted=%lld expected=%llu unknown=%llu counted_unknown=%lld "
		"denied=%lld vmcall=%llu services_hit=%llu/%u wrong_answers=%llu rw_bytes_written=%u "
		"vmm=%lx-%lx vmm_targets=%u mmio_targets=%u seed=%lu ns_per_call=%llu\n",
		made, after.total - before.total, made + 1, unknown, after.unknown - before.unknown,
		after.denied - before.denied, vmcalls, (unsigned long long)hit, f->nservices, wrong, written,
		f->vmm_base, f->vmm_end, f->nvmm, f->nmmio, seed, made ? (t1 - t0) / made : 0);
	if (after.total < 0)
		report("FAIL status report unreadable after the run");
	else if (after.total - before.total != (long long)made + 1)
		report("FAIL hypercalls_total grew by %lld, expected %llu (calls=%llu)",
		       after.total - before.total, made + 1, made);
	else if (after.unknown - before.unknown != (long long)unknown)
		report("FAIL hypercalls_unknown grew by %lld, expected %llu", after.unknown - before.unknown, unknown);
	else if (after.denied != before.denied)
		report("FAIL hypercalls_denied grew by %lld for a kernel caller", after.denied - before.denied);
	else if (wrong)
		report("FAIL %llu wrong answers, first: service 0x%llx returned 0x%llx", wrong,
		       first_wrong_nr, first_wrong_rax);
	else if (fnv1a((const void *)f->text, FUZZ_TEXT_BYTES) != text_sum)
		report("FAIL kernel text at 0x%lx changed", f->text);
	else if (fnv1a(fuzz_rodata, PAGE_SIZE) != ro_sum)
		report("FAIL the module's rodata page changed");
	else {
		for (j = 0; j < PAGE_SIZE; j++)
			if (((u8 *)page_address(f->ro_page))[j] != ro_pattern(j))
				break;
		if (j < PAGE_SIZE)
			report("FAIL the read-only page changed at offset %u", j);
		else
			report("ok calls=%llu", made);
	}

out_free:
	while (f->nmaps)
		iounmap(f->maps[--f->nmaps]);
	if (f->ro)
		vunmap(f->ro);
	if (f->ro_page)
		__free_page(f->ro_page);
	kfree(f->status_buf);
	kfree(f->rw);
	kfree(f);
}

/* ---- module-watch reports (drvhook) ----------------------------------- */

/*
 * Forged reports to the module-watch agent's service (docs/module-watch.md):
 * each passes one bad argument and otherwise plausible ones, and must be
 * refused with its own error, changing nothing: "result -64" .. "result -72".
 */
#define DRVHOOK_BASE 0xffffffffc0000000UL /* the start of the module area */
#define DRVHOOK_SIZE 0x3000UL

static void drvhook_forge(tv_u64 event, tv_u64 name, tv_u64 base, tv_u64 size)
{
	struct tv_hypercall hc;
	struct tv_regs r = { 0, 0, 0, 0, 0, 0 };
	tv_u64 n;

	n = lookup_or_skip(&hc, "drvhook");
	if (n == 0)
		return;
	r.rbx = event;
	r.rcx = name;
	r.rdx = base;
	r.rsi = size;
	tv_call(&hc, n, &r);
	report("result %lld", (long long)r.rax);
}

static const char drvhook_name[] = "tvattack_forged";

static void drvhook_named(tv_u64 event, const char *name, tv_u64 base, tv_u64 size)
{
	drvhook_forge(event, (unsigned long)name, base, size);
}

/* drvhook_event: event 7 (-64). */
static void atk_drvhook_event(void)
{
	drvhook_named(7, drvhook_name, DRVHOOK_BASE, DRVHOOK_SIZE);
}

/* drvhook_name_noncanonical: the name at 0x8000000000000000 (-65). */
static void atk_drvhook_name_noncanonical(void)
{
	drvhook_forge(2, 0x8000000000000000ULL, DRVHOOK_BASE, DRVHOOK_SIZE);
}

/* drvhook_name_null: the name at address 0 (-65). */
static void atk_drvhook_name_null(void)
{
	drvhook_forge(2, 0, DRVHOOK_BASE, DRVHOOK_SIZE);
}

/*
 * drvhook_name_page_end: an unterminated name in the last bytes of a vmalloc
 * page, so the read runs into the guard page after it (-65).
 */
static void atk_drvhook_name_page_end(void)
{
	char *p = vmalloc(PAGE_SIZE);

	if (!p) {
		report("skipped: vmalloc failed");
		return;
	}
	memset(p, 'a', PAGE_SIZE);
	drvhook_named(2, p + PAGE_SIZE - 8, DRVHOOK_BASE, DRVHOOK_SIZE);
	vfree(p);
}

/* drvhook_name_long: a 100-byte name, longer than MODULE_NAME_LEN (56) (-66). */
static void atk_drvhook_name_long(void)
{
	char name[101];

	memset(name, 'a', 100);
	name[100] = '\0';
	drvhook_named(2, name, DRVHOOK_BASE, DRVHOOK_SIZE);
}

/* drvhook_name_forged_line: a name with a newline and a fake log line (-67). */
static void atk_drvhook_name_forged_line(void)
{
	drvhook_named(2, "x\nthinvisor: integrity check on request: intact", DRVHOOK_BASE, DRVHOOK_SIZE);
}

/* drvhook_name_empty: "" (-67). */
static void atk_drvhook_name_empty(void)
{
	drvhook_named(2, "", DRVHOOK_BASE, DRVHOOK_SIZE);
}

/* drvhook_base_user: a base in the user half (-68). */
static void atk_drvhook_base_user(void)
{
	drvhook_named(2, drvhook_name, 0x400000, DRVHOOK_SIZE);
}

/* drvhook_base_noncanonical: a non-canonical base (-68). */
static void atk_drvhook_base_noncanonical(void)
{
	drvhook_named(2, drvhook_name, 0xffff000000000000ULL, DRVHOOK_SIZE);
}

/* drvhook_size_zero: size 0 (-69). */
static void atk_drvhook_size_zero(void)
{
	drvhook_named(2, drvhook_name, DRVHOOK_BASE, 0);
}

/* drvhook_size_huge: 1 GiB, more than any module (-69). */
static void atk_drvhook_size_huge(void)
{
	drvhook_named(2, drvhook_name, DRVHOOK_BASE, 1ULL << 30);
}

/* drvhook_size_wrap: base + size past 2^64 (-70). */
static void atk_drvhook_size_wrap(void)
{
	drvhook_named(2, drvhook_name, 0xfffffffffffff000ULL, 0x2000);
}

/* drvhook_going_unknown: GOING for a module never reported (-72). */
static void atk_drvhook_going_unknown(void)
{
	drvhook_named(3, drvhook_name, DRVHOOK_BASE, DRVHOOK_SIZE);
}

/* ---- table ------------------------------------------------------------- */

static const struct tv_oneshot_op attacks[] = {
	{ "efer_lmsle", atk_efer_lmsle },
	{ "cr0_nw", atk_cr0_nw },
	{ "cr0_high", atk_cr0_high },
	{ "cr4_reserved", atk_cr4_reserved },
	{ "cr3_high", atk_cr3_high },
	{ "cs_ld", atk_cs_ld },
	{ "dr_exec", atk_dr_exec },
	{ "dr_data", atk_dr_data },
	{ "ioremap_touch", atk_ioremap_touch },
	{ "pm1a_sleep", atk_pm1a_sleep },
	{ "init_self", atk_init_self },
	{ "init_all_excl", atk_init_all_excl },
	{ "init_phys", atk_init_phys },
	{ "sipi_all", atk_sipi_all },
	{ "smi_self", atk_smi_self },
	{ "nmi_self", atk_nmi_self },
	{ "msi_init", atk_msi_init },
	{ "msi_smi", atk_msi_smi },
	{ "lvt_smi", atk_lvt_smi },
	{ "ioapic_smi", atk_ioapic_smi },
	{ "apic_base_move", atk_apic_base_move },
	{ "a20_off", atk_a20_off },
	{ "a20_8042", atk_a20_8042 },
	{ "reset_92", atk_reset_92 },
	{ "reset_cf9", atk_reset_cf9 },
	{ "reset_8042", atk_reset_8042 },
	{ "status_rom", atk_status_rom },
	{ "status_vga", atk_status_vga },
	{ "fuzz", atk_fuzz },
	{ "drvhook_event", atk_drvhook_event },
	{ "drvhook_name_noncanonical", atk_drvhook_name_noncanonical },
	{ "drvhook_name_null", atk_drvhook_name_null },
	{ "drvhook_name_page_end", atk_drvhook_name_page_end },
	{ "drvhook_name_long", atk_drvhook_name_long },
	{ "drvhook_name_forged_line", atk_drvhook_name_forged_line },
	{ "drvhook_name_empty", atk_drvhook_name_empty },
	{ "drvhook_base_user", atk_drvhook_base_user },
	{ "drvhook_base_noncanonical", atk_drvhook_base_noncanonical },
	{ "drvhook_size_zero", atk_drvhook_size_zero },
	{ "drvhook_size_huge", atk_drvhook_size_huge },
	{ "drvhook_size_wrap", atk_drvhook_size_wrap },
	{ "drvhook_going_unknown", atk_drvhook_going_unknown },
};

static int __init tvattack_init(void)
{
	return tv_oneshot_run("tvattack", "attack", attacks, ARRAY_SIZE(attacks), attack, &cur);
}

module_init(tvattack_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinvisor: hostile-guest attacks on the hypervisor, one per insmod");
