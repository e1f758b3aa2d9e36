// SPDX-License-Identifier: GPL-2.0
/*
 * thinvisor_testmod: a module that does nothing but load and unload, for the
 * module watch's tests (docs/module-watch.md). It prints
 * "thinvisor_testmod: loaded" and "thinvisor_testmod: unloaded".
 *
 * It also has one read-only parameter, /sys/module/thinvisor_testmod/parameters/name
 * ("thinvisor_testmod"), so that it has code in .text: the tests compare the
 * reported base with /sys/module/thinvisor_testmod/sections/.text, which the
 * kernel creates only for a non-empty section, and GCC moves code reached only
 * from init and exit into .text.unlikely.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/sysfs.h>

static int get_name(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", THIS_MODULE->name);
}

static const struct kernel_param_ops name_ops = {
	.get = get_name,
};
module_param_cb(name, &name_ops, NULL, 0444);
MODULE_PARM_DESC(name, "the module's name (read-only)");

static int __init testmod_init(void)
{
	pr_info("thinvisor_testmod: loaded\n");
	return 0;
}

static void __exit testmod_exit(void)
{
	pr_info("thinvisor_testmod: unloaded\n");
}

module_init(testmod_init);
module_exit(testmod_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinvisor: a module that only loads and unloads (module watch tests)");
