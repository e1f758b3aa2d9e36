// SPDX-License-Identifier: GPL-2.0
/*
 * tvcall: thinvisor hypercalls made from kernel mode (CPL 0), using only the
 * header-only guest SDK <thinvisor/vmmcall.h>.
 *
 * On load it prints one "tvcall: " line per call, meant to be grepped by
 * system tests:
 *
 *   tvcall: thinvisor present, using vmmcall
 *   tvcall: hello(42) = 10                     <- name=/arg= parameters
 *   tvcall: kernel_echo(1234) = 1234
 *   tvcall: lookup(non-canonical pointer) = 0
 *   tvcall: lookup(unmapped pointer) = 0
 *   tvcall: lookup(unknown name) = 0
 *   tvcall: efer clear LME with paging on = refused
 *   tvcall: efer set FFXSR = refused|accepted  (refused where the CPU lacks FFXSR)
 *   tvcall: read guest-physical 0x200000000 = 0x...  (beyond the initial nested map)
 *   tvcall: rdmsr 0xc0002000 = refused|0x...          (outside the SVM MSR map: passed to the CPU)
 *   tvcall: done
 *
 * Values are unsigned decimal; SDK error codes get " (<tv_strerror text>)"
 * appended. If the selected service does not exist the first line reads
 * "tvcall: NAME(ARG) = unknown service (lookup returned 0)"; the module still
 * loads. Without thinvisor it prints "tvcall: not under thinvisor" and the
 * load fails with -ENODEV.
 *
 *   insmod tvcall.ko [name=SERVICE] [arg=N]     (defaults: hello, 42)
 */
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/vmalloc.h>
#include <linux/pgtable.h>

#include <thinvisor/vmmcall.h>

static char *name = "hello";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "service called first with arg in RBX (default \"hello\")");

static unsigned long long arg = 42;
module_param(arg, ullong, 0444);
MODULE_PARM_DESC(arg, "RBX argument for the first call (default 42)");

static void report(const char *what, tv_u64 rax)
{
	const char *err = tv_strerror(rax);

	if (err)
		pr_info("tvcall: %s = %llu (%s)\n", what, (unsigned long long)rax, err);
	else
		pr_info("tvcall: %s = %llu\n", what, (unsigned long long)rax);
}

/* Looks `svc` up and calls it with RBX = a1; prints "tvcall: svc(a1) = RAX". */
static void call_named(const struct tv_hypercall *hc, const char *svc, tv_u64 a1)
{
	struct tv_regs r = { 0, 0, 0, 0, 0, 0 };
	char what[TV_MAX_NAME + 32];
	tv_u64 n = tv_lookup(hc, svc);

	snprintf(what, sizeof(what), "%s(%llu)", svc, (unsigned long long)a1);
	if (n == 0) {
		pr_info("tvcall: %s = unknown service (lookup returned 0)\n", what);
		return;
	}
	r.rbx = a1;
	tv_call(hc, n, &r);
	report(what, r.rax);
}

/*
 * A canonical kernel address that is certainly not mapped right now.
 *
 * Fixed "holes" are fragile: KASLR (CONFIG_RANDOMIZE_BASE, and
 * CONFIG_DYNAMIC_MEMORY_LAYOUT randomises the direct-map/vmalloc/vmemmap
 * bases) and 4- vs 5-level paging move the regions around, and the vmalloc
 * guard pages are not at a predictable address. So: vmalloc one page and vfree
 * it. vfree() clears the kernel PTEs of the area at once
 * (free_unmap_vmap_area -> vunmap_range_noflush); only the TLB flush and the
 * reuse of the virtual range are deferred (lazy purge), so the address stays
 * canonical, stays unmapped in the page tables the VMM walks (the kernel CR3
 * of this CPL-0 caller) and is not handed out again during the few
 * instructions until the hypercall. lookup_address() double-checks that the
 * PTE is gone; if it is not, the caller reports that instead of a misleading
 * result.
 */
static unsigned long freed_vmalloc_address(void)
{
	void *p = vmalloc(PAGE_SIZE);
	unsigned long addr;
	unsigned int level;
	pte_t *pte;

	if (!p)
		return 0;
	/* Something recognisable, in case it ever were read. */
	memcpy(p, "hello", sizeof("hello"));
	addr = (unsigned long)p;
	vfree(p);
	pte = lookup_address(addr, &level);
	if (pte && pte_present(*pte))
		return 0;
	return addr;
}

static void efer_checks(void)
{
	u32 lo, hi;
	int err;

	rdmsr(MSR_EFER, lo, hi);
	/* Clearing LME while paging is on: #GP on every x86-64 CPU. */
	err = wrmsr_safe(MSR_EFER, lo & ~EFER_LME, hi);
	pr_info("tvcall: efer clear LME with paging on = %s\n", err ? "refused" : "accepted");
	if (!err)
		wrmsr(MSR_EFER, lo, hi); /* undo, should it ever be accepted */
	/* FFXSR: refused exactly when this CPU does not implement it. */
	err = wrmsr_safe(MSR_EFER, lo | EFER_FFXSR, hi);
	pr_info("tvcall: efer set FFXSR = %s (cpu %s it)\n", err ? "refused" : "accepted",
		boot_cpu_has(X86_FEATURE_FXSR_OPT) ? "has" : "lacks");
	if (!err)
		wrmsr(MSR_EFER, lo, hi);
}

static void high_read(void)
{
	const phys_addr_t where = 0x200000000ULL; /* 8 GiB: no RAM, no device */
	void __iomem *p = ioremap(where, PAGE_SIZE);

	if (!p) {
		pr_info("tvcall: read guest-physical 0x%llx skipped: ioremap failed\n",
			(unsigned long long)where);
		return;
	}
	pr_info("tvcall: read guest-physical 0x%llx = 0x%x\n", (unsigned long long)where, readl(p));
	iounmap(p);
}

static int __init tvcall_init(void)
{
	struct tv_hypercall hc;
	struct tv_regs r = { 0, 0, 0, 0, 0, 0 };
	unsigned long unmapped;

	if (tv_hypercall_init(&hc) != 0) {
		pr_info("tvcall: not under thinvisor\n");
		return -ENODEV;
	}
	pr_info("tvcall: thinvisor present, using %s\n",
		hc.insn == TV_INSN_VMCALL ? "vmcall" : "vmmcall");

	/* 1. The service selected by the module parameters. */
	call_named(&hc, name, arg);

	/* 2. A kernel-only service: from CPL 0 it echoes RBX. */
	call_named(&hc, "kernel_echo", 1234);

	/*
	 * 3. get_vmmcall_number (service 0) with bad name pointers: must return
	 * 0, never fault the guest or the VMM.
	 *
	 * Non-canonical: bit 63 set with bits 62..47 clear is non-canonical with
	 * both 4-level (bits 63:47 must match) and 5-level paging (bits 63:56
	 * must match), so this holds whatever paging mode the guest runs in.
	 */
	r.rbx = 0x8000000000000000ULL;
	tv_call(&hc, 0, &r);
	report("lookup(non-canonical pointer)", r.rax);

	unmapped = freed_vmalloc_address();
	if (unmapped) {
		memset(&r, 0, sizeof(r));
		r.rbx = unmapped;
		tv_call(&hc, 0, &r);
		report("lookup(unmapped pointer)", r.rax);
	} else {
		pr_info("tvcall: lookup(unmapped pointer) skipped: no unmapped address\n");
	}

	report("lookup(unknown name)", tv_lookup(&hc, "tvcall-no-such-service"));

	/*
	 * 4. EFER writes the CPU itself would refuse must be refused (#GP, which
	 * wrmsr_safe turns into an error) rather than reach the VMM's VMCB.
	 */
	efer_checks();

	/*
	 * 5. Guest-physical memory above what the VMM maps at start-up (RAM and
	 * the 32-bit MMIO hole): the VMM maps it on first touch, so the read
	 * completes (with whatever the platform answers for unassigned space).
	 */
	high_read();

	/*
	 * 6. An MSR outside the ranges of SVM's MSR permission map (here the
	 * first SMCA machine-check bank of AMD Zen): the VMM passes it through
	 * to the CPU, which decides; a CPU without it raises #GP.
	 */
	{
		u64 v = 0;
		int err = rdmsrl_safe(0xc0002000, &v);

		if (err)
			pr_info("tvcall: rdmsr 0xc0002000 = refused\n");
		else
			pr_info("tvcall: rdmsr 0xc0002000 = 0x%llx\n", (unsigned long long)v);
	}

	pr_info("tvcall: done\n");
	return 0;
}

static void __exit tvcall_exit(void)
{
	pr_info("tvcall: unloaded\n");
}

module_init(tvcall_init);
module_exit(tvcall_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinvisor: hypercalls from kernel mode via the guest SDK");
