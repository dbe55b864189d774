// SPDX-License-Identifier: GPL-2.0
/*
 * The hardware-error sources: each turns what the kernel reports into a
 * struct hwerr_record through hwerr_capture_begin()/hwerr_capture_commit().
 *
 *   MCE     mce_register_decode_chain(), priority MCE_PRIO_CEC: registered after the
 *           CEC at equal priority, so it sees (and flags) what the CEC absorbs.
 *   EDAC    ras:mc_event tracepoint.
 *   AER     ras:aer_event tracepoint (not exported: found by name).
 *   NMI     NMI_SERR, NMI_IO_CHECK and NMI_UNKNOWN handlers; they record and return
 *           NMI_DONE, so the kernel's own decision is unchanged.
 *   GHES    ghes_register_report_chain() (memory sections), the vendor record
 *           notifier (non-standard sections) and ras:arm_event. ras:non_standard_event
 *           reports the very sections the vendor notifier gets, so it is not hooked:
 *           each section would be logged twice.
 *   MF      ras:memory_failure_event tracepoint.
 *
 * This is C because each hook's prototype is a kernel C type (struct mce, the
 * tracepoints' TP_PROTO, struct acpi_hest_generic_data) that the 7.2 Rust bindings
 * do not carry. CPER section bodies are decoded in Rust (cper.rs).
 *
 * Every probe below runs in the context noted on it and never sleeps, locks or
 * allocates: it only fills a preallocated slot.
 */

#include <linux/kernel.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/aer.h>
#include <linux/cper.h>
#include <linux/edac.h>
#include <linux/sizes.h>
#include <acpi/ghes.h>
#include <asm/mce.h>
#include <asm/nmi.h>
#include <asm/x86_init.h>

#include "percpu_capture.h"

static u8 hwerr_ghes_sev(unsigned long ghes_sev)
{
	switch (ghes_sev) {
	case GHES_SEV_NO:
		return HWERR_SEV_INFO;
	case GHES_SEV_CORRECTED:
		return HWERR_SEV_CORRECTED;
	case GHES_SEV_RECOVERABLE:
		return HWERR_SEV_RECOVERABLE;
	default:
		return HWERR_SEV_FATAL;
	}
}

/* ---- MCE ---- */

static u8 hwerr_mce_sev(u64 status, u16 *flags)
{
	if (status & MCI_STATUS_PCC)
		return HWERR_SEV_FATAL;
	if (status & MCI_STATUS_UC) {
		if (!(status & MCI_STATUS_S))
			return HWERR_SEV_DEFERRED;	/* UCNA: nothing consumed it yet */
		if (status & MCI_STATUS_AR)
			*flags |= HWERR_F_ACTION_REQUIRED;
		return HWERR_SEV_RECOVERABLE;
	}
	if (status & MCI_STATUS_DEFERRED)
		return HWERR_SEV_DEFERRED;
	return HWERR_SEV_CORRECTED;
}

/* Context: process (mce_gen_pool_process() work), blocking notifier chain. */
static int hwerr_mce_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	struct mce *m = data;
	struct hwerr_record *rec;
	u16 flags = 0;
	u8 sev;

	if (!m)
		return NOTIFY_DONE;
	sev = hwerr_mce_sev(m->status, &flags);
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

static struct notifier_block hwerr_mce_nb = {
	.notifier_call = hwerr_mce_notify,
	.priority = MCE_PRIO_CEC,
};

/* ---- Tracepoint probes; context: that of the tracepoint (any, preemption off). ---- */

static void hwerr_probe_mc_event(void *data, const unsigned int err_type,
				 const char *error_msg, const char *label,
				 const int error_count, const u8 mc_index,
				 const s8 top_layer, const s8 mid_layer,
				 const s8 low_layer, unsigned long address,
				 const u8 grain_bits, unsigned long syndrome,
				 const char *driver_detail)
{
	static const u8 sev[] = {
		[HW_EVENT_ERR_CORRECTED] = HWERR_SEV_CORRECTED,
		[HW_EVENT_ERR_UNCORRECTED] = HWERR_SEV_RECOVERABLE,
		[HW_EVENT_ERR_DEFERRED] = HWERR_SEV_DEFERRED,
		[HW_EVENT_ERR_FATAL] = HWERR_SEV_FATAL,
		[HW_EVENT_ERR_INFO] = HWERR_SEV_INFO,
	};
	struct hwerr_record *rec;

	rec = hwerr_capture_begin(HWERR_SRC_EDAC,
				  err_type < ARRAY_SIZE(sev) ? sev[err_type] : HWERR_SEV_FATAL);
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
	u8 sev;

	switch (severity) {
	case AER_CORRECTABLE:
		sev = HWERR_SEV_CORRECTED;
		break;
	case AER_NONFATAL:
		sev = HWERR_SEV_RECOVERABLE;
		break;
	default:
		sev = HWERR_SEV_FATAL;
	}
	rec = hwerr_capture_begin(HWERR_SRC_AER, sev);
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

static void hwerr_probe_memory_failure_event(void *data, unsigned long pfn, int type,
					     int result)
{
	struct hwerr_record *rec;

	rec = hwerr_capture_begin(HWERR_SRC_MEMORY_FAILURE,
				  result == MF_RECOVERED || result == MF_DELAYED ?
				  HWERR_SEV_RECOVERABLE : HWERR_SEV_FATAL);
	if (!rec)
		return;
	rec->u.mf.pfn = pfn;
	rec->u.mf.page_type = type;
	rec->u.mf.result = result;
	/* memory_failure() runs in the task it acts for (MADV_HWPOISON, SRAR). */
	if (in_task()) {
		rec->hdr.flags |= HWERR_F_TASK;
		rec->u.mf.pid = task_tgid_nr(current);
		strscpy(rec->u.mf.comm, current->comm);
	}
	hwerr_capture_commit(rec);
}

static void hwerr_probe_arm_event(void *data, const struct cper_sec_proc_arm *proc,
				  const u8 *pei_err, const u32 pei_len, const u8 *ctx_err,
				  const u32 ctx_len, const u8 *oem, const u32 oem_len,
				  u8 sev, int cpu)
{
	static const guid_t arm = CPER_SEC_PROC_ARM;
	struct hwerr_record *rec;

	rec = hwerr_capture_begin(HWERR_SRC_GHES, hwerr_ghes_sev(sev));
	if (!rec)
		return;
	rec->u.cper.ghes_severity = sev;
	hwerr_cper_decode(rec, arm.b, (const u8 *)proc,
			  proc ? min_t(u32, proc->section_length, SZ_4K) : 0);
	hwerr_capture_commit(rec);
}

/* ---- GHES notifiers ---- */

/* Context: IRQ or process (ghes_do_proc()), atomic notifier chain. */
static int hwerr_ghes_report(struct notifier_block *nb, unsigned long sev, void *data)
{
	static const guid_t mem = CPER_SEC_PLATFORM_MEM;
	struct hwerr_record *rec;

	if (!data)
		return NOTIFY_DONE;
	rec = hwerr_capture_begin(HWERR_SRC_GHES, hwerr_ghes_sev(sev));
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
	rec = hwerr_capture_begin(HWERR_SRC_GHES, hwerr_ghes_sev(sev));
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

/* ---- NMI; context: NMI ---- */

static int hwerr_nmi(unsigned int type, struct pt_regs *regs)
{
	struct hwerr_record *rec;

	rec = hwerr_capture_begin(HWERR_SRC_NMI, type == NMI_UNKNOWN ?
				  HWERR_SEV_INFO : HWERR_SEV_FATAL);
	if (!rec)
		return NMI_DONE;
	switch (type) {
	case NMI_SERR:
		rec->u.nmi.nmi_type = HWERR_NMI_SERR;
		rec->u.nmi.reason = x86_platform.get_nmi_reason();
		break;
	case NMI_IO_CHECK:
		rec->u.nmi.nmi_type = HWERR_NMI_IO_CHECK;
		rec->u.nmi.reason = x86_platform.get_nmi_reason();
		break;
	default:
		rec->u.nmi.nmi_type = HWERR_NMI_UNKNOWN;
	}
	hwerr_capture_commit(rec);
	return NMI_DONE;	/* record only: the kernel decides as it would without us */
}

/* ---- Tracepoints by name ---- */

static struct hwerr_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} hwerr_tps[] = {
	{ "mc_event", hwerr_probe_mc_event },
	{ "aer_event", hwerr_probe_aer_event },
	{ "memory_failure_event", hwerr_probe_memory_failure_event },
	{ "arm_event", hwerr_probe_arm_event },
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
	tracepoint_synchronize_unregister();
}

/* Context: module init. */
int hwerr_sources_init(void)
{
	int i, ret;

	for_each_kernel_tracepoint(hwerr_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(hwerr_tps); i++) {
		if (!hwerr_tps[i].tp) {
			/* e.g. arm_event: only where the kernel has that source */
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

	ret = register_nmi_handler(NMI_UNKNOWN, hwerr_nmi, 0, "hwerr");
	if (ret)
		goto out_tps;
	ret = register_nmi_handler(NMI_SERR, hwerr_nmi, 0, "hwerr");
	if (ret)
		goto out_unknown;
	ret = register_nmi_handler(NMI_IO_CHECK, hwerr_nmi, 0, "hwerr");
	if (ret)
		goto out_serr;
	ret = ghes_register_vendor_record_notifier(&hwerr_ghes_vendor_nb);
	if (ret)
		goto out_iochk;
	ghes_register_report_chain(&hwerr_ghes_report_nb);
	mce_register_decode_chain(&hwerr_mce_nb);
	return 0;

out_iochk:
	unregister_nmi_handler(NMI_IO_CHECK, "hwerr");
out_serr:
	unregister_nmi_handler(NMI_SERR, "hwerr");
out_unknown:
	unregister_nmi_handler(NMI_UNKNOWN, "hwerr");
out_tps:
	hwerr_tps_unregister();
	return ret;
}

/* Context: module exit; each unregister waits for running callbacks. */
void hwerr_sources_exit(void)
{
	mce_unregister_decode_chain(&hwerr_mce_nb);
	ghes_unregister_report_chain(&hwerr_ghes_report_nb);
	ghes_unregister_vendor_record_notifier(&hwerr_ghes_vendor_nb);
	unregister_nmi_handler(NMI_IO_CHECK, "hwerr");
	unregister_nmi_handler(NMI_SERR, "hwerr");
	unregister_nmi_handler(NMI_UNKNOWN, "hwerr");
	hwerr_tps_unregister();
	/* atomic notifier unregister waits for RCU readers: ghes report callbacks are done */
}
