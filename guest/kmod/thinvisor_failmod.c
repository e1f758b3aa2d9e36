// SPDX-License-Identifier: GPL-2.0
/*
 * thinvisor_failmod: a module whose init fails (-EINVAL), for the module
 * watch's tests (docs/module-watch.md): the kernel lays it out and calls the
 * module notifiers with COMING, then with GOING when init fails, and frees it.
 * busybox insmod tries finit_module(2) and then init_module(2), so one insmod
 * gives two failed loads.
 */
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init failmod_init(void)
{
	pr_info("thinvisor_failmod: failing on purpose\n");
	return -EINVAL;
}

module_init(failmod_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinvisor: a module whose init fails (module watch tests)");
