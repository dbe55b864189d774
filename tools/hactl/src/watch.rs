// SPDX-License-Identifier: GPL-2.0

//! `hactl watch` and `hactl stats`: the /dev/hwerr record stream and its counters.

use anyhow::{bail, Context, Result};
use hwerr_abi::abi::{self, Filter, Stats};
use hwerr_abi::{decode::decode, Device};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Default device node.
pub(crate) const DEVICE: &str = "/dev/hwerr";

/// Turns `--source`/`--severity` names into a mask over `names`.
pub(crate) fn mask(names: &[&str], wanted: &[String], what: &str) -> Result<u32> {
    if wanted.is_empty() {
        return Ok((1u32 << names.len()) - 1);
    }
    let mut m = 0;
    for w in wanted {
        let Some(i) = names.iter().position(|n| n == w) else {
            bail!("unknown {what} {w:?}; one of: {}", names.join(", "));
        };
        m |= 1 << i;
    }
    Ok(m)
}

/// What `hactl watch` was asked for.
pub(crate) struct WatchArgs<'a> {
    pub(crate) device: &'a Path,
    pub(crate) json: bool,
    pub(crate) sources: &'a [String],
    pub(crate) severities: &'a [String],
    pub(crate) from_oldest: bool,
    pub(crate) count: Option<u64>,
    pub(crate) timeout_ms: i32,
}

/// Prints records as they arrive: one line each, or one JSON object per line.
/// Stops after `count` records, or when no record came for `timeout_ms`
/// (when given), or never.
pub(crate) fn watch(args: &WatchArgs<'_>, out: &mut impl Write) -> Result<()> {
    let mut dev = Device::open(args.device)
        .with_context(|| format!("cannot open {}", args.device.display()))?;
    dev.set_filter(&Filter {
        source_mask: mask(&abi::SOURCE_NAMES, args.sources, "source")?,
        severity_mask: mask(&abi::SEVERITY_NAMES, args.severities, "severity")?,
    })?;
    dev.seek(
        if args.from_oldest {
            abi::SEEK_OLDEST
        } else {
            abi::SEEK_NEWEST
        },
        0,
    )?;
    let mut seen = 0u64;
    loop {
        if !dev.wait(args.timeout_ms)? {
            if args.timeout_ms >= 0 {
                return Ok(());
            }
            continue;
        }
        for rec in dev.read_records()? {
            let ev = decode(&rec);
            if args.json {
                serde_json::to_writer(&mut *out, &ev)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{ev}")?;
            }
            seen += 1;
            if args.count.is_some_and(|c| seen >= c) {
                out.flush()?;
                return Ok(());
            }
        }
        out.flush()?;
    }
}

#[derive(Serialize)]
struct SourceRow {
    source: &'static str,
    captured: u64,
    dropped: u64,
    /// From sysfs; absent if hwerr has no such file.
    #[serde(skip_serializing_if = "Option::is_none")]
    ignored: Option<u64>,
    /// From sysfs; absent if hwerr has no such file.
    #[serde(skip_serializing_if = "Option::is_none")]
    coalesced: Option<u64>,
}

#[derive(Serialize)]
struct StatsOut {
    abi_version: u32,
    record_size: u32,
    log_capacity: u32,
    log_used: u32,
    oldest_seq: u64,
    next_seq: u64,
    evicted: u64,
    sources: Vec<SourceRow>,
}

fn stats_out(st: &Stats, sysfs: impl Fn(&str) -> crate::prom::SourceSysfs) -> StatsOut {
    StatsOut {
        abi_version: st.abi_version,
        record_size: st.record_size,
        log_capacity: st.log_capacity,
        log_used: st.log_used,
        oldest_seq: st.oldest_seq,
        next_seq: st.next_seq,
        evicted: st.evicted,
        sources: abi::SOURCE_NAMES
            .iter()
            .zip(st.source.iter())
            .enumerate()
            // "none" is no source, and lost-record notices are never captured.
            .filter(|(i, _)| *i != usize::from(abi::SRC_NONE) && *i != usize::from(abi::SRC_LOST))
            .map(|(_, x)| x)
            .map(|(name, s)| {
                let sys = sysfs(name);
                SourceRow {
                    source: name,
                    captured: s.captured,
                    dropped: s.dropped,
                    ignored: sys.ignored,
                    coalesced: sys.coalesced,
                }
            })
            .collect(),
    }
}

/// Reads the counters of `HWERR_IOC_GET_STATS` from `device`.
pub(crate) fn read_stats(device: &Path) -> Result<Stats> {
    let dev = Device::open(device).with_context(|| format!("cannot open {}", device.display()))?;
    Ok(dev.stats()?)
}

/// Prints the log's counters and each source's captured/dropped counts.
pub(crate) fn stats(
    device: &Path,
    sysfs_root: &Path,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let s = stats_out(&read_stats(device)?, |name| {
        crate::prom::read_sysfs(sysfs_root, name)
    });
    if json {
        serde_json::to_writer_pretty(&mut *out, &s)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "log: {}/{} records, seq {}..{}, {} evicted (ABI {}, {} bytes/record)",
        s.log_used,
        s.log_capacity,
        s.oldest_seq,
        s.next_seq,
        s.evicted,
        s.abi_version,
        s.record_size
    )?;
    writeln!(
        out,
        "{:<16} {:>12} {:>12} {:>12} {:>12}",
        "SOURCE", "CAPTURED", "DROPPED", "IGNORED", "COALESCED"
    )?;
    let opt = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
    for r in &s.sources {
        writeln!(
            out,
            "{:<16} {:>12} {:>12} {:>12} {:>12}",
            r.source,
            r.captured,
            r.dropped,
            opt(r.ignored),
            opt(r.coalesced)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_from_names() {
        let names = ["none", "mce", "edac"];
        assert_eq!(mask(&names, &[], "source").unwrap(), 0b111);
        assert_eq!(
            mask(&names, &["mce".into(), "edac".into()], "source").unwrap(),
            0b110
        );
        assert!(mask(&names, &["bogus".into()], "source").is_err());
    }

    #[test]
    fn hadetect_is_a_source() {
        assert_eq!(
            mask(&abi::SOURCE_NAMES, &["hadetect".into()], "source").unwrap(),
            1 << abi::SRC_HADETECT
        );
    }

    #[test]
    fn cluster_msg_is_a_source() {
        assert_eq!(
            mask(&abi::SOURCE_NAMES, &["cluster_msg".into()], "source").unwrap(),
            1 << abi::SRC_CLUSTER
        );
        assert_eq!(
            mask(&abi::SOURCE_NAMES, &[], "source").unwrap(),
            (1 << abi::SRC_NR) - 1
        );
    }

    #[test]
    fn crashdump_and_kexec_handoff_are_sources() {
        assert_eq!(
            mask(
                &abi::SOURCE_NAMES,
                &["crashdump".into(), "kexec_handoff".into()],
                "source"
            )
            .unwrap(),
            1 << abi::SRC_CRASH | 1 << abi::SRC_HANDOFF
        );
    }

    #[test]
    fn stats_list_only_capturing_sources() {
        let mut st = Stats::default();
        st.source[1].captured = 7;
        st.source[1].dropped = 2;
        let s = stats_out(&st, |_| crate::prom::SourceSysfs::default());
        assert_eq!(s.sources.len(), abi::SOURCE_NAMES.len() - 2);
        assert!(s
            .sources
            .iter()
            .all(|r| r.source != "lost" && r.source != "none"));
        assert_eq!(
            (
                s.sources[0].source,
                s.sources[0].captured,
                s.sources[0].dropped
            ),
            ("mce", 7, 2)
        );
    }
}
