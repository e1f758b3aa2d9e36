// SPDX-License-Identifier: GPL-2.0
/*
 * thinvisor_modwatch: the in-guest agent of thinvisor's module watch
 * (docs/module-watch.md). It tells the hypervisor about every kernel-module
 * load, unload and failed load through the kernel-only `drvhook` hypercall,
 * the service BitVisor's k2e drvhook agent called (seed 002).
 *
 * The seed hooked init_module/finit_module through sys_call_table; on today's
 * kernels that table is unexported, CR0.WP is pinned and x86-64 no longer
 * dispatches system calls through it. The supported interface is the module
 * notifier chain: the loader calls it with MODULE_STATE_COMING once the module
 * is laid out and relocated (before its init runs), MODULE_STATE_LIVE after
 * init succeeded, and MODULE_STATE_GOING when init failed or the module is
 * being unloaded. Each becomes one report:
 *
 *   drvhook  RBX = 1 COMING / 2 LIVE / 3 GOING, RCX = mod->name,
 *            RDX = text base, RSI = size
 *
 * Base and size are the module's core allocation, whose start is its .text
 * (/sys/module/NAME/sections/.text) and whose size is /sys/module/NAME/coresize:
 * mod->core_layout on kernels before 6.4, mod->mem[MOD_TEXT] from 6.4 on
 * (there the size is the text's alone; coresize also counts data).
 *
 * Limits: modules loaded before this one are not reported (the notifier
 * chain has no replay; the VMM's agentless detector sees those). The agent's
 * own load is reported as LIVE only (it registers during its init), and its
 * own unload not at all (the kernel calls its exit before the GOING notifier).
 *
 *   insmod thinvisor_modwatch.ko
 *
 * prints "thinvisor_modwatch: watching module loads (drvhook N)"; without
 * thinvisor, or without the service, the load fails with -ENODEV.
 */
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/printk.h>
#include <linux/version.h>

#include <thinvisor/modwatch.h>

static struct tv_hypercall hc;
static tv_u64 drvhook_nr;

static void module_range(const struct module *mod, unsigned long *base, unsigned long *size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	*base = (unsigned long)mod->mem[MOD_TEXT].base;
	*size = mod->mem[MOD_TEXT].size;
#else
	*base = (unsigned long)mod->core_layout.base;
	*size = mod->core_layout.size;
#endif
}

static int on_module_event(struct notifier_block *nb, unsigned long action, void *data)
{
	struct module *mod = data;
	struct tv_regs r = { 0, 0, 0, 0, 0, 0 };
	unsigned long base, size;

	switch (action) {
	case MODULE_STATE_COMING:
		r.rbx = TV_MOD_COMING;
		break;
	case MODULE_STATE_LIVE:
		r.rbx = TV_MOD_LIVE;
		break;
	case MODULE_STATE_GOING:
		r.rbx = TV_MOD_GOING;
		break;
	default:
		return NOTIFY_DONE;
	}
	module_range(mod, &base, &size);
	r.rcx = (unsigned long)mod->name;
	r.rdx = base;
	r.rsi = size;
	tv_call(&hc, drvhook_nr, &r);
	if (r.rax != 0)
		pr_warn_ratelimited("thinvisor_modwatch: report %llu of %s refused: %s\n",
				    (unsigned long long)r.rbx, mod->name, tv_mod_strerror(r.rax));
	return NOTIFY_DONE;
}

static struct notifier_block modwatch_nb = {
	.notifier_call = on_module_event,
};

static int __init modwatch_init(void)
{
	int err;

	if (tv_hypercall_init(&hc) != 0) {
		pr_err("thinvisor_modwatch: not under thinvisor\n");
		return -ENODEV;
	}
	drvhook_nr = tv_lookup(&hc, "drvhook");
	if (drvhook_nr == 0) {
		pr_err("thinvisor_modwatch: the VMM has no drvhook service\n");
		return -ENODEV;
	}
	err = register_module_notifier(&modwatch_nb);
	if (err)
		return err;
	pr_info("thinvisor_modwatch: watching module loads (drvhook %llu)\n",
		(unsigned long long)drvhook_nr);
	return 0;
}

static void __exit modwatch_exit(void)
{
	unregister_module_notifier(&modwatch_nb);
	pr_info("thinvisor_modwatch: stopped\n");
}

module_init(modwatch_init);
module_exit(modwatch_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinvisor: reports guest module loads to the hypervisor (drvhook)");
