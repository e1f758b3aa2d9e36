/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One operation per insmod, for tvattack.ko and tvdma.ko: module init runs
 * the operation named by a parameter, prints its result line, and fails, so
 * the module never stays loaded and the next insmod works.
 *
 * Loaded once, run once: busybox insmod (the guest's) first tries
 * finit_module(2) and, when that fails for any reason (and ours always
 * does), loads the module again with init_module(2), which would run the
 * operation a second time. So init looks at the system call it runs in
 * (module init runs synchronously in the loading task) and, under
 * init_module, only returns the same error code, silently. Consequence: a
 * loader that uses only init_module (e.g. for a compressed module) never runs
 * an operation; kmod's insmod and busybox's use finit_module for a plain .ko.
 */
#ifndef TV_ONESHOT_H
#define TV_ONESHOT_H

#include <asm/syscall.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>

struct tv_oneshot_op {
	const char *name;
	void (*run)(void);
};

/* True if this load is busybox insmod's init_module retry (see the top). */
static inline bool tv_oneshot_is_retry(void)
{
	return !in_ia32_syscall() && syscall_get_nr(current, current_pt_regs()) == __NR_init_module;
}

/*
 * Runs the entry of ops[0..n) called name (setting *cur to its name first,
 * for its result line) unless this is the retry; returns -ECANCELED. An
 * unknown name logs "MODULE: unknown WHAT 'NAME'" and returns -EINVAL.
 */
static inline int tv_oneshot_run(const char *module, const char *what,
				 const struct tv_oneshot_op *ops, size_t n, const char *name,
				 const char **cur)
{
	bool retry = tv_oneshot_is_retry();
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(name, ops[i].name) == 0) {
			if (!retry) {
				*cur = ops[i].name;
				ops[i].run();
			}
			return -ECANCELED; /* never stay loaded */
		}
	}
	if (!retry)
		pr_err("%s: unknown %s '%s'\n", module, what, name);
	return -EINVAL;
}

#endif /* TV_ONESHOT_H */
