/* SPDX-License-Identifier: GPL-2.0 */
/* isolate.c: the kernel calls behind hadetect's actions, and its work queue. */
#ifndef HADETECT_ISOLATE_H
#define HADETECT_ISOLATE_H

#include <linux/types.h>

int hadetect_page_soft_offline(u64 pfn);
int hadetect_page_poisoned(u64 pfn);
int hadetect_cpu_check(u32 cpu);
int hadetect_cpu_offline(u32 cpu);
int hadetect_cpu_online(u32 cpu);
int hadetect_pci_isolate(u64 bdf, bool remove);
int hadetect_pci_isolated(u64 bdf, bool remove);

int hadetect_wq_init(void);
void hadetect_kick(u64 delay_ns);
void hadetect_wq_exit(void);

/* policy.rs: runs every due action, then kicks itself for the next deadline. */
void hadetect_run_actions(void);

/* agent_dev.c: /dev/hadetect. */
int hadetect_dev_init(void);
void hadetect_dev_exit(void);

/* policy.rs: the agent table behind /dev/hadetect (0 or -errno). */
int hadetect_agent_register(const char *name, u32 period_ms, u32 escalate_ms, s32 pid,
			    u64 *id);
int hadetect_agent_heartbeat(u64 id);
int hadetect_agent_unregister(u64 id);
void hadetect_agent_detach(u64 id);

/* overload.c: global OOMs seen (the OOM notifier). */
int hadetect_oom_init(void);
void hadetect_oom_exit(void);
u64 hadetect_oom_count(void);

/* handoff_nb.c: the handoff notifier (hwerr's chain). */
int hadetect_handoff_init(void);
void hadetect_handoff_exit(void);

/* policy.rs: a phase of a planned kexec handoff (HASYS_HANDOFF_*): 0 or -errno. */
int hadetect_handoff(unsigned long phase);

#endif /* HADETECT_ISOLATE_H */
