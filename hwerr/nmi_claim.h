/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hwerr-internal: the opt-in claim of SERR and IOCHK NMIs (module parameter
 * nmi_claim, sources.c). percpu_capture.c shows the claim counters in sysfs; the
 * KUnit suite hasys_nmi (capture.rs) declares hwerr_nmi_decide() itself: keep the
 * two in step.
 */
#ifndef _HWERR_NMI_CLAIM_H
#define _HWERR_NMI_CLAIM_H

#include <linux/types.h>

/* Writes to the NMI reason port (0x61) that a claim makes, in this order. */
#define HWERR_NMI_ACKS	2

/**
 * hwerr_nmi_decide - whether hwerr's NMI handler claims an NMI, and its port writes
 * @nmi_type: enum hwerr_nmi_type of the handler chain the NMI came through.
 * @reason: the NMI reason port (0x61) as read in the handler.
 * @claim: nmi_claim is set and the NMI was recorded.
 * @ack: HWERR_NMI_ACKS bytes, written only when the NMI is claimed.
 *
 * Claims a SERR (an IOCHK) NMI whose status bit is set in @reason when @claim is
 * set: returns NMI_HANDLED and the writes that clear the latched status and
 * re-enable the line, the kernel's own (pci_serr_error(), io_check_error()) without
 * the disable it leaves or the 2 s it waits. Unknown NMIs are never claimed.
 * Otherwise returns NMI_DONE and leaves @ack alone. Pure: the caller makes the
 * writes (outb() in NMI context).
 *
 * Context: any, including NMI. On kernels without x86 NMIs, always NMI_DONE (0).
 */
int hwerr_nmi_decide(u32 nmi_type, u8 reason, bool claim, u8 *ack);

/**
 * hwerr_nmi_claimed - NMIs of @nmi_type (enum hwerr_nmi_type) claimed since load
 *
 * Context: any.
 */
unsigned long hwerr_nmi_claimed(u32 nmi_type);

#endif /* _HWERR_NMI_CLAIM_H */
