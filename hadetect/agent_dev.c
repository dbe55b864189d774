// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hadetect: the agents' heartbeat device (include/uapi/linux/hadetect.h).
 *
 * C because the file_operations must carry .owner = THIS_MODULE, so that an open
 * file pins the module (7.2's Rust MiscDevice leaves .owner unset); the table itself,
 * deadlines and records are Rust (agents.rs, policy.rs: hadetect_agent_*()).
 *
 * Context: process, every function.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/hadetect.h>

#include "isolate.h"

/* One open file: the agent it registered, if any (0: none). */
struct hadetect_file {
	struct mutex lock;	/* serialises this file's ioctls */
	u64 id;
};

static int hadetect_dev_open(struct inode *inode, struct file *file)
{
	struct hadetect_file *hf;

	/* The node is 0600; this keeps a chmod from widening access. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	hf = kzalloc(sizeof(*hf), GFP_KERNEL);
	if (!hf)
		return -ENOMEM;
	mutex_init(&hf->lock);
	file->private_data = hf;
	return stream_open(inode, file);
}

static int hadetect_dev_release(struct inode *inode, struct file *file)
{
	struct hadetect_file *hf = file->private_data;

	if (hf->id)
		hadetect_agent_detach(hf->id);
	mutex_destroy(&hf->lock);
	kfree(hf);
	return 0;
}

static long hadetect_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hadetect_file *hf = file->private_data;
	struct hadetect_agent a;
	long ret;

	switch (cmd) {
	case HADETECT_IOC_REGISTER:
		if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
			return -EFAULT;
		mutex_lock(&hf->lock);
		ret = hf->id ? -EBUSY :
		      hadetect_agent_register(a.name, a.period_ms, a.escalate_ms,
					      task_tgid_vnr(current), &hf->id);
		mutex_unlock(&hf->lock);
		return ret;
	case HADETECT_IOC_HEARTBEAT:
		mutex_lock(&hf->lock);
		ret = hf->id ? hadetect_agent_heartbeat(hf->id) : -ENOENT;
		mutex_unlock(&hf->lock);
		return ret;
	case HADETECT_IOC_UNREGISTER:
		mutex_lock(&hf->lock);
		ret = hf->id ? hadetect_agent_unregister(hf->id) : -ENOENT;
		if (!ret)
			hf->id = 0;
		mutex_unlock(&hf->lock);
		return ret;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hadetect_dev_fops = {
	.owner = THIS_MODULE,
	.open = hadetect_dev_open,
	.release = hadetect_dev_release,
	.unlocked_ioctl = hadetect_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice hadetect_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hadetect",
	.fops = &hadetect_dev_fops,
	.mode = 0600,
};

int hadetect_dev_init(void)
{
	return misc_register(&hadetect_dev);
}

void hadetect_dev_exit(void)
{
	misc_deregister(&hadetect_dev);
}
