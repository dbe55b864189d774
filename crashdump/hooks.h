/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crashdump-internal: the calls between the C half (hooks.c, sysfs.c) and the Rust
 * half (crashdump_main.rs, state.rs). The Rust declarations are in state.rs; keep
 * them in step. Documentation/hasys/crashdump.rst describes the module.
 */
#ifndef _CRASHDUMP_HOOKS_H
#define _CRASHDUMP_HOOKS_H

#include <linux/types.h>

struct attribute_group;

/* ---- Provided by C (hooks.c) ---- */

/*
 * The crash record's region: @size bytes of zeroed, physically contiguous memory
 * (alloc_pages_exact), its physical address in @phys. NULL if there is none.
 * Context: process.
 */
void *crashdump_region_alloc(size_t size, u64 *phys);
/* Frees what crashdump_region_alloc() gave. Context: process. */
void crashdump_region_free(void *virt, size_t size);

/*
 * In a capture kernel: maps @size bytes of the crashed kernel's memory at @phys
 * (memremap, write-back), or returns an ERR_PTR: -EINVAL when @phys is not
 * page-aligned or the range touches a resource of this kernel (its own RAM, device
 * memory), -ENOMEM when it cannot be mapped. Context: process.
 */
void *crashdump_oldmem_map(u64 phys, size_t size);
/* Unmaps what crashdump_oldmem_map() gave. Context: process. */
void crashdump_oldmem_unmap(void *virt);

/* Whether this kernel is a capture kernel (is_kdump_kernel()). Context: any. */
bool crashdump_is_kdump_kernel(void);

/*
 * What a crash record says about the kernel that writes it. Context: any, panic
 * included: no lock, no allocation.
 */
struct crashdump_env {
	u32 cpu;		/* this CPU */
	u32 kdump_loaded;	/* a capture kernel is loaded (kexec_crash_loaded()) */
	u64 taint;		/* the taint mask, bit by bit through test_taint() */
	u64 realtime_ns;	/* ktime_get_real_fast_ns() */
	u64 boottime_ns;	/* ktime_get_boot_fast_ns() */
	char release[64];	/* utsname()->release of init_uts_ns, NUL-padded */
};
void crashdump_env(struct crashdump_env *env);

/* preempt_disable() and preempt_enable(), for state.rs's live writer. */
void crashdump_preempt_off(void);
void crashdump_preempt_on(void);

/* Busy-waits @us microseconds (udelay()). Context: any. */
void crashdump_relax_us(u32 us);

/*
 * Copies the newest @len bytes of the kernel log (kmsg_dump_get_buffer(), text with
 * newlines, no syslog prefixes) to @buf; returns how many. *@cut is set when older
 * lines did not fit. Context: panic and die (kmsg_dump's iterator, lock-free).
 */
size_t crashdump_log_tail(u8 *buf, size_t len, bool *cut);

/*
 * The panic notifier (priority INT_MAX - 1: after cluster_msg's dying gasp) and the
 * die notifier (DIE_OOPS). Each calls crashdump_write_crash(). Context: process.
 */
int crashdump_hooks_start(void);
void crashdump_hooks_stop(void);

/* The attribute groups of /sys/kernel/ha/crashdump/ (sysfs.c). */
const struct attribute_group **crashdump_sysfs_groups(void);

/* ---- Provided by Rust (state.rs) ---- */

/* CRASHDUMP_HOOK_*: which hook calls crashdump_write_crash(). */
#define CRASHDUMP_HOOK_PANIC	1
#define CRASHDUMP_HOOK_DIE	2

/*
 * Writes the crash record: reason from @hook and @msg (the panic message, or the
 * die string). Context: panic (other CPUs stopped, interrupts off) or die (an oops:
 * other CPUs may run). Lock-free, allocation-free, bounded.
 */
void crashdump_write_crash(u32 hook, const char *msg);

/* sysfs: the text attribute @id into @buf (PAGE_SIZE). Context: process. */
ssize_t crashdump_sysfs_show(u32 id, char *buf);
/* sysfs: @count bytes of the record from @off into @buf. Context: process. */
ssize_t crashdump_sysfs_read_record(char *buf, loff_t off, size_t count);

#endif /* _CRASHDUMP_HOOKS_H */
