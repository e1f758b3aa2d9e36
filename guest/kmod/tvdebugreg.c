// SPDX-License-Identifier: GPL-2.0
/*
 * tvdebugreg: /dev/tvdebugreg, the kernel-mode side of guest/tools/debugreg.c.
 *
 * thinvisor's debug-register services (set_debugreg, get_debugreg, watch,
 * unwatch, watch_info) take kernel-mode callers only, as MOV DR does on bare
 * metal. This module makes those calls for root (the device is 0600):
 *
 *   TVDR_CALL     one call of an allowed service with RBX, RCX, RDX
 *   TVDR_BENCH    N calls in a row, timed with RDTSC in kernel mode
 *   TVDR_DELIVER  turn hits of hypercall-armed slots into SIGTRAP for the caller
 *   TVDR_LAST     the DR6 the kernel's #DB handler saw for the last such hit
 *   TVDR_GD_TEST  MOV DR7 with GD set, then MOV from DR0: the general-detect
 *                 #DB must reach this kernel (seen by a die notifier)
 *
 * Why TVDR_DELIVER: Linux 6.1's hw_breakpoint_handler() swallows a #DB whose
 * DR6 names only slots its perf layer did not allocate (NOTIFY_STOP, no
 * signal). A breakpoint armed through set_debugreg is such a slot. A kprobe on
 * hw_breakpoint_exceptions_notify() marks the hit in the task's virtual_dr6
 * first, as ptrace's trigger does, so the kernel sends the ordinary SIGTRAP
 * with si_code TRAP_HWBKPT. The #DB itself is the one thinvisor reflected.
 */
#include <linux/fs.h>
#include <linux/kdebug.h>
#include <linux/kprobes.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include <thinvisor/debugreg.h>

static struct tv_hypercall hc;
static struct task_struct *deliver_task; /* compared, never dereferenced */
static unsigned long deliver_mask;
static unsigned long last_dr6;
static unsigned long delivered_hits;
static bool probe_registered;

static const char *const allowed[] = { "set_debugreg", "get_debugreg", "watch", "unwatch", "watch_info", "nop" };

static bool service_allowed(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(allowed); i++)
		if (strcmp(name, allowed[i]) == 0)
			return true;
	return false;
}

static int on_debug_notify(struct kprobe *p, struct pt_regs *regs)
{
	/* hw_breakpoint_exceptions_notify(nb, val, data): data is struct die_args *. */
	struct die_args *args = (struct die_args *)regs->dx;
	unsigned long *dr6;
	unsigned long mine;

	if (regs->si != DIE_DEBUG || current != READ_ONCE(deliver_task))
		return 0;
	dr6 = (unsigned long *)args->err;
	mine = *dr6 & READ_ONCE(deliver_mask);
	if (mine) {
		last_dr6 = *dr6;
		delivered_hits++;
		current->thread.virtual_dr6 |= mine;
	}
	return 0;
}

static struct kprobe debug_probe = {
	.symbol_name = "hw_breakpoint_exceptions_notify",
	.pre_handler = on_debug_notify,
};

/* ---- TVDR_GD_TEST ---- */
static unsigned long gd_dr6;
static int on_die(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;

	if (val == DIE_DEBUG)
		gd_dr6 |= *(unsigned long *)args->err;
	return NOTIFY_DONE;
}
static struct notifier_block gd_nb = { .notifier_call = on_die };

static long do_gd_test(tv_u64 __user *uarg)
{
	unsigned long dr7, dr0;
	tv_u64 seen;

	register_die_notifier(&gd_nb);
	gd_dr6 = 0;
	preempt_disable();
	asm volatile("mov %%dr7, %0" : "=r"(dr7));
	asm volatile("mov %0, %%dr7" : : "r"(dr7 | (1UL << 13)));
	/* Faults with #DB (BD); the CPU clears GD, the handler returns here and the MOV runs. */
	asm volatile("mov %%dr0, %0" : "=r"(dr0));
	asm volatile("mov %0, %%dr7" : : "r"(dr7));
	preempt_enable();
	unregister_die_notifier(&gd_nb);
	seen = gd_dr6;
	return copy_to_user(uarg, &seen, sizeof(seen)) ? -EFAULT : 0;
}

static long do_call(struct tvdr_call __user *uarg)
{
	struct tvdr_call c;
	struct tv_regs r = { 0, 0, 0, 0, 0, 0 };
	tv_u64 n;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	c.service[sizeof(c.service) - 1] = '\0';
	if (!service_allowed(c.service))
		return -EPERM;
	n = tv_lookup(&hc, c.service);
	if (n == 0)
		return -ENOENT;
	r.rbx = c.rbx;
	r.rcx = c.rcx;
	r.rdx = c.rdx;
	tv_call(&hc, n, &r);
	c.out_rax = r.rax;
	c.out_rbx = r.rbx;
	c.out_rcx = r.rcx;
	c.out_rdx = r.rdx;
	c.out_rsi = r.rsi;
	return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
}

static long do_bench(struct tvdr_bench __user *uarg)
{
	struct tvdr_bench b;
	struct tv_regs r;
	tv_u64 n, i, start;

	if (copy_from_user(&b, uarg, sizeof(b)))
		return -EFAULT;
	b.service[sizeof(b.service) - 1] = '\0';
	if (!service_allowed(b.service) || b.iterations == 0 || b.iterations > 1000000)
		return -EINVAL;
	n = tv_lookup(&hc, b.service);
	if (n == 0)
		return -ENOENT;
	memset(&r, 0, sizeof(r));
	start = rdtsc_ordered();
	for (i = 0; i < b.iterations; i++) {
		/* RCX alternates with RCX + 8: for set_debugreg every call changes the register. */
		r.rbx = b.rbx;
		r.rcx = b.rcx + (i & 1) * 8;
		tv_call(&hc, n, &r);
	}
	b.out_ticks = rdtsc_ordered() - start;
	b.out_rax = r.rax;
	return copy_to_user(uarg, &b, sizeof(b)) ? -EFAULT : 0;
}

static long tvdr_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct tvdr_deliver d;

	switch (cmd) {
	case TVDR_CALL:
		return do_call((struct tvdr_call __user *)arg);
	case TVDR_BENCH:
		return do_bench((struct tvdr_bench __user *)arg);
	case TVDR_GD_TEST:
		return do_gd_test((tv_u64 __user *)arg);
	case TVDR_DELIVER:
		if (!probe_registered)
			return -EOPNOTSUPP;
		if (copy_from_user(&d, (void __user *)arg, sizeof(d)))
			return -EFAULT;
		WRITE_ONCE(deliver_mask, (unsigned long)d.mask & 0xF);
		WRITE_ONCE(deliver_task, d.mask ? current : NULL);
		return 0;
	case TVDR_LAST:
		memset(&d, 0, sizeof(d));
		d.mask = deliver_mask;
		d.last_dr6 = last_dr6;
		d.hits = delivered_hits;
		return copy_to_user((void __user *)arg, &d, sizeof(d)) ? -EFAULT : 0;
	}
	return -ENOTTY;
}

static int tvdr_release(struct inode *inode, struct file *f)
{
	/* The task that asked for delivery is going away or done: stop. */
	if (READ_ONCE(deliver_task) == current) {
		WRITE_ONCE(deliver_task, NULL);
		WRITE_ONCE(deliver_mask, 0);
	}
	return 0;
}

static const struct file_operations tvdr_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = tvdr_ioctl,
	.release = tvdr_release,
};

static struct miscdevice tvdr_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tvdebugreg",
	.fops = &tvdr_fops,
	.mode = 0600,
};

static int __init tvdr_init(void)
{
	int err;

	if (tv_hypercall_init(&hc) != 0) {
		pr_info("tvdebugreg: not under thinvisor\n");
		return -ENODEV;
	}
	err = register_kprobe(&debug_probe);
	probe_registered = err == 0;
	if (err)
		pr_info("tvdebugreg: no kprobe on %s (%d): no SIGTRAP delivery\n", debug_probe.symbol_name, err);
	err = misc_register(&tvdr_dev);
	if (err) {
		if (probe_registered)
			unregister_kprobe(&debug_probe);
		return err;
	}
	pr_info("tvdebugreg: /dev/tvdebugreg ready%s\n", probe_registered ? ", SIGTRAP delivery on" : "");
	return 0;
}

static void __exit tvdr_exit(void)
{
	misc_deregister(&tvdr_dev);
	if (probe_registered)
		unregister_kprobe(&debug_probe);
}

module_init(tvdr_init);
module_exit(tvdr_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinvisor debug-register hypercalls for root");
