// SPDX-License-Identifier: GPL-2.0

//! `hactl stats --prom`: hwerr's counters in the Prometheus text format, for
//! node_exporter's textfile collector (write to a `*.prom` file in its directory,
//! atomically: to a temporary file, then rename).
//!
//! Metrics (all labelled `source` = mce, edac, aer, nmi, ghes, memory_failure,
//! software, hadetect, cluster_msg, crashdump, kexec_handoff, except the log's):
//!
//! | metric                                   | type    | meaning                          |
//! |------------------------------------------|---------|----------------------------------|
//! | `hasys_hwerr_records_captured_total`     | counter | records that reached the log     |
//! | `hasys_hwerr_records_dropped_total`      | counter | records lost at capture          |
//! | `hasys_hwerr_records_ignored_total`      | counter | captures of a disabled source    |
//! | `hasys_hwerr_records_coalesced_total`    | counter | errors folded into storm summaries |
//! | `hasys_hwerr_source_enabled`             | gauge   | 1 if the source is captured      |
//! | `hasys_hwerr_log_capacity_records`       | gauge   | records the log holds            |
//! | `hasys_hwerr_log_used_records`           | gauge   | records in the log now           |
//! | `hasys_hwerr_log_evicted_records_total`  | counter | records the log overwrote        |
//!
//! Counters restart from 0 when hwerr is reloaded, as Prometheus counters may.

use anyhow::{Context, Result};
use hwerr_abi::abi::{self, Stats};
use prometheus::{
    Encoder, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::io::Write;
use std::path::Path;

/// What the sources' sysfs directories add to the ioctl's counters.
#[derive(Default)]
pub(crate) struct SourceSysfs {
    /// `ignored`, if the file exists.
    pub(crate) ignored: Option<u64>,
    /// `enabled`, if the file exists.
    pub(crate) enabled: Option<bool>,
    /// `coalesced`, if the file exists.
    pub(crate) coalesced: Option<u64>,
}

/// Reads `<sysfs_root>/hwerr/<source>/{ignored,enabled}`; missing files are `None`.
pub(crate) fn read_sysfs(sysfs_root: &Path, source: &str) -> SourceSysfs {
    let read =
        |f: &str| std::fs::read_to_string(sysfs_root.join("hwerr").join(source).join(f)).ok();
    SourceSysfs {
        ignored: read("ignored").and_then(|s| s.trim().parse().ok()),
        enabled: read("enabled").map(|s| s.trim() == "1"),
        coalesced: read("coalesced").and_then(|s| s.trim().parse().ok()),
    }
}

fn counter_vec(r: &Registry, name: &str, help: &str) -> Result<IntCounterVec> {
    let v = IntCounterVec::new(Opts::new(name, help), &["source"])?;
    r.register(Box::new(v.clone()))?;
    Ok(v)
}

/// Writes the metrics of `st` (and the per-source sysfs values `sysfs(source)`).
pub(crate) fn write(
    st: &Stats,
    sysfs: impl Fn(&str) -> SourceSysfs,
    out: &mut impl Write,
) -> Result<()> {
    let r = Registry::new();
    let captured = counter_vec(
        &r,
        "hasys_hwerr_records_captured_total",
        "Records hwerr captured into its log, by source.",
    )?;
    let dropped = counter_vec(
        &r,
        "hasys_hwerr_records_dropped_total",
        "Records lost at capture (per-CPU capture slots full), by source.",
    )?;
    let ignored = counter_vec(
        &r,
        "hasys_hwerr_records_ignored_total",
        "Captures ignored because the source was disabled, by source.",
    )?;
    let coalesced = counter_vec(
        &r,
        "hasys_hwerr_records_coalesced_total",
        "Errors folded into storm summary records, by source.",
    )?;
    let enabled = IntGaugeVec::new(
        Opts::new(
            "hasys_hwerr_source_enabled",
            "1 if hwerr captures this source.",
        ),
        &["source"],
    )?;
    r.register(Box::new(enabled.clone()))?;
    for (i, (name, s)) in abi::SOURCE_NAMES.iter().zip(st.source.iter()).enumerate() {
        if i == usize::from(abi::SRC_NONE) || i == usize::from(abi::SRC_LOST) {
            continue;
        }
        captured.with_label_values(&[name]).inc_by(s.captured);
        dropped.with_label_values(&[name]).inc_by(s.dropped);
        let sys = sysfs(name);
        if let Some(n) = sys.ignored {
            ignored.with_label_values(&[name]).inc_by(n);
        }
        if let Some(n) = sys.coalesced {
            coalesced.with_label_values(&[name]).inc_by(n);
        }
        if let Some(on) = sys.enabled {
            enabled.with_label_values(&[name]).set(i64::from(on));
        }
    }
    let cap = IntGauge::new(
        "hasys_hwerr_log_capacity_records",
        "Records the hwerr log holds.",
    )?;
    cap.set(i64::from(st.log_capacity));
    r.register(Box::new(cap))?;
    let used = IntGauge::new(
        "hasys_hwerr_log_used_records",
        "Records in the hwerr log now.",
    )?;
    used.set(i64::from(st.log_used));
    r.register(Box::new(used))?;
    let evicted = IntCounter::new(
        "hasys_hwerr_log_evicted_records_total",
        "Records the hwerr log overwrote since hwerr was loaded.",
    )?;
    evicted.inc_by(st.evicted);
    r.register(Box::new(evicted))?;
    let mut buf = Vec::new();
    TextEncoder::new()
        .encode(&r.gather(), &mut buf)
        .context("cannot encode the metrics")?;
    out.write_all(&buf)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format_has_every_source_and_the_log() {
        let mut st = Stats::default();
        st.source[usize::from(abi::SRC_MCE)].captured = 7;
        st.source[usize::from(abi::SRC_MCE)].dropped = 2;
        st.log_capacity = 4096;
        st.log_used = 9;
        st.evicted = 3;
        let mut out = Vec::new();
        write(
            &st,
            |s| SourceSysfs {
                ignored: Some(if s == "edac" { 5 } else { 0 }),
                enabled: Some(s != "edac"),
                coalesced: Some(if s == "mce" { 11 } else { 0 }),
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("# TYPE hasys_hwerr_records_captured_total counter\n"));
        assert!(text.contains("hasys_hwerr_records_captured_total{source=\"mce\"} 7\n"));
        assert!(text.contains("hasys_hwerr_records_dropped_total{source=\"mce\"} 2\n"));
        assert!(text.contains("hasys_hwerr_records_ignored_total{source=\"edac\"} 5\n"));
        assert!(text.contains("hasys_hwerr_source_enabled{source=\"edac\"} 0\n"));
        assert!(text.contains("hasys_hwerr_records_coalesced_total{source=\"mce\"} 11\n"));
        assert!(text.contains("hasys_hwerr_source_enabled{source=\"aer\"} 1\n"));
        assert!(text.contains("hasys_hwerr_log_capacity_records 4096\n"));
        assert!(text.contains("hasys_hwerr_log_used_records 9\n"));
        assert!(text.contains("hasys_hwerr_log_evicted_records_total 3\n"));
        // Every capturing source, none of "none" or "lost".
        let sources = text
            .lines()
            .filter(|l| l.starts_with("hasys_hwerr_records_captured_total{"))
            .count();
        assert_eq!(sources, abi::SOURCE_NAMES.len() - 2);
        assert!(!text.contains("source=\"lost\""));
    }
}
