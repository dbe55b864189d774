// SPDX-License-Identifier: GPL-2.0
/*
 * The hardware-error sources: each turns what the kernel reports into a
 * struct hwerr_record through hwerr_capture_begin()/hwerr_capture_commit().
 *
 *   MCE     mce_register_decode_chain(), priority MCE_PRIO_CEC: registered after the
 *           CEC at equal priority, so it sees (and flags) what the CEC absorbs.
 *   EDAC    ras:mc_event tracepoint (register_trace_mc_event(), type-checked).
 *   AER     ras:aer_event tracepoint (not exported: found by name, prototype checked
 *           at compile time with check_trace_callback_type_aer_event()).
 *   NMI     an NMI_UNKNOWN handler, and with nmi_serr_iochk=1 NMI_SERR and
 *           NMI_IO_CHECK handlers; they record and return NMI_DONE, so the kernel's
 *           own decision is unchanged. The SERR/IOCHK chains expect one owner (the
 *           kernel WARNs when a second handler registers, e.g. beside hpwdt on HPE
 *           machines), so hwerr joins them only when asked. With nmi_claim=1 as
 *           well, a recorded SERR/IOCHK NMI is claimed instead (NMI_HANDLED, port
 *           0x61 acknowledged here): the kernel then does not panic on it where an
 *           admin set panic_on_unrecovered_nmi or panic_on_io_nmi.
 *   GHES    ghes_register_report_chain() (memory sections), the vendor record
 *           notifier (non-standard sections) and ras:arm_event. ras:non_standard_event
 *           reports the very sections the vendor notifier gets, so it is not hooked:
 *           each section would be logged twice.
 *   MF      ras:memory_failure_event tracepoint; the process it concerns is the one
 *           memory_failure() signals (signal:signal_generate, SIGBUS with
 *           BUS_MCEERR_AR/AO), seen just before the outcome in the same task.
 *
 * This is C because each hook's prototype is a kernel C type (struct mce, the
 * tracepoints' TP_PROTO, struct acpi_hest_generic_data) that the 7.2 Rust bindings
 * do not carry. CPER section bodies are decoded in Rust (cper.rs).
 *
 * Every probe below runs in the context noted on it and never sleeps or allocates:
 * it fills a preallocated slot, and the commit takes the log's IRQ-safe spinlock
 * (outside NMI; in NMI it queues the slot lock-free). The severity of each source is
 * graded in Rust (severity.rs), with unit tests over real register values.
 */

#include <linux/atomic.h>
#include <linux/cgroup.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/aer.h>
#include <linux/cper.h>
#include <linux/edac.h>
#include <linux/sizes.h>
#ifdef CONFIG_ACPI_APEI_GHES
#include <acpi/ghes.h>
#endif
#ifdef CONFIG_X86_MCE
#include <asm/mce.h>
#endif
#ifdef CONFIG_X86
#include <linux/io.h>
#include <asm/mach_traps.h>
#include <asm/nmi.h>
#include <asm/x86_init.h>
#endif
#include <ras/ras_event.h>
/* Each trace header defines TRACE_INCLUDE_FILE for its own use. */
#undef TRACE_INCLUDE_FILE
#include <trace/events/memory-failure.h>
#undef TRACE_INCLUDE_FILE
#include <trace/events/signal.h>

#include <hasys/hwerr.h>

#include "nmi_claim.h"
#include "percpu_capture.h"

static bool nmi_serr_iochk;
module_param(nmi_serr_iochk, bool, 0444);
MODULE_PARM_DESC(nmi_serr_iochk,
		 "also record SERR and IOCHK NMIs (default off: those handler chains expect one owner)");

/* Read in NMI context: a change takes effect at the next NMI. */
static bool nmi_claim;
module_param(nmi_claim, bool, 0644);
MODULE_PARM_DESC(nmi_claim,
		 "with nmi_serr_iochk=1, claim the SERR and IOCHK NMIs hwerr records instead of letting the kernel handle (and maybe panic on) them (default off)");

/* ---- MCE ---- */

#ifdef CONFIG_X86_MCE

/* Context: process (mce_gen_pool_process() work), blocking notifier chain. */
static int hwerr_mce_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	struct mce *m = data;
	struct hwerr_record *rec;
	u16 flags = 0;
	u8 sev;

	if (!m)
		return NOTIFY_DONE;
	sev = hwerr_grade_mce(m->cpuvendor, m->status, m->severity, &flags);
	rec = hwerr_capture_begin(HWERR_SRC_MCE, sev);
	if (!rec)
		return NOTIFY_DONE;
	if (m->kflags & MCE_HANDLED_CEC)
		flags |= HWERR_F_CEC_ABSORBED;
	rec->hdr.flags = flags;
	rec->u.mce.status = m->status;
	rec->u.mce.addr = m->addr;
	rec->u.mce.misc = m->misc;
	rec->u.mce.mcgstatus = m->mcgstatus;
	rec->u.mce.synd = m->synd;
	rec->u.mce.ipid = m->ipid;
	rec->u.mce.ppin = m->ppin;
	rec->u.mce.ip = m->ip;
	rec->u.mce.cpuid = m->cpuid;
	rec->u.mce.apicid = m->apicid;
	rec->u.mce.socketid = m->socketid;
	rec->u.mce.extcpu = m->extcpu;
	rec->u.mce.microcode = m->microcode;
	rec->u.mce.bank = m->bank;
	rec->u.mce.cpuvendor = m->cpuvendor;
	rec->u.mce.mce_severity = m->severity;
	rec->u.mce.cs = m->cs;
	hwerr_capture_commit(rec);
	return NOTIFY_DONE;
}

/*
 * The machine-check banks of this CPU that hold a valid error, as MCE records that
 * were never logged (seq 0), for hwerr_crash_snapshot(). A fatal machine check
 * panics in #MC context, before the MCE core's decode chain (hwerr's hook above)
 * runs, but its bank still holds it: the kernel clears the banks only when it can go
 * on. Other CPUs' banks are not read (no IPI in a panic).
 *
 * Context: panic or die, on the CPU whose banks are read: rdmsr only, no lock.
 */
unsigned int hwerr_mce_read_banks(struct hwerr_record *out, unsigned int max)
{
	bool smca = cpu_feature_enabled(X86_FEATURE_SMCA);
	u64 cap, mcg = 0, status, v;
	unsigned int bank, banks, n = 0;
	u16 flags;

	if (!cpu_feature_enabled(X86_FEATURE_MCE) || !cpu_feature_enabled(X86_FEATURE_MCA) ||
	    rdmsrq_safe(MSR_IA32_MCG_CAP, &cap))
		return 0;
	banks = cap & MCG_BANKCNT_MASK;
	rdmsrq_safe(MSR_IA32_MCG_STATUS, &mcg);
	for (bank = 0; bank < banks && n < max; bank++) {
		struct hwerr_record *rec = &out[n];

		if (rdmsrq_safe(smca ? MSR_AMD64_SMCA_MCx_STATUS(bank) : MSR_IA32_MCx_STATUS(bank),
				&status) || !(status & MCI_STATUS_VAL))
			continue;
		memset(rec, 0, sizeof(*rec));
		flags = 0;
		rec->hdr.size = HWERR_RECORD_SIZE;
		rec->hdr.version = HWERR_ABI_VERSION;
		rec->hdr.source = HWERR_SRC_MCE;
		rec->hdr.severity = hwerr_grade_mce(boot_cpu_data.x86_vendor, status, 0, &flags);
		rec->hdr.flags = flags;
		rec->hdr.cpu = raw_smp_processor_id();
		rec->hdr.count = 1;
		rec->hdr.boottime_ns = ktime_get_boot_fast_ns();
		rec->hdr.realtime_ns = ktime_get_real_fast_ns();
		rec->u.mce.status = status;
		if ((status & MCI_STATUS_ADDRV) &&
		    !rdmsrq_safe(smca ? MSR_AMD64_SMCA_MCx_ADDR(bank) : MSR_IA32_MCx_ADDR(bank), &v))
			rec->u.mce.addr = v;
		if ((status & MCI_STATUS_MISCV) &&
		    !rdmsrq_safe(smca ? MSR_AMD64_SMCA_MCx_MISC(bank) : MSR_IA32_MCx_MISC(bank), &v))
			rec->u.mce.misc = v;
		rec->u.mce.mcgstatus = mcg;
		rec->u.mce.bank = bank;
		rec->u.mce.extcpu = raw_smp_processor_id();
		rec->u.mce.cpuvendor = boot_cpu_data.x86_vendor;
		n++;
	}
	return n;
}

static struct notifier_block hwerr_mce_nb = {
	.notifier_call = hwerr_mce_notify,
	.priority = MCE_PRIO_CEC,
};

static int hwerr_mce_hook(void)
{
	mce_register_decode_chain(&hwerr_mce_nb);
	return 0;
}

static void hwerr_mce_unhook(void)
{
	mce_unregister_decode_chain(&hwerr_mce_nb);
}
#else
static int hwerr_mce_hook(void) { return 0; }
static void hwerr_mce_unhook(void) { }
unsigned int hwerr_mce_read_banks(struct hwerr_record *out, unsigned int max) { return 0; }
#endif /* CONFIG_X86_MCE */

/* ---- Tracepoint probes; context: that of the tracepoint (any, preemption off). ---- */

static void __maybe_unused hwerr_probe_mc_event(void *data, const unsigned int err_type,
				 const char *error_msg, const char *label,
				 const int error_count, const u8 mc_index,
				 const s8 top_layer, const s8 mid_layer,
				 const s8 low_layer, unsigned long address,
				 const u8 grain_bits, unsigned long syndrome,
				 const char *driver_detail)
{
	struct hwerr_record *rec;

	rec = hwerr_capture_begin(HWERR_SRC_EDAC, hwerr_grade_edac(err_type));
	if (!rec)
		return;
	rec->u.edac.address = address;
	rec->u.edac.syndrome = syndrome;
	rec->u.edac.error_count = error_count;
	rec->u.edac.err_type = err_type;
	rec->u.edac.mc_index = mc_index;
	rec->u.edac.layer[0] = top_layer;
	rec->u.edac.layer[1] = mid_layer;
	rec->u.edac.layer[2] = low_layer;
	rec->u.edac.grain_bits = grain_bits;
	if (label && strscpy(rec->u.edac.label, label) < 0)
		rec->hdr.flags |= HWERR_F_TRUNCATED;
	if (error_msg && strscpy(rec->u.edac.msg, error_msg) < 0)
		rec->hdr.flags |= HWERR_F_TRUNCATED;
	hwerr_capture_commit(rec);
}

static void hwerr_probe_aer_event(void *data, const char *dev_name, const u32 status,
				  const u8 severity, const u8 tlp_header_valid,
				  struct pcie_tlp_log *tlp, const char *bus_type)
{
	struct hwerr_record *rec;
	unsigned int seg, bus, dev, fn;

	rec = hwerr_capture_begin(HWERR_SRC_AER, hwerr_grade_aer(severity));
	if (!rec)
		return;
	if (dev_name && sscanf(dev_name, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) == 4) {
		rec->u.aer.segment = seg;
		rec->u.aer.bus = bus;
		rec->u.aer.devfn = PCI_DEVFN(dev, fn);
	}
	rec->u.aer.aer_severity = severity;
	rec->u.aer.status = status;
	rec->u.aer.tlp_header_valid = tlp_header_valid;
	if (tlp_header_valid && tlp)
		memcpy(rec->u.aer.tlp_header, tlp->dw, sizeof(rec->u.aer.tlp_header));
	if (dev_name)
		strscpy(rec->u.aer.dev_name, dev_name);
	if (bus_type)
		strscpy(rec->u.aer.bus_type, bus_type);
	hwerr_capture_commit(rec);
}

/*
 * Whom a memory failure hit. memory_failure() signals the processes that map the
 * page (kill_procs(): SIGBUS, BUS_MCEERR_AR for the one that consumed the poison,
 * BUS_MCEERR_AO for early-kill processes) and then reports its outcome
 * (ras:memory_failure_event), both in the task that runs memory_failure(): the
 * victim itself for an action-required MCE or MADV_HWPOISON, a kworker for an
 * action-optional one. So the signal probe notes the first process signalled, and
 * how many, under the sending task; the outcome probe takes the note of its task.
 * A task that is not signalled (page cache, free page, no early-kill process) is not
 * named: the record then has no HWERR_F_TASK. Kernel threads are never named.
 */
#define HWERR_MF_NOTES 8

static struct hwerr_mf_note {
	struct task_struct *sender;	/* the task running memory_failure(); NULL: free */
	u64 when;
	pid_t pid;
	u32 tasks;
	u64 cgroup;
	char comm[TASK_COMM_LEN];
} hwerr_mf_notes[HWERR_MF_NOTES];
static DEFINE_RAW_SPINLOCK(hwerr_mf_lock);

/* Context: any but NMI (signal_generate runs under the target's siglock, IRQs off). */
static void hwerr_probe_signal_generate(void *data, int sig, struct kernel_siginfo *info,
					struct task_struct *task, int group, int result)
{
	struct hwerr_mf_note *n, *use = NULL;
	unsigned long flags;
	int i;

	if (sig != SIGBUS || !info || !task || (task->flags & PF_KTHREAD) ||
	    (info->si_code != BUS_MCEERR_AR && info->si_code != BUS_MCEERR_AO))
		return;
	raw_spin_lock_irqsave(&hwerr_mf_lock, flags);
	for (i = 0; i < HWERR_MF_NOTES; i++) {
		n = &hwerr_mf_notes[i];
		if (n->sender == current) {
			use = n;
			break;
		}
		if (!use || !n->sender || (use->sender && n->when < use->when))
			use = n;
	}
	if (use->sender != current) {
		use->sender = current;
		use->pid = task_tgid_nr(task);
		use->tasks = 0;
		strscpy(use->comm, task->comm);
		use->cgroup = 0;
#ifdef CONFIG_CGROUPS
		/* Its cgroup v2 id: which container or VM the victim belongs to. */
		rcu_read_lock();
		use->cgroup = cgroup_id(task_dfl_cgroup(task));
		rcu_read_unlock();
#endif
	}
	use->when = ktime_get_boot_fast_ns();
	use->tasks++;
	raw_spin_unlock_irqrestore(&hwerr_mf_lock, flags);
}

/* Context: that of the tracepoint (the task running memory_failure()). */
static void hwerr_probe_memory_failure_event(void *data, unsigned long pfn, int type,
					     int result)
{
	struct hwerr_record *rec;
	struct hwerr_mf_note note = {};
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&hwerr_mf_lock, flags);
	for (i = 0; i < HWERR_MF_NOTES; i++) {
		if (hwerr_mf_notes[i].sender == current) {
			note = hwerr_mf_notes[i];
			hwerr_mf_notes[i].sender = NULL;
			break;
		}
	}
	raw_spin_unlock_irqrestore(&hwerr_mf_lock, flags);

	rec = hwerr_capture_begin(HWERR_SRC_MEMORY_FAILURE, hwerr_grade_mf(result));
	if (!rec)
		return;
	rec->u.mf.pfn = pfn;
	rec->u.mf.page_type = type;
	rec->u.mf.result = result;
	if (note.sender) {
		rec->hdr.flags |= HWERR_F_TASK;
		rec->u.mf.pid = note.pid;
		rec->u.mf.tasks = note.tasks;
		rec->u.mf.cgroup_id = note.cgroup;
		memcpy(rec->u.mf.comm, note.comm, sizeof(rec->u.mf.comm));
	}
	hwerr_capture_commit(rec);
}

static void __maybe_unused hwerr_probe_arm_event(void *data, const struct cper_sec_proc_arm *proc,
				  const u8 *pei_err, const u32 pei_len, const u8 *ctx_err,
				  const u32 ctx_len, const u8 *oem, const u32 oem_len,
				  u8 sev, int cpu)
{
	static const guid_t arm = CPER_SEC_PROC_ARM;
	struct hwerr_record *rec;

	rec = hwerr_capture_begin(HWERR_SRC_GHES, hwerr_grade_ghes(sev));
	if (!rec)
		return;
	rec->u.cper.ghes_severity = sev;
	/*
	 * Only the fixed part of the ARM section is known to be in this buffer: the
	 * error-info, context and vendor parts are passed separately, and firmware's
	 * section_length is not a bound on anything here.
	 */
	hwerr_cper_decode(rec, arm.b, (const u8 *)proc, proc ? sizeof(*proc) : 0);
	if (proc && proc->section_length > sizeof(*proc))
		rec->u.cper.section_length = proc->section_length;
	hwerr_capture_commit(rec);
}

/* ---- GHES notifiers ---- */

#ifdef CONFIG_ACPI_APEI_GHES

/* Context: IRQ or process (ghes_do_proc()), atomic notifier chain. */
static int hwerr_ghes_report(struct notifier_block *nb, unsigned long sev, void *data)
{
	static const guid_t mem = CPER_SEC_PLATFORM_MEM;
	struct hwerr_record *rec;

	if (!data)
		return NOTIFY_DONE;
	rec = hwerr_capture_begin(HWERR_SRC_GHES, hwerr_grade_ghes(sev));
	if (!rec)
		return NOTIFY_DONE;
	rec->u.cper.ghes_severity = sev;
	hwerr_cper_decode(rec, mem.b, data, sizeof(struct cper_sec_mem_err));
	hwerr_capture_commit(rec);
	return NOTIFY_DONE;
}

static struct notifier_block hwerr_ghes_report_nb = {
	.notifier_call = hwerr_ghes_report,
};

/* Context: process (GHES vendor record work), blocking notifier chain. */
static int hwerr_ghes_vendor(struct notifier_block *nb, unsigned long sev, void *data)
{
	struct acpi_hest_generic_data *gdata = data;
	struct hwerr_record *rec;

	if (!gdata)
		return NOTIFY_DONE;
	rec = hwerr_capture_begin(HWERR_SRC_GHES, hwerr_grade_ghes(sev));
	if (!rec)
		return NOTIFY_DONE;
	rec->u.cper.ghes_severity = sev;
	if (gdata->validation_bits & CPER_SEC_VALID_FRU_ID)
		memcpy(rec->u.cper.fru_id, gdata->fru_id, sizeof(rec->u.cper.fru_id));
	if (gdata->validation_bits & CPER_SEC_VALID_FRU_TEXT)
		strscpy(rec->u.cper.fru_text, gdata->fru_text);
	hwerr_cper_decode(rec, gdata->section_type, acpi_hest_get_payload(gdata),
			  gdata->error_data_length);
	hwerr_capture_commit(rec);
	return NOTIFY_DONE;
}

static struct notifier_block hwerr_ghes_vendor_nb = {
	.notifier_call = hwerr_ghes_vendor,
};

static int hwerr_ghes_hook(void)
{
	int ret = ghes_register_vendor_record_notifier(&hwerr_ghes_vendor_nb);

	if (ret)
		return ret;
	ghes_register_report_chain(&hwerr_ghes_report_nb);
	return 0;
}

/* The atomic chain's unregister waits for RCU readers: no report callback runs after. */
static void hwerr_ghes_unhook(void)
{
	ghes_unregister_report_chain(&hwerr_ghes_report_nb);
	ghes_unregister_vendor_record_notifier(&hwerr_ghes_vendor_nb);
}
#else
static int hwerr_ghes_hook(void) { return 0; }
static void hwerr_ghes_unhook(void) { }
#endif /* CONFIG_ACPI_APEI_GHES */

/* ---- NMI ---- */

/* Claims per enum hwerr_nmi_type (unknown NMIs are never claimed). */
static atomic_long_t hwerr_nmi_claims[HWERR_NMI_IO_CHECK + 1];

/* Context: any. */
unsigned long hwerr_nmi_claimed(u32 nmi_type)
{
	if (nmi_type >= ARRAY_SIZE(hwerr_nmi_claims))
		return 0;
	return atomic_long_read(&hwerr_nmi_claims[nmi_type]);
}

#ifdef CONFIG_X86

/* The KUnit suite hasys_nmi compares against these values. */
static_assert(NMI_DONE == 0 && NMI_HANDLED == 1);

/*
 * Context: any, including NMI; pure (see nmi_claim.h). The writes are the kernel's
 * own, made at once: pci_serr_error() sets NMI_REASON_CLEAR_SERR and leaves it set
 * (SERR NMIs stay off), so this clears it again as igen6_edac's NMI handler does;
 * io_check_error() sets NMI_REASON_CLEAR_IOCHK and clears it after busy-waiting
 * 2 s in NMI, which this does not. Only the low nibble of port 0x61 is writable.
 */
int hwerr_nmi_decide(u32 nmi_type, u8 reason, bool claim, u8 *ack)
{
	u8 clear;

	if (!claim)
		return NMI_DONE;
	switch (nmi_type) {
	case HWERR_NMI_SERR:
		if (!(reason & NMI_REASON_SERR))
			return NMI_DONE;
		clear = NMI_REASON_CLEAR_SERR;
		break;
	case HWERR_NMI_IO_CHECK:
		if (!(reason & NMI_REASON_IOCHK))
			return NMI_DONE;
		clear = NMI_REASON_CLEAR_IOCHK;
		break;
	default:
		/* Unknown NMIs: the watchdogs and perf share that path; never claimed. */
		return NMI_DONE;
	}
	ack[0] = (reason & NMI_REASON_CLEAR_MASK) | clear;	/* clear, line off */
	ack[1] = ack[0] & ~clear;				/* line on again */
	return NMI_HANDLED;
}

/*
 * Context: NMI (default_do_nmi(); for SERR and IOCHK under nmi_reason_lock, right
 * after the kernel read the reason port). Records the NMI, then claims it if asked
 * (nmi_claim). An NMI that could not be recorded (source disabled, the CPU's slots
 * all in flight) is never claimed: the kernel handles it as it would without hwerr,
 * so no NMI is survived unseen, and NMIs that come faster than the slots drain fall
 * back to the kernel's own handling.
 */
static int hwerr_nmi(unsigned int type, struct pt_regs *regs)
{
	struct hwerr_record *rec;
	u8 ack[HWERR_NMI_ACKS];
	u32 nmi_type;
	u8 reason = 0;
	int ret;

	switch (type) {
	case NMI_SERR:
		nmi_type = HWERR_NMI_SERR;
		break;
	case NMI_IO_CHECK:
		nmi_type = HWERR_NMI_IO_CHECK;
		break;
	default:
		nmi_type = HWERR_NMI_UNKNOWN;
	}
	if (nmi_type != HWERR_NMI_UNKNOWN)
		reason = x86_platform.get_nmi_reason();
	rec = hwerr_capture_begin(HWERR_SRC_NMI, nmi_type == HWERR_NMI_UNKNOWN ?
				  HWERR_SEV_INFO : HWERR_SEV_FATAL);
	if (!rec)
		return NMI_DONE;
	rec->u.nmi.nmi_type = nmi_type;
	rec->u.nmi.reason = reason;
	hwerr_capture_commit(rec);

	ret = hwerr_nmi_decide(nmi_type, reason, READ_ONCE(nmi_claim), ack);
	if (ret != NMI_HANDLED)
		return NMI_DONE;	/* the kernel decides as it would without us */
	/* What pci_serr_error()/io_check_error() would have written; they are skipped. */
	outb(ack[0], NMI_REASON_PORT);
	outb(ack[1], NMI_REASON_PORT);
	atomic_long_inc(&hwerr_nmi_claims[nmi_type]);
	return NMI_HANDLED;
}

static int hwerr_nmi_hook(void)
{
	int ret = register_nmi_handler(NMI_UNKNOWN, hwerr_nmi, 0, "hwerr");

	if (ret)
		return ret;
	if (!nmi_serr_iochk) {
		if (nmi_claim)
			pr_warn("hwerr: nmi_claim has no effect without nmi_serr_iochk=1\n");
		return 0;
	}
	ret = register_nmi_handler(NMI_SERR, hwerr_nmi, 0, "hwerr");
	if (ret)
		goto out_unknown;
	ret = register_nmi_handler(NMI_IO_CHECK, hwerr_nmi, 0, "hwerr");
	if (ret)
		goto out_serr;
	return 0;

out_serr:
	unregister_nmi_handler(NMI_SERR, "hwerr");
out_unknown:
	unregister_nmi_handler(NMI_UNKNOWN, "hwerr");
	return ret;
}

static void hwerr_nmi_unhook(void)
{
	if (nmi_serr_iochk) {
		unregister_nmi_handler(NMI_IO_CHECK, "hwerr");
		unregister_nmi_handler(NMI_SERR, "hwerr");
	}
	unregister_nmi_handler(NMI_UNKNOWN, "hwerr");
}
#else
/* Context: any. */
int hwerr_nmi_decide(u32 nmi_type, u8 reason, bool claim, u8 *ack)
{
	return 0;	/* NMI_DONE */
}

static int hwerr_nmi_hook(void) { return 0; }
static void hwerr_nmi_unhook(void) { }
#endif /* CONFIG_X86 */

/* ---- Tracepoints ---- */

/*
 * mc_event and arm_event are exported: register_trace_<name>() checks the probe's
 * prototype. aer_event and memory_failure_event are not exported, so they are found
 * by name; check_trace_callback_type_<name>() checks their prototypes at build time.
 */
static void __maybe_unused hwerr_tp_checks(void)
{
	check_trace_callback_type_aer_event(hwerr_probe_aer_event);
	check_trace_callback_type_memory_failure_event(hwerr_probe_memory_failure_event);
	check_trace_callback_type_signal_generate(hwerr_probe_signal_generate);
}

static struct hwerr_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} hwerr_tps[] = {
	{ "aer_event", hwerr_probe_aer_event },
	/* Before memory_failure_event: the note must be there when the outcome comes. */
	{ "signal_generate", hwerr_probe_signal_generate },
	{ "memory_failure_event", hwerr_probe_memory_failure_event },
};

static void hwerr_find_tp(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(hwerr_tps); i++)
		if (!strcmp(tp->name, hwerr_tps[i].name))
			hwerr_tps[i].tp = tp;
}

static void hwerr_tps_unregister(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(hwerr_tps); i++) {
		if (hwerr_tps[i].tp)
			tracepoint_probe_unregister(hwerr_tps[i].tp, hwerr_tps[i].probe, NULL);
		hwerr_tps[i].tp = NULL;
	}
#ifdef CONFIG_RAS
	unregister_trace_arm_event(hwerr_probe_arm_event, NULL);
	unregister_trace_mc_event(hwerr_probe_mc_event, NULL);
#endif
	tracepoint_synchronize_unregister();
}

/* mc_event and arm_event are defined and exported by drivers/ras (CONFIG_RAS). */
static int hwerr_ras_tps_register(void)
{
#ifdef CONFIG_RAS
	int ret = register_trace_mc_event(hwerr_probe_mc_event, NULL);

	if (ret)
		return ret;
	ret = register_trace_arm_event(hwerr_probe_arm_event, NULL);
	if (ret) {
		unregister_trace_mc_event(hwerr_probe_mc_event, NULL);
		tracepoint_synchronize_unregister();
		return ret;
	}
#endif
	return 0;
}

/* Context: any, panic included (see <hasys/hwerr.h>). */
bool hwerr_panic_is_hw_fatal(const char *msg)
{
	u64 last = hwerr_capture_last_fatal_hw_ns();
	u64 now = ktime_get_boot_fast_ns();

	if (msg && (strstr(msg, "achine check") || strstr(msg, "ardware error")))
		return true;
	return last && now >= last && now - last < 5 * NSEC_PER_SEC;
}
EXPORT_SYMBOL_GPL(hwerr_panic_is_hw_fatal);

/* Context: module init. */
int hwerr_sources_init(void)
{
	int i, ret;

	ret = hwerr_ras_tps_register();
	if (ret)
		return ret;
	for_each_kernel_tracepoint(hwerr_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(hwerr_tps); i++) {
		if (!hwerr_tps[i].tp) {
			/* e.g. no memory_failure_event without CONFIG_MEMORY_FAILURE */
			pr_info("hwerr: no %s tracepoint in this kernel\n", hwerr_tps[i].name);
			continue;
		}
		ret = tracepoint_probe_register(hwerr_tps[i].tp, hwerr_tps[i].probe, NULL);
		if (ret) {
			hwerr_tps[i].tp = NULL;
			hwerr_tps_unregister();
			return ret;
		}
	}
	ret = hwerr_nmi_hook();
	if (ret)
		goto out_tps;
	ret = hwerr_ghes_hook();
	if (ret)
		goto out_nmi;
	ret = hwerr_mce_hook();
	if (ret)
		goto out_ghes;
	return 0;

out_ghes:
	hwerr_ghes_unhook();
out_nmi:
	hwerr_nmi_unhook();
out_tps:
	hwerr_tps_unregister();
	return ret;
}

/* Context: module exit; each unregister waits for running callbacks. */
void hwerr_sources_exit(void)
{
	hwerr_mce_unhook();
	hwerr_ghes_unhook();
	hwerr_nmi_unhook();
	hwerr_tps_unregister();
}
