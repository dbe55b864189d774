// SPDX-License-Identifier: GPL-2.0

//! `hactl crash`: the crash record crashdump keeps, and the kdump capture kernel it
//! is read back in. crashdump's sysfs directory, `<sysfs_root>/crashdump/`:
//!
//! | file          | content                                                          |
//! |---------------|------------------------------------------------------------------|
//! | `status`      | `live` in a running kernel; in a capture kernel `valid`, `none`  |
//! |               | (no record address was given) or `invalid <name>`                |
//! | `record`      | binary: the live record, or in a capture kernel the previous     |
//! |               | kernel's validated record; empty if there is none                |
//! | `record_addr` | the region's physical address, hex (`0x3f2a0000`)                |
//! | `record_size` | the region's size, decimal                                       |
//! | `cmdline`     | what a capture kernel's command line needs                       |
//! |               | (`crashdump.record_addr=0x3f2a0000`)                             |
//!
//! The record format is `crashdump/record.rs` (crate `crashdump-core`); the embedded
//! records are `struct hwerr_record`s, decoded as `hactl watch` prints them.

use crate::command::{argv, run_checked, shown_command};
use crate::kexec::{self, Cmdline, Image};
use crate::moddir::ModuleDir;
use anyhow::{anyhow, bail, Context, Result};
use clap::Subcommand;
use crashdump_core::record::{self, Parsed};
use hwerr_abi::abi::Record;
use hwerr_abi::decode::{decode, Event};
use serde::Serialize;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use zerocopy::FromBytes;

/// crashdump's directory under the sysfs root (and its module name).
const DIR: &str = "crashdump";

/// Log lines `hactl crash show` prints by default.
const LOG_LINES: &str = "40";

/// The crashed kernel's memory, in a capture kernel.
pub(crate) const VMCORE: &str = "/proc/vmcore";

/// What a capture kernel's command line gets besides crashdump's and the user's.
const CAPTURE_ARGS: &str = "irqpoll nr_cpus=1 reset_devices";

/// makedumpfile's default dump level: leave out zero, cache, private cache, user
/// and free pages.
const DUMP_LEVEL: &str = "31";

/// `hactl crash` subcommands.
#[derive(Subcommand)]
pub(crate) enum CrashCommand {
    /// Decode and print the crash record: the live one in a running kernel, the
    /// crashed kernel's in a capture kernel, or one saved to a file.
    ///
    /// Prints the state, reason, CPU, time, taint, release and flags, the panic
    /// message, the hwerr records and module state records it holds (as `hactl watch`
    /// prints records), and the tail of the kernel log. Without a valid record, prints
    /// `no valid crash record: <why>` and exits with code 1.
    Show {
        /// Read the record from this file (`record.bin` of `hactl crash save`)
        /// instead of crashdump's sysfs file.
        #[arg(long)]
        file: Option<PathBuf>,
        /// One JSON object instead of text (with the whole log tail).
        #[arg(long)]
        json: bool,
        /// Print the last N lines of the log tail.
        #[arg(long, value_name = "N", default_value = LOG_LINES, conflicts_with = "json")]
        log_lines: usize,
    },
    /// Load the kdump capture kernel, with crashdump's record address on its command
    /// line: `kexec -s -p <KERNEL> --reuse-cmdline --append=...`.
    ///
    /// First sets crash_kexec_post_notifiers, so that the panic notifiers (crashdump's
    /// among them) run before the capture kernel starts; then checks that the kernel
    /// says a capture kernel is loaded.
    Arm {
        /// The capture kernel [default: /boot/vmlinuz-<release>].
        #[arg(long)]
        kernel: Option<PathBuf>,
        /// Its initramfs [default: /boot/initrd.img-<release> if it exists, else
        /// none].
        #[arg(long)]
        initrd: Option<PathBuf>,
        /// More arguments for the capture kernel's command line.
        #[arg(long, value_name = "ARGS", default_value = "")]
        append: String,
        /// Leave crash_kexec_post_notifiers as it is: the record then holds only
        /// what was written before the panic (the live record).
        #[arg(long)]
        no_post_notifiers: bool,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// The kexec program (kexec-tools).
        #[arg(long, default_value = kexec::KEXEC)]
        kexec: PathBuf,
    },
    /// Unload the capture kernel: `kexec -p -u`.
    Disarm {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// The kexec program (kexec-tools).
        #[arg(long, default_value = kexec::KEXEC)]
        kexec: PathBuf,
    },
    /// In a capture kernel: save the crash record, the crashed kernel's log and its
    /// memory (vmcore) to DIR/<YYYYmmdd-HHMMSS>/.
    ///
    /// The subdirectory is named by the record's time (UTC), `unknown-time` without
    /// a valid record. It gets `record.bin`, `vmcore-dmesg.txt` (makedumpfile
    /// --dump-dmesg) and `vmcore` (makedumpfile -l -d <LEVEL>, or a copy without
    /// makedumpfile), written as `vmcore.incomplete` and renamed when complete. Exits
    /// with code 1 if a step failed.
    Save {
        /// Where to save; created if needed.
        dir: PathBuf,
        /// makedumpfile's dump level (0..31): which pages to leave out.
        #[arg(long, value_name = "N", default_value = DUMP_LEVEL,
              value_parser = clap::value_parser!(u8).range(0..=31))]
        dump_level: u8,
        /// Save the record and the log only, not the memory.
        #[arg(long)]
        no_vmcore: bool,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// The crashed kernel's memory image.
        #[arg(long, default_value = VMCORE)]
        vmcore: PathBuf,
    },
}

/// Runs a `hactl crash` subcommand.
pub(crate) fn run(sysfs_root: &Path, cmd: CrashCommand, out: &mut impl Write) -> Result<ExitCode> {
    let sys = System::default();
    match cmd {
        CrashCommand::Show {
            file,
            json,
            log_lines,
        } => {
            let bytes = match &file {
                Some(f) => Ok(fs::read(f).with_context(|| format!("reading {}", f.display()))?),
                None => read_sysfs_record(sysfs_root)?,
            };
            show(out, bytes.as_deref(), json, log_lines)
        }
        CrashCommand::Arm {
            kernel,
            initrd,
            append,
            no_post_notifiers,
            json,
            kexec,
        } => {
            let args = ArmArgs {
                kernel,
                initrd,
                append,
                post_notifiers: !no_post_notifiers,
                kexec,
            };
            arm(sysfs_root, &sys, &args, json, out)?;
            Ok(ExitCode::SUCCESS)
        }
        CrashCommand::Disarm { json, kexec } => {
            disarm(&sys, &kexec, json, out)?;
            Ok(ExitCode::SUCCESS)
        }
        CrashCommand::Save {
            dir,
            dump_level,
            no_vmcore,
            json,
            vmcore,
        } => {
            let args = SaveArgs {
                dir: &dir,
                dump_level,
                vmcore: !no_vmcore,
                image: &vmcore,
            };
            let report = save(sysfs_root, &args, &Tools::from_path(), out, json)?;
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// The system files `hactl crash` reads and writes outside hasys's directory
/// (other roots in the tests).
pub(crate) struct System {
    /// The running kernel's release.
    osrelease: PathBuf,
    /// Where kernel images and initramfs are.
    boot: PathBuf,
    /// The kernel's `crash_kexec_post_notifiers` parameter.
    post_notifiers: PathBuf,
    /// Whether a capture kernel is loaded (`1` or `0`): the newer file first.
    crash_loaded: [PathBuf; 2],
}

impl Default for System {
    fn default() -> Self {
        Self {
            osrelease: "/proc/sys/kernel/osrelease".into(),
            boot: "/boot".into(),
            post_notifiers: "/sys/module/kernel/parameters/crash_kexec_post_notifiers".into(),
            crash_loaded: [
                "/sys/kernel/kexec/crash_loaded".into(),
                "/sys/kernel/kexec_crash_loaded".into(),
            ],
        }
    }
}

impl System {
    /// The running kernel's release (`uname -r`).
    fn release(&self) -> Result<String> {
        let r = fs::read_to_string(&self.osrelease)
            .with_context(|| format!("reading {}", self.osrelease.display()))?;
        Ok(r.trim().to_owned())
    }

    /// Whether a capture kernel is loaded, and the file that says so.
    fn crash_loaded(&self) -> Result<(bool, &Path)> {
        kexec::loaded(&self.crash_loaded, "kexec crash support")
    }
}

/// The record from sysfs: its bytes, or why there is none (an [`record::Invalid`]
/// name, or `none`).
/// How many times `read_sysfs_record` reads a record that changes under it.
const RECORD_READ_TRIES: usize = 5;

fn read_sysfs_record(sysfs_root: &Path) -> Result<Result<Vec<u8>, String>> {
    let dir = ModuleDir::open(sysfs_root, DIR)?;
    let status = dir.read_value("status")?;
    match status.split_once(' ') {
        None if status == "live" || status == "valid" => {
            // The kernel hands the file out a page per read, and a live record may be
            // rewritten between two pages: read until the generation is the same
            // before and after, and the bytes parse (a few tries).
            let path = dir.path("record");
            let mut last = None;
            for _ in 0..RECORD_READ_TRIES {
                let before = dir.read_value("generation")?;
                let bytes =
                    fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let stable = dir.read_value("generation")? == before;
                if stable && record::parse(&bytes).is_ok() {
                    return Ok(Ok(bytes));
                }
                last = Some(bytes);
            }
            Ok(Ok(last.unwrap_or_default()))
        }
        None if status == "none" => Ok(Err("none".into())),
        Some(("invalid", name)) => Ok(Err(name.trim().to_owned())),
        _ => bail!(
            "{}: {status:?} is not live, valid, none or invalid <name>",
            dir.path("status").display()
        ),
    }
}

/// A record's time as ISO-8601 UTC, ns precision: `2026-05-28T20:26:40.123456789Z`.
pub(crate) fn iso8601(realtime_ns: u64) -> String {
    utc(realtime_ns)
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{realtime_ns} ns"))
}

/// `realtime_ns` as a UTC date and time, if it is one.
fn utc(realtime_ns: u64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(realtime_ns)).ok()
}

/// The name of `hactl crash save`'s subdirectory for a record written at
/// `realtime_ns`: `YYYYmmdd-HHMMSS` (UTC), or `unknown-time` without one.
pub(crate) fn dir_name(realtime_ns: Option<u64>) -> String {
    const NAME: &[time::format_description::FormatItem<'_>] =
        time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    realtime_ns
        .filter(|&ns| ns > 0)
        .and_then(utc)
        .and_then(|t| t.format(NAME).ok())
        .unwrap_or_else(|| "unknown-time".into())
}

/// The kernel's taint flags, by bit, as `/proc/sys/kernel/tainted` and oops reports
/// name them.
const TAINT_LETTERS: [char; 20] = [
    'P', 'F', 'S', 'R', 'M', 'B', 'U', 'D', 'A', 'W', 'C', 'I', 'O', 'E', 'L', 'K', 'X', 'T', 'N',
    'J',
];

/// The letters of the taint flags set in `taint` (`PO`); bits without a letter as
/// `?`.
fn taint_letters(taint: u64) -> String {
    (0..64)
        .filter(|b| taint & (1 << b) != 0)
        .map(|b| TAINT_LETTERS.get(b).copied().unwrap_or('?'))
        .collect()
}

/// The names of the record flags set in `flags`.
fn flag_names(flags: u32) -> Vec<&'static str> {
    record::FLAG_NAMES
        .iter()
        .filter(|(f, _)| flags & f != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// Decodes embedded hwerr records.
fn events<'a>(recs: impl Iterator<Item = &'a [u8; record::RECORD_SIZE]>) -> Vec<Event> {
    recs.filter_map(|r| Record::read_from_bytes(&r[..]).ok())
        .map(|r| decode(&r))
        .collect()
}

/// A valid record, decoded: what `hactl crash show --json` prints.
#[derive(Debug, Serialize)]
pub(crate) struct Shown {
    /// Always true here (an invalid record is `{"valid": false, "error": ..}`).
    valid: bool,
    /// `live` or `crashed`.
    state: &'static str,
    /// `none`, `panic`, `oops` or `hw-fatal`.
    reason: &'static str,
    /// The CPU that wrote it.
    cpu: u32,
    /// The writer's count of writes.
    generation: u64,
    /// `CLOCK_REALTIME` when written, ns.
    realtime_ns: u64,
    /// The same as ISO-8601 UTC; `None` if 0.
    time: Option<String>,
    /// `CLOCK_BOOTTIME` when written, ns.
    boottime_ns: u64,
    /// The kernel's taint mask.
    taint: u64,
    /// Its flags' letters.
    taint_flags: String,
    /// The kernel release.
    release: String,
    /// The record's flags by name.
    flags: Vec<&'static str>,
    /// The last sequence number in hwerr's log.
    last_seq: u64,
    /// Bytes the checksum covers.
    total_size: u32,
    /// The panic message.
    message: String,
    /// How many of `records` (the last ones) came from hwerr's capture slots.
    unlogged: u32,
    /// The hwerr records, oldest first.
    records: Vec<Event>,
    /// The module state records.
    state_records: Vec<Event>,
    /// The kernel log's tail.
    log: String,
}

impl Shown {
    fn new(p: &Parsed<'_>) -> Self {
        let m = &p.meta;
        Shown {
            valid: true,
            state: record::state_name(m.state),
            reason: record::reason_name(m.reason),
            cpu: m.cpu,
            generation: m.generation,
            realtime_ns: m.realtime_ns,
            time: (m.realtime_ns > 0).then(|| iso8601(m.realtime_ns)),
            boottime_ns: m.boottime_ns,
            taint: m.taint,
            taint_flags: taint_letters(m.taint),
            release: String::from_utf8_lossy(m.release()).into_owned(),
            flags: flag_names(m.flags),
            last_seq: m.last_seq,
            total_size: p.total_size,
            message: String::from_utf8_lossy(p.message()).into_owned(),
            unlogged: m.unlogged,
            records: events(p.records()),
            state_records: events(p.state()),
            log: String::from_utf8_lossy(p.log()).into_owned(),
        }
    }
}

/// `{"valid": false, "error": <name>}`.
#[derive(Serialize)]
struct NotShown<'a> {
    valid: bool,
    error: &'a str,
}

/// Prints the record in `bytes`, or why there is none (`Err(name)`): exit code 1.
fn show(
    out: &mut impl Write,
    bytes: Result<&[u8], &String>,
    json: bool,
    log_lines: usize,
) -> Result<ExitCode> {
    let parsed = bytes
        .map_err(String::as_str)
        .and_then(|b| record::parse(b).map_err(|e| e.name()));
    let p = match parsed {
        Ok(p) => p,
        Err(error) => {
            if json {
                serde_json::to_writer(
                    &mut *out,
                    &NotShown {
                        valid: false,
                        error,
                    },
                )?;
                writeln!(out)?;
            } else {
                writeln!(out, "no valid crash record: {error}")?;
            }
            return Ok(ExitCode::from(1));
        }
    };
    let s = Shown::new(&p);
    if json {
        serde_json::to_writer_pretty(&mut *out, &s)?;
        writeln!(out)?;
    } else {
        write_text(out, &s, log_lines)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_text(out: &mut impl Write, s: &Shown, log_lines: usize) -> Result<()> {
    writeln!(
        out,
        "crash record: {} (reason {}) on cpu {}, generation {}, {} bytes",
        s.state, s.reason, s.cpu, s.generation, s.total_size
    )?;
    writeln!(
        out,
        "time:     {} (boot time {}.{:06} s)",
        s.time.as_deref().unwrap_or("unknown"),
        s.boottime_ns / 1_000_000_000,
        s.boottime_ns % 1_000_000_000 / 1000
    )?;
    writeln!(out, "release:  {}", s.release)?;
    if s.taint_flags.is_empty() {
        writeln!(out, "taint:    {:#x}", s.taint)?;
    } else {
        writeln!(out, "taint:    {:#x} ({})", s.taint, s.taint_flags)?;
    }
    writeln!(
        out,
        "flags:    {}",
        if s.flags.is_empty() {
            "-".to_owned()
        } else {
            s.flags.join(" ")
        }
    )?;
    writeln!(out, "last hwerr seq: {}", s.last_seq)?;
    writeln!(out, "message:  {}", s.message.trim_end())?;
    write!(out, "hwerr records: {}", s.records.len())?;
    if s.unlogged > 0 {
        write!(
            out,
            " (the last {} from hwerr's capture slots, not its log)",
            s.unlogged
        )?;
    }
    writeln!(out)?;
    for ev in &s.records {
        writeln!(out, "  {ev}")?;
    }
    writeln!(out, "state records: {}", s.state_records.len())?;
    for ev in &s.state_records {
        writeln!(out, "  {ev}")?;
    }
    let lines: Vec<&str> = s.log.lines().collect();
    let shown = lines.len().min(log_lines);
    writeln!(
        out,
        "kernel log: {} lines{}",
        lines.len(),
        if shown == 0 {
            String::new()
        } else if shown < lines.len() {
            format!(", the last {shown}:")
        } else {
            ":".to_owned()
        }
    )?;
    for l in &lines[lines.len() - shown..] {
        writeln!(out, "  {l}")?;
    }
    Ok(())
}

/// What `hactl crash arm` was asked for.
pub(crate) struct ArmArgs {
    pub(crate) kernel: Option<PathBuf>,
    pub(crate) initrd: Option<PathBuf>,
    pub(crate) append: String,
    pub(crate) post_notifiers: bool,
    pub(crate) kexec: PathBuf,
}

/// kexec's arguments to load a capture kernel.
pub(crate) fn kexec_load_args(
    kernel: &Path,
    initrd: Option<&Path>,
    crashdump_cmdline: &str,
    append: &str,
) -> Vec<OsString> {
    let cmdline = [crashdump_cmdline, CAPTURE_ARGS, append]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    kexec::load_args(Image::Crash, kernel, initrd, Cmdline::Reuse(&cmdline))
}

/// What `hactl crash arm` did.
#[derive(Debug, Serialize)]
struct Armed {
    /// The kexec command, program first.
    command: Vec<String>,
    /// The capture kernel.
    kernel: PathBuf,
    /// Its initramfs, if any.
    initrd: Option<PathBuf>,
    /// crashdump's part of the capture kernel's command line.
    cmdline: String,
    /// crash_kexec_post_notifiers was set.
    post_notifiers: bool,
    /// The kernel says a capture kernel is loaded.
    crash_loaded: bool,
}

fn arm(
    sysfs_root: &Path,
    sys: &System,
    a: &ArmArgs,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let dir = ModuleDir::open(sysfs_root, DIR)?;
    let cmdline = dir.read_value("cmdline")?;
    if cmdline.is_empty() {
        bail!(
            "{} is empty: crashdump has no record region",
            dir.path("cmdline").display()
        );
    }
    let release = || sys.release();
    let kernel = match &a.kernel {
        Some(k) => k.clone(),
        None => sys.boot.join(format!("vmlinuz-{}", release()?)),
    };
    if !kernel.is_file() {
        bail!(
            "{} does not exist: give the capture kernel with --kernel",
            kernel.display()
        );
    }
    let initrd = match &a.initrd {
        Some(i) if !i.is_file() => bail!("{} does not exist", i.display()),
        Some(i) => Some(i.clone()),
        None => Some(sys.boot.join(format!("initrd.img-{}", release()?))).filter(|i| i.is_file()),
    };
    if a.post_notifiers {
        fs::write(&sys.post_notifiers, "Y\n")
            .with_context(|| format!("cannot write Y to {}", sys.post_notifiers.display()))?;
    }
    let args = kexec_load_args(&kernel, initrd.as_deref(), &cmdline, &a.append);
    run_checked(&a.kexec, &args)?;
    let (loaded, path) = sys.crash_loaded()?;
    if !loaded {
        bail!(
            "{} still says 0 after {}",
            path.display(),
            shown_command(&a.kexec, &args)
        );
    }
    let r = Armed {
        command: argv(&a.kexec, &args),
        kernel,
        initrd,
        cmdline,
        post_notifiers: a.post_notifiers,
        crash_loaded: loaded,
    };
    if json {
        serde_json::to_writer(&mut *out, &r)?;
        writeln!(out)?;
    } else {
        if a.post_notifiers {
            writeln!(out, "set {} to Y", sys.post_notifiers.display())?;
        }
        writeln!(out, "ran {}", shown_command(&a.kexec, &args))?;
        writeln!(out, "capture kernel loaded ({} is 1)", path.display())?;
    }
    Ok(())
}

fn disarm(sys: &System, kexec: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let args = kexec::unload_args(Image::Crash);
    run_checked(kexec, &args)?;
    let (loaded, path) = sys.crash_loaded()?;
    if loaded {
        bail!(
            "{} still says 1 after {}",
            path.display(),
            shown_command(kexec, &args)
        );
    }
    if json {
        #[derive(Serialize)]
        struct Disarmed {
            command: Vec<String>,
            crash_loaded: bool,
        }
        serde_json::to_writer(
            &mut *out,
            &Disarmed {
                command: argv(kexec, &args),
                crash_loaded: loaded,
            },
        )?;
        writeln!(out)?;
    } else {
        writeln!(out, "ran {}", shown_command(kexec, &args))?;
        writeln!(out, "no capture kernel loaded ({} is 0)", path.display())?;
    }
    Ok(())
}

/// The programs `hactl crash save` runs.
pub(crate) struct Tools {
    /// makedumpfile, if it is installed.
    makedumpfile: Option<PathBuf>,
    /// kexec-tools' vmcore-dmesg, if it is installed (the log without makedumpfile).
    vmcore_dmesg: Option<PathBuf>,
    /// cp (the vmcore without makedumpfile).
    cp: PathBuf,
}

impl Tools {
    /// Looks them up in `PATH`.
    fn from_path() -> Self {
        let path = std::env::var_os("PATH").unwrap_or_default();
        Self {
            makedumpfile: find_program("makedumpfile", &path),
            vmcore_dmesg: find_program("vmcore-dmesg", &path),
            cp: find_program("cp", &path).unwrap_or_else(|| "cp".into()),
        }
    }
}

/// `name` in the directories of `path` (a `PATH` value), if it is there.
fn find_program(name: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// What `hactl crash save` was asked for.
pub(crate) struct SaveArgs<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) dump_level: u8,
    pub(crate) vmcore: bool,
    /// The crashed kernel's memory image, `/proc/vmcore`.
    pub(crate) image: &'a Path,
}

/// One step of `hactl crash save`.
#[derive(Debug, Serialize)]
pub(crate) struct Step {
    /// `record`, `dmesg` or `vmcore`.
    name: &'static str,
    /// The file written (for the vmcore: its final name).
    path: PathBuf,
    /// The command that wrote it, program first; empty when hactl wrote it.
    command: Vec<String>,
    /// Its exit code; `None` when hactl wrote the file or the program was killed.
    exit_code: Option<i32>,
    /// The file's size, if it is there.
    bytes: Option<u64>,
    /// How long it took.
    seconds: f64,
    /// Whether it succeeded.
    ok: bool,
    /// Why it failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// What `hactl crash save` did.
#[derive(Debug, Serialize)]
pub(crate) struct Saved {
    /// The directory the files went to.
    dir: PathBuf,
    /// crashdump's `status` (`valid`, `none`, `invalid <name>`), or why it could not
    /// be read.
    record_status: String,
    /// The record's time, ISO-8601 UTC.
    crash_time: Option<String>,
    /// The steps, in order.
    steps: Vec<Step>,
    /// What cluster_msg's peers were told; `None` where cluster_msg is not enabled.
    peers: Option<PeersTold>,
    /// Every step succeeded.
    pub(crate) ok: bool,
}

/// cluster_msg's dumping notices (`request` `dumping` before the save, `dumped`
/// after a complete one), when this capture kernel runs cluster_msg, enabled.
#[derive(Debug, Default, Serialize)]
pub(crate) struct PeersTold {
    /// Peers list this node as `dying:kdump`.
    dumping: bool,
    /// Peers list this node as `dying:dumped`.
    dumped: bool,
    /// Why a notice could not be started; the save goes on regardless.
    error: Option<String>,
}

/// Writes `word` (`dumping` or `dumped`) to cluster_msg's `request`, if cluster_msg
/// runs here, enabled: `None` if it does not, else whether the kernel took it. In a
/// capture kernel cluster_msg is `dumping:kdump` from its start, and a second save
/// may find it `dumping:dumped`: what is already said is not said again.
fn tell_peers(sysfs_root: &Path, word: &str) -> Option<Result<()>> {
    let dir = ModuleDir::open(sysfs_root, "cluster_msg").ok()?;
    let state = dir.read_value("state").ok()?;
    if state == "disabled" {
        return None;
    }
    let said = match word {
        "dumping" => state.starts_with("dumping:"),
        _ => state == "dumping:dumped",
    };
    if said {
        return Some(Ok(()));
    }
    Some(dir.write("request", word, |path, value, e| {
        anyhow!("cluster_msg refused {value:?} in {}: {e}", path.display())
    }))
}

/// The record in a capture kernel: crashdump's status, and the record's bytes and
/// time when it is valid. crashdump not being loaded is no error here: the dump
/// matters more than the record.
fn capture_record(sysfs_root: &Path) -> (String, Option<(Vec<u8>, u64)>) {
    let dir = match ModuleDir::open(sysfs_root, DIR) {
        Ok(d) => d,
        Err(e) => return (format!("{e:#}"), None),
    };
    let status = match dir.read_value("status") {
        Ok(s) => s,
        Err(e) => return (format!("{e:#}"), None),
    };
    if status != "valid" {
        return (status, None);
    }
    let path = dir.path("record");
    match fs::read(&path) {
        Ok(bytes) => match record::parse(&bytes) {
            Ok(p) => {
                let t = p.meta.realtime_ns;
                (status, Some((bytes, t)))
            }
            Err(e) => (format!("invalid {} (as hactl reads it)", e.name()), None),
        },
        Err(e) => (format!("reading {}: {e}", path.display()), None),
    }
}

/// A new directory `<parent>/<name>`, or `<name>-1`, `<name>-2`... if it is taken.
fn new_subdir(parent: &Path, name: &str) -> Result<PathBuf> {
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    for n in 0..1000 {
        let p = if n == 0 {
            parent.join(name)
        } else {
            parent.join(format!("{name}-{n}"))
        };
        match fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(anyhow!(e).context(format!("cannot create {}", p.display()))),
        }
    }
    bail!("{}: too many directories named {name}", parent.display())
}

/// Runs `program args`, its stdout into `stdout` if given; the step.
fn run_step(
    name: &'static str,
    path: &Path,
    program: &Path,
    args: Vec<OsString>,
    stdout: Option<&Path>,
) -> Step {
    let start = Instant::now();
    let mut cmd = Command::new(program);
    cmd.args(&args).stdin(Stdio::null());
    let res = match stdout.map(fs::File::create).transpose() {
        Ok(Some(f)) => cmd.stdout(f).output(),
        Ok(None) => cmd.output(),
        Err(e) => Err(e),
    };
    let command = argv(program, &args);
    let (exit_code, ok, error) = match res {
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr).trim_end().to_owned();
            let error = (!o.status.success()).then(|| {
                let last = err.lines().last().unwrap_or_default();
                format!("{} exited with {}: {last}", program.display(), o.status)
            });
            (o.status.code(), o.status.success(), error)
        }
        Err(e) => (
            None,
            false,
            Some(format!("cannot run {}: {e}", program.display())),
        ),
    };
    Step {
        name,
        path: path.to_owned(),
        command,
        exit_code,
        bytes: fs::metadata(path).ok().map(|m| m.len()),
        seconds: start.elapsed().as_secs_f64(),
        ok,
        error,
    }
}

/// `hactl crash save`: see [`CrashCommand::Save`]. Prints each step as it ends
/// (text), or the whole report at the end (JSON).
pub(crate) fn save(
    sysfs_root: &Path,
    a: &SaveArgs<'_>,
    tools: &Tools,
    out: &mut impl Write,
    json: bool,
) -> Result<Saved> {
    if !a.image.exists() {
        bail!(
            "{} does not exist: hactl crash save runs in a kdump capture kernel",
            a.image.display()
        );
    }
    let (record_status, rec) = capture_record(sysfs_root);
    let time = rec.as_ref().map(|(_, t)| *t);
    let dir = new_subdir(a.dir, &dir_name(time))?;
    let mut saved = Saved {
        dir: dir.clone(),
        record_status,
        crash_time: time.filter(|&t| t > 0).map(iso8601),
        steps: Vec::new(),
        peers: None,
        ok: true,
    };
    // Peers fence a dumping node at once (fence_hasys) instead of power-cycling it.
    saved.peers = tell_peers(sysfs_root, "dumping").map(|r| PeersTold {
        dumping: r.is_ok(),
        dumped: false,
        error: r.err().map(|e| format!("{e:#}")),
    });
    if !json {
        writeln!(
            out,
            "saving to {} (crash record: {})",
            dir.display(),
            saved.record_status
        )?;
    }
    let emit = |out: &mut dyn Write, saved: &mut Saved, step: Step| -> Result<()> {
        if !json {
            print_step(out, &step)?;
        }
        saved.ok &= step.ok;
        saved.steps.push(step);
        Ok(())
    };

    if let Some((bytes, _)) = &rec {
        let start = Instant::now();
        let path = dir.join("record.bin");
        // Root's only, as the sysfs file: the record holds the kernel log's tail.
        let res = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(bytes));
        let step = Step {
            name: "record",
            bytes: fs::metadata(&path).ok().map(|m| m.len()),
            path,
            command: Vec::new(),
            exit_code: None,
            seconds: start.elapsed().as_secs_f64(),
            ok: res.is_ok(),
            error: res.err().map(|e| e.to_string()),
        };
        emit(out, &mut saved, step)?;
    }

    let dmesg = dir.join("vmcore-dmesg.txt");
    let step = if let Some(m) = &tools.makedumpfile {
        let args = vec!["--dump-dmesg".into(), a.image.into(), dmesg.clone().into()];
        run_step("dmesg", &dmesg, m, args, None)
    } else if let Some(v) = &tools.vmcore_dmesg {
        run_step("dmesg", &dmesg, v, vec![a.image.into()], Some(&dmesg))
    } else {
        Step {
            name: "dmesg",
            path: dmesg,
            command: Vec::new(),
            exit_code: None,
            bytes: None,
            seconds: 0.0,
            ok: false,
            error: Some("neither makedumpfile nor vmcore-dmesg is in PATH".into()),
        }
    };
    emit(out, &mut saved, step)?;

    if a.vmcore {
        let incomplete = dir.join("vmcore.incomplete");
        let done = dir.join("vmcore");
        let mut step = if let Some(m) = &tools.makedumpfile {
            let args = vec![
                "-l".into(),
                "-d".into(),
                a.dump_level.to_string().into(),
                a.image.into(),
                incomplete.clone().into(),
            ];
            run_step("vmcore", &incomplete, m, args, None)
        } else {
            let args = vec![a.image.into(), incomplete.clone().into()];
            run_step("vmcore", &incomplete, &tools.cp, args, None)
        };
        if step.ok {
            match fs::rename(&incomplete, &done) {
                Ok(()) => step.path = done,
                Err(e) => {
                    step.ok = false;
                    step.error = Some(format!(
                        "cannot rename {} to {}: {e}",
                        incomplete.display(),
                        done.display()
                    ));
                }
            }
        }
        emit(out, &mut saved, step)?;
    }
    let complete = saved.ok;
    if let Some(p) = saved.peers.as_mut().filter(|p| p.dumping && complete) {
        match tell_peers(sysfs_root, "dumped") {
            Some(Ok(())) => p.dumped = true,
            Some(Err(e)) => p.error = Some(format!("{e:#}")),
            None => p.error = Some("cluster_msg was disabled during the save".into()),
        }
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &saved)?;
        writeln!(out)?;
    } else {
        if let Some(p) = &saved.peers {
            match (&p.error, p.dumped) {
                (Some(e), _) => writeln!(out, "peers: not told: {e}")?,
                (None, true) => writeln!(out, "peers: told dumping, then dumped")?,
                (None, false) => writeln!(out, "peers: told dumping (not dumped: a step failed)")?,
            }
        }
        if !saved.ok {
            writeln!(out, "incomplete: a step failed")?;
        }
    }
    Ok(saved)
}

fn print_step(out: &mut dyn Write, s: &Step) -> Result<()> {
    let file = s
        .path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let how = if s.command.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.command.join(" "))
    };
    match (&s.error, s.bytes) {
        (None, Some(b)) => writeln!(out, "{file}: {b} bytes in {:.1} s{how}", s.seconds)?,
        (None, None) => writeln!(out, "{file}: done in {:.1} s{how}", s.seconds)?,
        (Some(e), _) => writeln!(out, "{file}: FAILED after {:.1} s: {e}", s.seconds)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::script;
    use crashdump_core::record::{Meta, Writer};
    use hwerr_abi::abi;
    use std::os::unix::fs::PermissionsExt;
    use zerocopy::{FromZeros, IntoBytes};

    /// An MCE record as hwerr writes it.
    fn mce(seq: u64) -> Record {
        let mut r = Record::new_zeroed();
        r.hdr.size = 256;
        r.hdr.version = 1;
        r.hdr.source = abi::SRC_MCE;
        r.hdr.severity = abi::SEV_FATAL;
        r.hdr.cpu = 2;
        r.hdr.count = 1;
        r.hdr.seq = seq;
        r.hdr.boottime_ns = 5_000_000_000;
        let m = abi::Mce {
            status: 0xb200_0000_0001_0136,
            addr: 0x1234_5000,
            misc: 0x86,
            bank: 4,
            ..Default::default()
        };
        let b = m.as_bytes();
        r.payload[..b.len()].copy_from_slice(b);
        r
    }

    /// A crashed record with two MCE records, one state record and a 50-line log.
    fn crashed() -> Vec<u8> {
        let mut buf = vec![0u8; record::REGION_SIZE];
        let mut w = Writer::new(&mut buf).expect("region");
        w.set_message(b"Fatal machine check");
        assert!(w.push_record(mce(41).as_bytes()));
        assert!(w.push_record(mce(42).as_bytes()));
        assert!(w.push_state(mce(40).as_bytes()));
        let log: String = (1..=50).map(|i| format!("line {i}\n")).collect();
        w.set_log(log.as_bytes());
        let mut m = Meta {
            generation: 9,
            state: record::STATE_CRASHED,
            reason: record::REASON_HW_FATAL,
            cpu: 2,
            flags: record::F_PANIC_NOTIFIER | record::F_POST_NOTIFIERS,
            // 2026-05-28T20:26:40.5Z
            realtime_ns: 1_780_000_000_500_000_000,
            boottime_ns: 5_500_000_000,
            taint: 1 | 1 << 4 | 1 << 12,
            last_seq: 42,
            unlogged: 1,
            ..Meta::ZERO
        };
        m.set_release(b"7.2.0-hasys");
        let total = w.finish(&m);
        buf.truncate(total as usize);
        buf
    }

    fn tree(status: &str, rec: &[u8]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        let d = root.path().join(DIR);
        fs::create_dir(&d).expect("mkdir");
        fs::write(d.join("status"), format!("{status}\n")).expect("write");
        fs::write(d.join("record"), rec).expect("write");
        fs::write(d.join("record_addr"), "0x3f2a0000\n").expect("write");
        fs::write(d.join("record_size"), "65536\n").expect("write");
        fs::write(d.join("cmdline"), "crashdump.record_addr=0x3f2a0000\n").expect("write");
        fs::write(d.join("generation"), "9\n").expect("write");
        root
    }

    fn show_sysfs(root: &Path, json: bool, lines: usize) -> (ExitCode, String) {
        let mut out = Vec::new();
        let bytes = read_sysfs_record(root).expect("read");
        let code = show(&mut out, bytes.as_deref(), json, lines).expect("show");
        (code, String::from_utf8(out).expect("utf8"))
    }

    #[test]
    fn times() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_780_000_000_500_000_000), "2026-05-28T20:26:40.5Z");
        assert_eq!(dir_name(Some(1_780_000_000_500_000_000)), "20260528-202640");
        assert_eq!(dir_name(Some(0)), "unknown-time");
        assert_eq!(dir_name(None), "unknown-time");
    }

    #[test]
    fn taint_and_flags() {
        assert_eq!(taint_letters(0), "");
        assert_eq!(taint_letters(1 | 1 << 4 | 1 << 12), "PMO");
        assert_eq!(taint_letters(1 << 19 | 1 << 40), "J?");
        assert_eq!(
            flag_names(record::F_PANIC_NOTIFIER | record::F_POST_NOTIFIERS),
            ["panic-notifier", "post-notifiers"]
        );
    }

    #[test]
    fn show_text() {
        let root = tree("valid", &crashed());
        let (code, text) = show_sysfs(root.path(), false, 3);
        assert_eq!(code, ExitCode::SUCCESS);
        let want_head = "\
crash record: crashed (reason hw-fatal) on cpu 2, generation 9, 17543 bytes
time:     2026-05-28T20:26:40.5Z (boot time 5.500000 s)
release:  7.2.0-hasys
taint:    0x1011 (PMO)
flags:    panic-notifier post-notifiers
last hwerr seq: 42
message:  Fatal machine check
hwerr records: 2 (the last 1 from hwerr's capture slots, not its log)
  [    5.000000] #41 mce fatal cpu2: bank 4 status 0xb200000000010136 addr 0x12345000 misc 0x86
  [    5.000000] #42 mce fatal cpu2: bank 4 status 0xb200000000010136 addr 0x12345000 misc 0x86
state records: 1
  [    5.000000] #40 mce fatal cpu2: bank 4 status 0xb200000000010136 addr 0x12345000 misc 0x86
kernel log: 50 lines, the last 3:
  line 48
  line 49
  line 50
";
        assert_eq!(text, want_head);
        // All of a short log, and none.
        let (_, text) = show_sysfs(root.path(), false, 100);
        assert!(text.contains("kernel log: 50 lines:\n  line 1\n"), "{text}");
        let (_, text) = show_sysfs(root.path(), false, 0);
        assert!(text.ends_with("kernel log: 50 lines\n"), "{text}");
    }

    #[test]
    fn show_json() {
        let root = tree("live", &crashed());
        let (code, text) = show_sysfs(root.path(), true, 40);
        assert_eq!(code, ExitCode::SUCCESS);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["valid"], true);
        assert_eq!(v["state"], "crashed");
        assert_eq!(v["reason"], "hw-fatal");
        assert_eq!(v["time"], "2026-05-28T20:26:40.5Z");
        assert_eq!(v["taint_flags"], "PMO");
        assert_eq!(v["release"], "7.2.0-hasys");
        assert_eq!(
            v["flags"],
            serde_json::json!(["panic-notifier", "post-notifiers"])
        );
        assert_eq!(v["message"], "Fatal machine check");
        assert_eq!(v["unlogged"], 1);
        assert_eq!(v["records"].as_array().expect("array").len(), 2);
        assert_eq!(v["records"][1]["seq"], 42);
        assert_eq!(v["records"][1]["detail"]["kind"], "mce");
        assert_eq!(v["records"][1]["detail"]["bank"], 4);
        assert_eq!(v["state_records"][0]["seq"], 40);
        let log = v["log"].as_str().expect("string");
        assert_eq!(log.lines().count(), 50, "the whole log tail");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys.len(), 19, "{keys:?}");
    }

    #[test]
    fn no_valid_record() {
        let root = tree("none", &[]);
        assert_eq!(
            show_sysfs(root.path(), false, 40),
            (ExitCode::from(1), "no valid crash record: none\n".into())
        );
        assert_eq!(
            show_sysfs(root.path(), true, 40),
            (
                ExitCode::from(1),
                "{\"valid\":false,\"error\":\"none\"}\n".into()
            )
        );
        let root = tree("invalid bad-checksum", &[]);
        assert_eq!(
            show_sysfs(root.path(), false, 40).1,
            "no valid crash record: bad-checksum\n"
        );
        // A record hactl finds broken itself.
        let mut rec = crashed();
        rec[300] ^= 1;
        let root = tree("valid", &rec);
        assert_eq!(
            show_sysfs(root.path(), true, 40).1,
            "{\"valid\":false,\"error\":\"bad-checksum\"}\n"
        );
        let root = tree("valid", &[]);
        assert_eq!(
            show_sysfs(root.path(), false, 40).1,
            "no valid crash record: absent\n"
        );
        // An unknown status, or no module, is an error naming the file.
        let root = tree("weird", &[]);
        let e = read_sysfs_record(root.path()).expect_err("unknown status");
        assert!(e.to_string().contains("crashdump/status"), "{e}");
        let empty = tempfile::tempdir().expect("tempdir");
        let e = read_sysfs_record(empty.path()).expect_err("not loaded");
        assert!(
            e.to_string().contains("crashdump module is not loaded"),
            "{e}"
        );
    }

    #[test]
    fn show_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("record.bin");
        fs::write(&f, crashed()).expect("write");
        let mut out = Vec::new();
        let code = run(
            Path::new("/nonexistent"),
            CrashCommand::Show {
                file: Some(f),
                json: false,
                log_lines: 1,
            },
            &mut out,
        )
        .expect("show");
        assert_eq!(code, ExitCode::SUCCESS);
        assert!(String::from_utf8(out)
            .expect("utf8")
            .ends_with("the last 1:\n  line 50\n"));
        let e = run(
            Path::new("/nonexistent"),
            CrashCommand::Show {
                file: Some(dir.path().join("missing.bin")),
                json: false,
                log_lines: 1,
            },
            &mut Vec::new(),
        )
        .expect_err("no file");
        assert!(format!("{e:#}").contains("missing.bin"), "{e:#}");
    }

    #[test]
    fn kexec_arguments() {
        let args = kexec_load_args(
            Path::new("/boot/vmlinuz-7.2.0"),
            Some(Path::new("/boot/initrd.img-7.2.0")),
            "crashdump.record_addr=0x3f2a0000",
            "",
        );
        assert_eq!(
            args,
            [
                "-s",
                "-p",
                "/boot/vmlinuz-7.2.0",
                "--reuse-cmdline",
                "--append=crashdump.record_addr=0x3f2a0000 irqpoll nr_cpus=1 reset_devices",
                "--initrd=/boot/initrd.img-7.2.0"
            ]
        );
        let args = kexec_load_args(
            Path::new("/k"),
            None,
            "crashdump.record_addr=0x1000",
            " quiet ",
        );
        assert_eq!(
            args[4],
            "--append=crashdump.record_addr=0x1000 irqpoll nr_cpus=1 reset_devices quiet"
        );
        assert_eq!(args.len(), 5);
        assert_eq!(
            shown_command(Path::new("kexec"), &args),
            "kexec -s -p /k --reuse-cmdline \
             --append=\"crashdump.record_addr=0x1000 irqpoll nr_cpus=1 reset_devices quiet\""
        );
    }

    /// A fake system: /boot with a kernel, the post-notifiers parameter and
    /// crash_loaded (the new file).
    fn system(dir: &Path, initrd: bool) -> System {
        let boot = dir.join("boot");
        fs::create_dir_all(&boot).expect("mkdir");
        fs::write(boot.join("vmlinuz-7.2.0"), "kernel").expect("write");
        if initrd {
            fs::write(boot.join("initrd.img-7.2.0"), "initrd").expect("write");
        }
        fs::write(dir.join("osrelease"), "7.2.0\n").expect("write");
        fs::write(dir.join("post"), "N\n").expect("write");
        fs::write(dir.join("crash_loaded"), "0\n").expect("write");
        System {
            osrelease: dir.join("osrelease"),
            boot,
            post_notifiers: dir.join("post"),
            crash_loaded: [dir.join("crash_loaded"), dir.join("kexec_crash_loaded")],
        }
    }

    #[test]
    fn arm_and_disarm() {
        let root = tree("live", &crashed());
        let d = tempfile::tempdir().expect("tempdir");
        let sys = system(d.path(), true);
        let loaded = d.path().join("crash_loaded");
        let log = d.path().join("kexec.args");
        // kexec logs its arguments, one per line, and says what it loaded.
        let kexec = script(
            d.path(),
            "kexec",
            &format!(
                "printf '%s\\n' \"$@\" > {log}\n\
                 if [ \"$2\" = -u ]; then echo 0 > {loaded}; else echo 1 > {loaded}; fi",
                log = log.display(),
                loaded = loaded.display()
            ),
        );
        let args = ArmArgs {
            kernel: None,
            initrd: None,
            append: "quiet".into(),
            post_notifiers: true,
            kexec: kexec.clone(),
        };
        let mut out = Vec::new();
        arm(root.path(), &sys, &args, true, &mut out).expect("arm");
        assert_eq!(
            fs::read_to_string(d.path().join("post")).expect("read"),
            "Y\n"
        );
        let boot = d.path().join("boot");
        assert_eq!(
            fs::read_to_string(&log).expect("read"),
            format!(
                "-s\n-p\n{}\n--reuse-cmdline\n--append=crashdump.record_addr=0x3f2a0000 \
                 irqpoll nr_cpus=1 reset_devices quiet\n--initrd={}\n",
                boot.join("vmlinuz-7.2.0").display(),
                boot.join("initrd.img-7.2.0").display()
            )
        );
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["crash_loaded"], true);
        assert_eq!(v["post_notifiers"], true);
        assert_eq!(v["cmdline"], "crashdump.record_addr=0x3f2a0000");
        assert_eq!(v["command"][0], kexec.display().to_string());
        assert_eq!(v["command"].as_array().expect("array").len(), 7);

        let mut out = Vec::new();
        disarm(&sys, &kexec, false, &mut out).expect("disarm");
        assert_eq!(fs::read_to_string(&log).expect("read"), "-p\n-u\n");
        let text = String::from_utf8(out).expect("utf8");
        assert!(
            text.starts_with(&format!("ran {} -p -u\n", kexec.display())),
            "{text}"
        );

        // Without post notifiers and an initrd; the older crash_loaded file.
        let d = tempfile::tempdir().expect("tempdir");
        let mut sys = system(d.path(), false);
        sys.crash_loaded[0] = d.path().join("absent");
        let old = d.path().join("kexec_crash_loaded");
        let kexec = script(d.path(), "kexec", &format!("echo 1 > {}", old.display()));
        let args = ArmArgs {
            kernel: None,
            initrd: None,
            append: String::new(),
            post_notifiers: false,
            kexec,
        };
        let mut out = Vec::new();
        arm(root.path(), &sys, &args, false, &mut out).expect("arm");
        assert_eq!(
            fs::read_to_string(d.path().join("post")).expect("read"),
            "N\n"
        );
        let text = String::from_utf8(out).expect("utf8");
        assert!(!text.contains("--initrd"), "{text}");
        assert!(text.contains("kexec_crash_loaded is 1"), "{text}");
    }

    #[test]
    fn arm_failures() {
        let root = tree("live", &crashed());
        let d = tempfile::tempdir().expect("tempdir");
        let sys = system(d.path(), false);
        let failing = script(
            d.path(),
            "kexec",
            "echo 'kexec_file_load failed: Invalid argument' >&2; exit 1",
        );
        let mut args = ArmArgs {
            kernel: None,
            initrd: None,
            append: String::new(),
            post_notifiers: true,
            kexec: failing,
        };
        let e = arm(root.path(), &sys, &args, false, &mut Vec::new()).expect_err("kexec fails");
        assert!(
            e.to_string()
                .contains("kexec_file_load failed: Invalid argument"),
            "{e}"
        );
        // kexec says it worked, but nothing is loaded.
        args.kexec = script(d.path(), "kexec-noop", "exit 0");
        let e = arm(root.path(), &sys, &args, false, &mut Vec::new()).expect_err("not loaded");
        assert!(e.to_string().contains("still says 0"), "{e}");
        // No such kernel.
        args.kernel = Some(d.path().join("nope"));
        let e = arm(root.path(), &sys, &args, false, &mut Vec::new()).expect_err("no kernel");
        assert!(e.to_string().contains("nope does not exist"), "{e}");
        // crashdump not loaded.
        let empty = tempfile::tempdir().expect("tempdir");
        let e = arm(empty.path(), &sys, &args, false, &mut Vec::new()).expect_err("no module");
        assert!(
            e.to_string().contains("crashdump module is not loaded"),
            "{e}"
        );
    }

    #[test]
    fn save_with_makedumpfile() {
        let root = tree("valid", &crashed());
        let d = tempfile::tempdir().expect("tempdir");
        let image = d.path().join("vmcore-image");
        fs::write(&image, vec![7u8; 10_000]).expect("write");
        // makedumpfile: --dump-dmesg writes text, -l -d copies the image.
        let m = script(
            d.path(),
            "makedumpfile",
            "if [ \"$1\" = --dump-dmesg ]; then echo 'dmesg text' > \"$3\"; \
             else cp \"$4\" \"$5\"; fi",
        );
        let tools = Tools {
            makedumpfile: Some(m.clone()),
            vmcore_dmesg: None,
            cp: "cp".into(),
        };
        let out_dir = d.path().join("crash");
        let args = SaveArgs {
            dir: &out_dir,
            dump_level: 17,
            vmcore: true,
            image: &image,
        };
        let mut out = Vec::new();
        let s = save(root.path(), &args, &tools, &mut out, true).expect("save");
        assert!(s.ok);
        let sub = out_dir.join("20260528-202640");
        assert_eq!(s.dir, sub);
        assert_eq!(fs::read(sub.join("record.bin")).expect("read"), crashed());
        let mode = fs::metadata(sub.join("record.bin"))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            fs::read_to_string(sub.join("vmcore-dmesg.txt")).expect("read"),
            "dmesg text\n"
        );
        assert_eq!(
            fs::metadata(sub.join("vmcore")).expect("vmcore").len(),
            10_000
        );
        assert!(!sub.join("vmcore.incomplete").exists());
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["ok"], true);
        assert_eq!(v["record_status"], "valid");
        assert_eq!(v["crash_time"], "2026-05-28T20:26:40.5Z");
        let steps = v["steps"].as_array().expect("array");
        assert_eq!(
            steps
                .iter()
                .map(|s| s["name"].as_str().expect("name"))
                .collect::<Vec<_>>(),
            ["record", "dmesg", "vmcore"]
        );
        assert_eq!(steps[2]["bytes"], 10_000);
        assert_eq!(steps[2]["exit_code"], 0);
        assert_eq!(steps[2]["path"], sub.join("vmcore").display().to_string());
        assert_eq!(steps[2]["command"][1], "-l");
        assert_eq!(steps[2]["command"][3], "17");
        assert!(steps[2]["seconds"].is_f64());
        assert_eq!(steps[0]["bytes"], crashed().len());
        assert_eq!(v["peers"], serde_json::Value::Null, "no cluster_msg here");

        // With cluster_msg enabled: peers told, dumping and then dumped.
        let cm = root.path().join("cluster_msg");
        fs::create_dir(&cm).expect("mkdir");
        fs::write(cm.join("state"), "active\n").expect("write");
        fs::write(cm.join("request"), "").expect("write");
        let mut out = Vec::new();
        let s = save(root.path(), &args, &tools, &mut out, false).expect("save");
        assert!(s.ok);
        assert_eq!(
            fs::read_to_string(cm.join("request")).expect("read"),
            "dumped\n"
        );
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.contains("peers: told dumping, then dumped"), "{text}");
        // A capture kernel's cluster_msg is dumping from its start: only dumped is
        // written.
        fs::write(cm.join("state"), "dumping:kdump\n").expect("write");
        fs::write(cm.join("request"), "").expect("write");
        let mut out = Vec::new();
        save(root.path(), &args, &tools, &mut out, true).expect("save");
        assert_eq!(
            fs::read_to_string(cm.join("request")).expect("read"),
            "dumped\n"
        );
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            (&v["peers"]["dumping"], &v["peers"]["dumped"]),
            (&true.into(), &true.into())
        );
        // A second save after a complete one says nothing new.
        fs::write(cm.join("state"), "dumping:dumped\n").expect("write");
        fs::write(cm.join("request"), "").expect("write");
        let s = save(root.path(), &args, &tools, &mut Vec::new(), true).expect("save");
        assert_eq!(fs::read_to_string(cm.join("request")).expect("read"), "");
        assert!(s.peers.is_some_and(|p| p.dumping && p.dumped));
        // Disabled: not told. Refused: said, and the save goes on.
        fs::write(cm.join("state"), "disabled\n").expect("write");
        fs::write(cm.join("request"), "").expect("write");
        let s = save(root.path(), &args, &tools, &mut Vec::new(), true).expect("save");
        assert!(s.peers.is_none());
        assert_eq!(fs::read_to_string(cm.join("request")).expect("read"), "");
        fs::write(cm.join("state"), "active\n").expect("write");
        fs::remove_file(cm.join("request")).expect("rm");
        let mut out = Vec::new();
        let s = save(root.path(), &args, &tools, &mut out, true).expect("save");
        assert!(s.ok);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["peers"]["dumping"], false);
        assert!(v["peers"]["error"]
            .as_str()
            .expect("error")
            .contains("request does not exist"));
        fs::remove_dir_all(&cm).expect("rm");

        // Each save had a directory of its own.
        let s = save(root.path(), &args, &tools, &mut Vec::new(), false).expect("save");
        assert_eq!(s.dir, out_dir.join("20260528-202640-6"));
    }

    #[test]
    fn save_without_makedumpfile() {
        let root = tree("none", &[]);
        let d = tempfile::tempdir().expect("tempdir");
        let image = d.path().join("vmcore-image");
        fs::write(&image, vec![7u8; 5000]).expect("write");
        let tools = Tools {
            makedumpfile: None,
            vmcore_dmesg: Some(script(d.path(), "vmcore-dmesg", "echo \"log of $1\"")),
            cp: "cp".into(),
        };
        let out_dir = d.path().join("crash");
        let args = SaveArgs {
            dir: &out_dir,
            dump_level: 31,
            vmcore: true,
            image: &image,
        };
        let mut out = Vec::new();
        let s = save(root.path(), &args, &tools, &mut out, false).expect("save");
        assert!(s.ok, "{s:?}");
        let sub = out_dir.join("unknown-time");
        assert!(!sub.join("record.bin").exists());
        assert_eq!(
            fs::read_to_string(sub.join("vmcore-dmesg.txt")).expect("read"),
            format!("log of {}\n", image.display())
        );
        assert_eq!(
            fs::metadata(sub.join("vmcore")).expect("vmcore").len(),
            5000
        );
        let text = String::from_utf8(out).expect("utf8");
        assert!(
            text.starts_with(&format!(
                "saving to {} (crash record: none)\n",
                sub.display()
            )),
            "{text}"
        );
        assert!(text.contains("vmcore: 5000 bytes in "), "{text}");

        // A failing copy leaves vmcore.incomplete and fails the save; --no-vmcore
        // skips it.
        let tools = Tools {
            makedumpfile: None,
            vmcore_dmesg: None,
            cp: script(
                d.path(),
                "cp-broken",
                "echo 'No space left on device' >&2; exit 1",
            ),
        };
        let mut out = Vec::new();
        let s = save(root.path(), &args, &tools, &mut out, false).expect("save");
        assert!(!s.ok);
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.contains("vmcore.incomplete: FAILED"), "{text}");
        assert!(text.contains("No space left on device"), "{text}");
        assert!(
            text.contains("neither makedumpfile nor vmcore-dmesg"),
            "{text}"
        );
        assert_eq!(s.steps[1].exit_code, Some(1));
        let args = SaveArgs {
            vmcore: false,
            ..args
        };
        let s = save(root.path(), &args, &tools, &mut Vec::new(), true).expect("save");
        assert_eq!(s.steps.len(), 1);

        // Not in a capture kernel.
        let args = SaveArgs {
            image: &d.path().join("absent"),
            ..args
        };
        let e = save(root.path(), &args, &tools, &mut Vec::new(), false).expect_err("no vmcore");
        assert!(
            e.to_string().contains("runs in a kdump capture kernel"),
            "{e}"
        );
    }
}
