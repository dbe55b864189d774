// SPDX-License-Identifier: GPL-2.0

//! `hactl`: inspect and control hasys from userspace.

mod cluster;
mod command;
mod crash;
mod hadetect;
mod handoff;
mod kexec;
mod moddir;
mod prom;
mod status;
mod watch;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

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
        /// Only these sources (mce, edac, aer, nmi, ghes, memory_failure, software,
        /// hadetect, cluster_msg, crashdump, kexec_handoff); repeat or separate with
        /// commas. Lost-record notices always show.
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
    /// Show the node's health as hadetect judges it: green, yellow or red, its
    /// score and the reasons.
    ///
    /// Prints `health: yellow score 11 reasons: fault`. With --pacemaker, sets a
    /// Pacemaker node attribute to the health instead, as the ocf:pacemaker:HealthCPU
    /// agent does, for the cluster's node-health-strategy.
    Health {
        /// One JSON object: {"health":..,"score":..,"reasons":[..]}.
        #[arg(long)]
        json: bool,
        /// Wait for the next change of the health (sysfs poll) and print the new one.
        #[arg(long)]
        wait: bool,
        /// Give up waiting after this many milliseconds (exit code 2); with
        /// --pacemaker, stop after this long.
        #[arg(long, requires = "wait", value_name = "MS")]
        timeout_ms: Option<u64>,
        /// Also print hadetect's counters.
        #[arg(long, conflicts_with = "pacemaker")]
        counters: bool,
        /// Set the Pacemaker node attribute with `attrd_updater -n <ATTRIBUTE> -B
        /// <health> -d <SECONDS>`; with --wait, again at every change, until
        /// --timeout-ms or forever.
        #[arg(long)]
        pacemaker: bool,
        /// The attrd_updater program.
        #[arg(long, requires = "pacemaker", default_value = hadetect::PCMK_UPDATER)]
        attrd_updater: PathBuf,
        /// The node attribute.
        #[arg(long, requires = "pacemaker", default_value = hadetect::PCMK_ATTRIBUTE)]
        attribute: String,
        /// Dampening of the attribute, as attrd_updater -d takes it (5, 5s, 1min).
        #[arg(long, requires = "pacemaker", default_value = hadetect::PCMK_DAMPEN, value_name = "SECONDS")]
        dampen: String,
    },
    /// List the faults hadetect tracks: parts with errors, and what it did to them.
    Faults {
        /// A JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show hadetect's rules (per fault class); change them, or clear faults.
    #[command(args_conflicts_with_subcommands = true)]
    Rules {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<RulesCommand>,
    },
    /// Show cluster_msg's view of the cluster: this node, its timing and keys, and
    /// every peer's state and round-trip times; or wait for peers to reach states.
    ///
    /// Reads /sys/kernel/ha/cluster_msg/. The members table shows each configured
    /// peer: address, state (with the reason, as dying:panic), ms since it was last
    /// heard, smoothed round-trip time and jitter, shortest/longest round trip,
    /// samples and packets received.
    ///
    /// With --wait-state 2=up,3=dying:panic, re-reads the members every 20 ms until
    /// every named peer is in its state (and reason, if given), then prints the
    /// milliseconds that took; after --timeout-ms it names each peer's state and
    /// exits with code 2.
    Cluster {
        /// One JSON object instead of text (with the counters).
        #[arg(long)]
        json: bool,
        /// Also print cluster_msg's counters (packets sent, received, rejected...).
        #[arg(long, conflicts_with = "wait_state")]
        counters: bool,
        /// Wait until each peer <ID> is in <STATE> (down, joining, up, suspect, dying,
        /// left, handoff), and with :<REASON> for that reason, or one of several
        /// separated by | (panic, oops, hw-fatal,
        /// kexec, shutdown, overload, handoff, timeout, admin, kdump, dumped); repeat or
        /// separate with commas.
        #[arg(
            long,
            value_delimiter = ',',
            value_name = "ID=STATE[:REASON[|REASON...]]"
        )]
        wait_state: Vec<String>,
        /// Give up --wait-state after this many milliseconds (exit code 2).
        #[arg(long, requires = "wait_state", value_name = "MS", default_value = cluster::WAIT_TIMEOUT_MS)]
        timeout_ms: u64,
        /// With --wait-state: each peer must also have been heard within the last MS
        /// milliseconds (a dying peer was last heard when its notice arrived), so an
        /// old death does not count (fence_hasys's max_age).
        #[arg(long, requires = "wait_state", value_name = "MS")]
        max_silent_ms: Option<u64>,
    },
    /// The crash record (crashdump) and the kdump capture kernel: show the record,
    /// load or unload the capture kernel, save a dump from it.
    ///
    /// Reads /sys/kernel/ha/crashdump/. `hactl crash show` decodes the record: in a
    /// running kernel the live one, in a capture kernel the crashed kernel's.
    Crash {
        #[command(subcommand)]
        command: crash::CrashCommand,
    },
    /// A planned kexec that keeps hasys's state (kexec_handoff, Kexec HandOver):
    /// load a kernel, prepare the handoff, run the kexec; or show or abort a
    /// handoff.
    ///
    /// `hactl handoff --kernel K` runs `kexec -s -l K --reuse-cmdline` (with
    /// `--append`, or `--command-line` instead of `--reuse-cmdline`, and
    /// `--initrd`), checks that the kernel says an image is loaded, writes `prepare` to
    /// /sys/kernel/ha/kexec_handoff/request, syncs and runs `kexec -e`. If the
    /// handoff cannot be prepared, it prints why, unloads the image (`kexec -s -u`)
    /// and exits with code 1.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Handoff {
        #[command(flatten)]
        start: handoff::StartArgs,
        #[command(subcommand)]
        command: Option<handoff::HandoffCommand>,
    },
}

/// `hactl rules` subcommands.
#[derive(Subcommand)]
enum RulesCommand {
    /// Change a class's rule: `hactl rules set page threshold=3 window_ms=60000`.
    ///
    /// Fields: threshold, window_ms, action (none, soft_offline, cpu_offline,
    /// pci_unbind, pci_remove), cap, dry_run, ue_immediate. The kernel checks the
    /// values; they are written in order.
    Set {
        /// page, dimm, cpu, cache, pci or node.
        class: String,
        /// The fields to change.
        #[arg(required = true, value_name = "FIELD=VALUE")]
        assignments: Vec<String>,
    },
    /// Make every rule only pretend to act (on), or act as its own dry_run says (off).
    DryRun {
        /// on or off.
        #[arg(value_enum)]
        mode: OnOff,
    },
    /// Forget faults: all of them, a class's, or one.
    Clear {
        /// `all` or a class (page, dimm, cpu, cache, pci, node).
        target: String,
        /// The object: a number (0x1234), or as `hactl faults` shows it
        /// (pfn 0x1234, cpu1, 0000:01:00.0).
        object: Option<String>,
    },
}

/// A switch's value.
#[derive(Clone, Copy, ValueEnum)]
enum OnOff {
    /// Switched on.
    On,
    /// Switched off.
    Off,
}

fn main() -> Result<ExitCode> {
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
        Command::Health {
            json,
            wait,
            timeout_ms,
            counters,
            pacemaker,
            attrd_updater,
            attribute,
            dampen,
        } => {
            let args = hadetect::HealthArgs {
                json,
                wait,
                timeout_ms,
                counters,
                pacemaker: pacemaker.then_some(hadetect::Pacemaker {
                    updater: &attrd_updater,
                    attribute: &attribute,
                    dampen: &dampen,
                }),
            };
            let outcome = hadetect::health(&cli.sysfs_root, &args, &mut std::io::stdout().lock())?;
            if outcome == hadetect::Outcome::TimedOut {
                eprintln!(
                    "hactl: timed out: no change of health within {} ms",
                    timeout_ms.unwrap_or_default()
                );
                return Ok(ExitCode::from(2));
            }
        }
        Command::Faults { json } => {
            hadetect::faults(&cli.sysfs_root, json, &mut std::io::stdout().lock())?;
        }
        Command::Rules { json, command } => {
            let mut out = std::io::stdout().lock();
            match command {
                None => hadetect::rules(&cli.sysfs_root, json, &mut out)?,
                Some(RulesCommand::Set { class, assignments }) => {
                    hadetect::rules_set(&cli.sysfs_root, &class, &assignments, &mut out)?;
                }
                Some(RulesCommand::DryRun { mode }) => {
                    hadetect::rules_dry_run(&cli.sysfs_root, matches!(mode, OnOff::On), &mut out)?;
                }
                Some(RulesCommand::Clear { target, object }) => {
                    hadetect::rules_clear(&cli.sysfs_root, &target, object.as_deref(), &mut out)?;
                }
            }
        }
        Command::Cluster {
            json,
            counters,
            wait_state,
            timeout_ms,
            max_silent_ms,
        } => {
            let args = cluster::ClusterArgs {
                json,
                counters,
                wait_state: &wait_state,
                timeout_ms,
                max_silent_ms,
            };
            let outcome = cluster::cluster(&cli.sysfs_root, &args, &mut std::io::stdout().lock())?;
            if let cluster::Outcome::TimedOut(msg) = outcome {
                eprintln!("hactl: {msg}");
                return Ok(ExitCode::from(2));
            }
        }
        Command::Crash { command } => {
            return crash::run(&cli.sysfs_root, command, &mut std::io::stdout().lock());
        }
        Command::Handoff { start, command } => {
            return handoff::run(
                &cli.sysfs_root,
                start,
                command,
                &mut std::io::stdout().lock(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("hactl").chain(args.iter().copied()))
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn health_options() {
        let Command::Health {
            pacemaker,
            attrd_updater,
            attribute,
            dampen,
            ..
        } = parse(&["health", "--pacemaker"]).unwrap().command
        else {
            panic!("not health");
        };
        assert!(pacemaker);
        assert_eq!(attrd_updater, PathBuf::from("attrd_updater"));
        assert_eq!(
            (attribute.as_str(), dampen.as_str()),
            ("#health-hasys", "5s")
        );
        assert!(parse(&["health", "--wait", "--timeout-ms", "10", "--json"]).is_ok());
        // Options of a mode that is off are mistakes.
        assert!(parse(&["health", "--timeout-ms", "10"]).is_err());
        assert!(parse(&["health", "--dampen", "10s"]).is_err());
        assert!(parse(&["health", "--pacemaker", "--counters"]).is_err());
    }

    #[test]
    fn rules_subcommands() {
        let Command::Rules {
            command: Some(RulesCommand::Set { class, assignments }),
            ..
        } = parse(&["rules", "set", "page", "threshold=3", "window_ms=60000"])
            .unwrap()
            .command
        else {
            panic!("not rules set");
        };
        assert_eq!(class, "page");
        assert_eq!(assignments, ["threshold=3", "window_ms=60000"]);
        assert!(parse(&["rules", "set", "page"]).is_err());
        assert!(parse(&["rules", "dry-run", "on"]).is_ok());
        assert!(parse(&["rules", "dry-run", "maybe"]).is_err());
        assert!(parse(&["rules", "clear", "pci", "0000:01:00.0"]).is_ok());
        assert!(parse(&["rules", "--json"]).is_ok());
        assert!(parse(&["watch", "--source", "hadetect,mce"]).is_ok());
    }

    #[test]
    fn cluster_options() {
        let Command::Cluster {
            wait_state,
            timeout_ms,
            json,
            counters,
            max_silent_ms,
        } = parse(&[
            "cluster",
            "--wait-state",
            "2=up,3=dying:panic",
            "--wait-state",
            "4=down",
        ])
        .unwrap()
        .command
        else {
            panic!("not cluster");
        };
        assert_eq!(wait_state, ["2=up", "3=dying:panic", "4=down"]);
        assert_eq!((timeout_ms, json, counters), (5000, false, false));
        assert_eq!(max_silent_ms, None);
        assert!(parse(&[
            "cluster",
            "--wait-state",
            "3=dying",
            "--max-silent-ms",
            "600000"
        ])
        .is_ok());
        assert!(parse(&["cluster", "--max-silent-ms", "1"]).is_err());
        assert!(parse(&["cluster"]).is_ok());
        assert!(parse(&["cluster", "--json", "--counters"]).is_ok());
        assert!(parse(&[
            "cluster",
            "--wait-state",
            "2=up",
            "--timeout-ms",
            "100",
            "--json"
        ])
        .is_ok());
        // --timeout-ms bounds a wait; --counters is no part of one.
        assert!(parse(&["cluster", "--timeout-ms", "100"]).is_err());
        assert!(parse(&["cluster", "--wait-state", "2=up", "--counters"]).is_err());
        assert!(parse(&["watch", "--source", "cluster_msg"]).is_ok());
        assert!(parse(&["watch", "--source", "kexec_handoff"]).is_ok());
    }

    #[test]
    fn crash_options() {
        let Command::Crash {
            command:
                crash::CrashCommand::Save {
                    dir,
                    dump_level,
                    no_vmcore,
                    vmcore,
                    ..
                },
        } = parse(&["crash", "save", "/var/crash"]).unwrap().command
        else {
            panic!("not crash save");
        };
        assert_eq!(dir, PathBuf::from("/var/crash"));
        assert_eq!((dump_level, no_vmcore), (31, false));
        assert_eq!(vmcore, PathBuf::from("/proc/vmcore"));
        assert!(parse(&["crash", "save", "d", "--dump-level", "32"]).is_err());
        assert!(parse(&["crash", "save"]).is_err());
        let Command::Crash {
            command: crash::CrashCommand::Show { log_lines, .. },
        } = parse(&["crash", "show"]).unwrap().command
        else {
            panic!("not crash show");
        };
        assert_eq!(log_lines, 40);
        assert!(parse(&["crash", "show", "--file", "r.bin", "--log-lines", "5"]).is_ok());
        // The JSON has the whole log.
        assert!(parse(&["crash", "show", "--json", "--log-lines", "5"]).is_err());
        assert!(parse(&[
            "crash",
            "arm",
            "--kernel",
            "/boot/k",
            "--initrd",
            "/boot/i",
            "--append",
            "quiet",
            "--no-post-notifiers",
            "--json"
        ])
        .is_ok());
        assert!(parse(&["crash", "disarm", "--json"]).is_ok());
        assert!(parse(&["crash"]).is_err());
    }

    #[test]
    fn handoff_options() {
        let Command::Handoff {
            start,
            command: None,
        } = parse(&["handoff", "--kernel", "/boot/k", "--no-exec"])
            .unwrap()
            .command
        else {
            panic!("not handoff");
        };
        assert_eq!(start.kernel, Some(PathBuf::from("/boot/k")));
        assert_eq!(
            (start.timeout, start.no_exec, start.json),
            (60, true, false)
        );
        assert_eq!(start.kexec, PathBuf::from("kexec"));
        assert!((start.append, start.command_line, start.initrd) == (None, None, None));
        assert!(parse(&[
            "handoff",
            "--kernel",
            "k",
            "--initrd",
            "i",
            "--append",
            "quiet",
            "--timeout",
            "5",
            "--json",
            "--kexec",
            "/sbin/kexec"
        ])
        .is_ok());
        assert!(parse(&[
            "handoff",
            "--kernel",
            "k",
            "--command-line",
            "root=/dev/vda"
        ])
        .is_ok());
        // --append adds to the running kernel's command line, --command-line replaces it.
        assert!(parse(&[
            "handoff",
            "--kernel",
            "k",
            "--append",
            "a",
            "--command-line",
            "b"
        ])
        .is_err());
        assert!(parse(&["handoff"]).is_err());
        assert!(parse(&["handoff", "--no-exec"]).is_err());
        let Command::Handoff {
            command: Some(handoff::HandoffCommand::Status { json }),
            ..
        } = parse(&["handoff", "status", "--json"]).unwrap().command
        else {
            panic!("not handoff status");
        };
        assert!(json);
        assert!(parse(&["handoff", "abort"]).is_ok());
        assert!(parse(&["handoff", "abort", "--json", "--kexec", "k"]).is_ok());
        // A subcommand takes no start options.
        assert!(parse(&["handoff", "--kernel", "k", "status"]).is_err());
        assert!(parse(&["handoff", "status", "--kernel", "k"]).is_err());
    }
}
