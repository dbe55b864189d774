// SPDX-License-Identifier: GPL-2.0

//! `hactl`: inspect and control hasys from userspace.

mod prom;
mod status;
mod watch;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Inspect and control hasys, the Linux high-availability subsystem.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Where hasys's sysfs tree is.
    #[arg(long, global = true, default_value = status::SYSFS_ROOT)]
    sysfs_root: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show which hasys components are loaded, and their versions.
    Status {
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print hardware-error records from /dev/hwerr as they arrive.
    Watch {
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
        /// Only these sources (mce, edac, aer, nmi, ghes, memory_failure, software);
        /// repeat or separate with commas. Lost-record notices always show.
        #[arg(long = "source", value_delimiter = ',')]
        sources: Vec<String>,
        /// Only these severities (info, corrected, deferred, recoverable, fatal).
        #[arg(long = "severity", value_delimiter = ',')]
        severities: Vec<String>,
        /// Start at the oldest record in the log instead of at new ones.
        #[arg(long)]
        from_oldest: bool,
        /// Stop after this many records.
        #[arg(long)]
        count: Option<u64>,
        /// Stop when no record arrives for this many milliseconds.
        #[arg(long)]
        timeout_ms: Option<i32>,
        /// The device node.
        #[arg(long, default_value = watch::DEVICE)]
        device: PathBuf,
    },
    /// Show the error log's counters, per source.
    Stats {
        /// JSON instead of a table.
        #[arg(long, conflicts_with = "prom")]
        json: bool,
        /// The Prometheus text format, for node_exporter's textfile collector.
        #[arg(long)]
        prom: bool,
        /// The device node.
        #[arg(long, default_value = watch::DEVICE)]
        device: PathBuf,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Status { json } => {
            let components = status::read(&cli.sysfs_root)?;
            let mut out = std::io::stdout().lock();
            if json {
                status::write_json(&mut out, &components)?;
            } else {
                status::write_table(&mut out, &components)?;
            }
        }
        Command::Watch {
            json,
            sources,
            severities,
            from_oldest,
            count,
            timeout_ms,
            device,
        } => {
            let args = watch::WatchArgs {
                device: &device,
                json,
                sources: &sources,
                severities: &severities,
                from_oldest,
                count,
                timeout_ms: timeout_ms.unwrap_or(-1),
            };
            watch::watch(&args, &mut std::io::stdout().lock())?;
        }
        Command::Stats { json, prom, device } => {
            let mut out = std::io::stdout().lock();
            if prom {
                let st = watch::read_stats(&device)?;
                prom::write(&st, |s| prom::read_sysfs(&cli.sysfs_root, s), &mut out)?;
            } else {
                watch::stats(&device, &cli.sysfs_root, json, &mut out)?;
            }
        }
    }
    Ok(())
}
