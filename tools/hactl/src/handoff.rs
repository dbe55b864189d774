// SPDX-License-Identifier: GPL-2.0

//! `hactl handoff`: a planned kexec that keeps hasys's state (kexec_handoff, Kexec
//! HandOver). kexec_handoff's sysfs directory, `<sysfs_root>/kexec_handoff/`:
//!
//! | file      | access | content                                                      |
//! |-----------|--------|--------------------------------------------------------------|
//! | `state`   | RO     | idle, preparing, ready, committed, restored or aborted       |
//! | `reason`  | RO     | why the last handoff ended aborted: `none`, `requested`,     |
//! |           |        | `kho-disabled`, `preserve-failed <errno>`, `rebooted`        |
//! | `attempt` | RO     | the number of `prepare` requests accepted                    |
//! | `request` | WO     | `prepare` or `abort`                                         |
//! | `report`  | RO     | the handoff that started this kernel: `key value` lines,     |
//! |           |        | `none`, or `refused <why>`                                   |
//!
//! `prepare` is synchronous: the write returns once the state is preserved (`ready`),
//! or fails as the handoff ended `aborted` (EOPNOTSUPP: KHO is disabled; another
//! error: the preservation's). A phase that does not take the request is EBUSY.
//!
//! `hactl handoff --kernel K` loads K with kexec_file_load (`kexec -s -l`, the only
//! load KHO serves), writes `prepare`, syncs and runs `kexec -e`. Whatever fails after
//! the image was loaded unloads it again (`kexec -s -u`), and aborts a handoff it
//! prepared.

use crate::command::{argv, run_checked, shown_command};
use crate::kexec::{self, Cmdline, Image};
use crate::moddir::ModuleDir;
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use nix::errno::Errno;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// kexec_handoff's directory under the sysfs root (and its module name).
const DIR: &str = "kexec_handoff";

/// How long `hactl handoff` waits for `ready` by default, in seconds.
const TIMEOUT: &str = "60";

/// How often the wait for `ready` reads `state`.
const POLL: Duration = Duration::from_millis(100);

/// The phases a handoff may start in.
const STARTABLE: [&str; 3] = ["idle", "aborted", "restored"];

/// `hactl handoff`'s options: load the kernel, prepare the handoff, run the kexec.
#[derive(Args)]
pub(crate) struct StartArgs {
    /// The kernel to kexec into (a bzImage, as kexec -s loads it).
    #[arg(long, required = true)]
    pub(crate) kernel: Option<PathBuf>,
    /// Its initramfs.
    #[arg(long)]
    pub(crate) initrd: Option<PathBuf>,
    /// More arguments for the new kernel's command line, after the running kernel's
    /// (`kexec --reuse-cmdline`, which carries kho=on along).
    #[arg(long, value_name = "ARGS", conflicts_with = "command_line")]
    pub(crate) append: Option<String>,
    /// The new kernel's whole command line instead of the running kernel's
    /// (`kexec --command-line`); without kho=on the new kernel cannot hand off again.
    #[arg(long, value_name = "ARGS")]
    pub(crate) command_line: Option<String>,
    /// Abort the handoff (and unload the kernel) if it is not ready within this many
    /// seconds of `prepare`.
    #[arg(long, value_name = "SECONDS", default_value = TIMEOUT)]
    pub(crate) timeout: u64,
    /// Stop once the handoff is ready: `kexec -e` or `systemctl kexec` runs it later,
    /// `hactl handoff abort` gives it up.
    #[arg(long)]
    pub(crate) no_exec: bool,
    /// One JSON object instead of text (printed before the kexec).
    #[arg(long)]
    pub(crate) json: bool,
    /// The kexec program (kexec-tools).
    #[arg(long, default_value = kexec::KEXEC)]
    pub(crate) kexec: PathBuf,
}

/// `hactl handoff` subcommands.
#[derive(Subcommand)]
pub(crate) enum HandoffCommand {
    /// Show the handoff's state, the reason of the last abort, the attempt number and
    /// the report of the handoff that started this kernel.
    Status {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Give up a handoff that is preparing or ready (`abort`), and unload the kexec
    /// image: `kexec -s -u`.
    ///
    /// Exits with code 1, unloading nothing, if there is no handoff to abort.
    Abort {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// The kexec program (kexec-tools).
        #[arg(long, default_value = kexec::KEXEC)]
        kexec: PathBuf,
    },
}

/// Runs `hactl handoff`: with a subcommand, that one; else a handoff with `start`'s
/// options.
pub(crate) fn run(
    sysfs_root: &Path,
    start_args: StartArgs,
    cmd: Option<HandoffCommand>,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let sys = System::default();
    match cmd {
        None => {
            let Some(kernel) = start_args.kernel.as_deref() else {
                bail!("hactl handoff needs --kernel");
            };
            let cmdline = match &start_args.command_line {
                Some(c) => Cmdline::Replace(c),
                None => Cmdline::Reuse(start_args.append.as_deref().unwrap_or_default()),
            };
            let a = Start {
                kernel,
                initrd: start_args.initrd.as_deref(),
                cmdline,
                timeout: Duration::from_secs(start_args.timeout),
                exec: !start_args.no_exec,
                json: start_args.json,
                kexec: &start_args.kexec,
            };
            start(sysfs_root, &sys, &a, out, exec_kexec)?;
        }
        Some(HandoffCommand::Status { json }) => status(sysfs_root, json, out)?,
        Some(HandoffCommand::Abort { json, kexec }) => abort(sysfs_root, &sys, &kexec, json, out)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The system files `hactl handoff` reads outside hasys's directory (other roots in
/// the tests).
pub(crate) struct System {
    /// Whether a kexec image is loaded (`1` or `0`): the newer file first.
    kexec_loaded: [PathBuf; 2],
    /// Whether starting or aborting a handoff checks that hactl runs as root.
    need_root: bool,
}

impl Default for System {
    fn default() -> Self {
        Self {
            kexec_loaded: [
                "/sys/kernel/kexec/loaded".into(),
                "/sys/kernel/kexec_loaded".into(),
            ],
            need_root: true,
        }
    }
}

impl System {
    /// Whether a kexec image is loaded, and the file that says so.
    fn loaded(&self) -> Result<(bool, &Path)> {
        kexec::loaded(&self.kexec_loaded, "kexec support")
    }

    /// An error unless hactl runs as root (or the check is off).
    fn check_root(&self, what: &str) -> Result<()> {
        if self.need_root && !nix::unistd::geteuid().is_root() {
            bail!(
                "{what} needs root: it loads or unloads a kexec image and writes \
                 kexec_handoff's request"
            );
        }
        Ok(())
    }
}

/// The name of an error's errno (`EBUSY`), or the error itself.
fn errno_name(e: &io::Error) -> String {
    e.raw_os_error()
        .map_or_else(|| e.to_string(), |n| format!("{:?}", Errno::from_raw(n)))
}

/// The errno of an error, if it has one.
fn errno(e: &io::Error) -> Option<Errno> {
    e.raw_os_error().map(Errno::from_raw)
}

/// Why the last handoff ended `aborted`: `reason` split into its word and errno.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Reason {
    /// `none`, `requested`, `kho-disabled`, `preserve-failed` or `rebooted`.
    reason: String,
    /// `preserve-failed`'s error, a negative errno; else 0.
    error: i32,
}

impl Reason {
    /// Parses `reason`'s value (`preserve-failed -12`).
    fn parse(s: &str) -> Option<Self> {
        let mut w = s.split_whitespace();
        let reason = w.next()?.to_owned();
        let error = match w.next() {
            Some(e) => e.parse().ok()?,
            None => 0,
        };
        w.next().is_none().then_some(Reason { reason, error })
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.error == 0 {
            return write!(f, "{}", self.reason);
        }
        let e = Errno::from_raw(self.error.saturating_neg());
        write!(f, "{} {} ({e:?}: {})", self.reason, self.error, e.desc())
    }
}

/// `report`: the handoff that started this kernel.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Report {
    /// None did (`none`): JSON `null`.
    None,
    /// kexec_handoff's blob arrived but was refused (`refused <why>`): JSON
    /// `{"refused": <why>}`.
    Refused(String),
    /// Its `key value` lines, in order: a JSON object, numbers as numbers.
    Handoff(Vec<(String, String)>),
}

impl Report {
    /// Parses `report`'s content.
    fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        if s == "none" {
            return Ok(Report::None);
        }
        if let Some(why) = s.strip_prefix("refused ") {
            return Ok(Report::Refused(why.trim().to_owned()));
        }
        s.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| match l.trim().split_once(' ') {
                Some((k, v)) if !v.trim().is_empty() => Ok((k.to_owned(), v.trim().to_owned())),
                _ => bail!("report: cannot parse line {l:?}"),
            })
            .collect::<Result<_>>()
            .map(Report::Handoff)
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Report::None => s.serialize_unit(),
            Report::Refused(why) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("refused", why)?;
                m.end()
            }
            Report::Handoff(lines) => {
                let mut m = s.serialize_map(Some(lines.len()))?;
                for (k, v) in lines {
                    if let Ok(n) = v.parse::<u64>() {
                        m.serialize_entry(k, &n)?;
                    } else if let Ok(n) = v.parse::<i64>() {
                        m.serialize_entry(k, &n)?;
                    } else {
                        m.serialize_entry(k, v)?;
                    }
                }
                m.end()
            }
        }
    }
}

/// kexec_handoff's sysfs directory.
struct Sysfs(ModuleDir);

impl Sysfs {
    /// `<sysfs_root>/kexec_handoff`; an error if kexec_handoff is not loaded, or is
    /// one without the handoff's files.
    fn open(sysfs_root: &Path) -> Result<Self> {
        let dir = ModuleDir::open(sysfs_root, DIR)?;
        let state = dir.path("state");
        if !state.exists() {
            bail!(
                "{} does not exist: this kexec_handoff has no handoff interface",
                state.display()
            );
        }
        Ok(Self(dir))
    }

    fn state(&self) -> Result<String> {
        self.0.read_value("state")
    }

    /// `state`, or why it could not be read (for error messages).
    fn state_or_why(&self) -> String {
        self.state().unwrap_or_else(|e| format!("unknown: {e:#}"))
    }

    fn reason(&self) -> Result<Reason> {
        let s = self.0.read_value("reason")?;
        Reason::parse(&s).ok_or_else(|| {
            anyhow!(
                "{}: {s:?} is not a reason, or a reason and an errno",
                self.0.path("reason").display()
            )
        })
    }

    /// `reason`, or why it could not be read (for error messages).
    fn reason_or_why(&self) -> String {
        self.reason()
            .map_or_else(|e| format!("unknown: {e:#}"), |r| r.to_string())
    }

    fn attempt(&self) -> Result<u64> {
        self.0.read_num("attempt")
    }

    fn report(&self) -> Result<Report> {
        Report::parse(&self.0.read("report")?)
    }

    /// Writes `word` to `request`: `Ok(Err(error))` if the kernel refused it.
    fn request(&self, word: &str) -> Result<Result<(), io::Error>> {
        let refused = |_: &Path, _: &str, e: &io::Error| {
            anyhow::Error::new(e.raw_os_error().map_or_else(
                || io::Error::new(e.kind(), e.to_string()),
                io::Error::from_raw_os_error,
            ))
        };
        match self.0.write("request", word, refused) {
            Ok(()) => Ok(Ok(())),
            Err(e) => e.downcast::<io::Error>().map(Err),
        }
    }
}

/// What the kernel's refusal of `prepare` means.
fn prepare_refused(e: &io::Error) -> String {
    match errno(e) {
        Some(Errno::EOPNOTSUPP) => "KHO is disabled (EOPNOTSUPP): the running kernel needs kho=on \
             from its cold boot, and KHO scratch memory (kho_scratch=)"
            .into(),
        Some(Errno::EBUSY) => {
            "another handoff is under way, or the kernel is going down (EBUSY)".into()
        }
        Some(Errno::EACCES | Errno::EPERM) => {
            format!("permission denied ({e}): hactl handoff needs root")
        }
        Some(Errno::ENODEV) => "kexec_handoff is being unloaded (ENODEV)".into(),
        Some(Errno::EINVAL) => "this kexec_handoff does not know prepare (EINVAL)".into(),
        _ => format!("preserving the state failed: {e}"),
    }
}

/// Why a handoff cannot start in `state`.
fn not_startable(state: &str, attempt: Option<u64>) -> String {
    let n = attempt.map_or_else(String::new, |n| format!(", attempt {n}"));
    match state {
        "preparing" => format!(
            "a handoff is being prepared (state preparing{n}): \
             wait for it, or hactl handoff abort gives it up"
        ),
        "ready" => format!(
            "a handoff is already ready (state ready{n}): kexec -e runs it, \
             hactl handoff abort gives it up"
        ),
        "committed" => "the handoff is committed: the kexec is under way".into(),
        s => format!("kexec_handoff's state is {s:?}, not one of {STARTABLE:?}"),
    }
}

/// Gives up a handoff that cannot go on: writes `abort` first if `abort`, then unloads
/// the kexec image; `why`, with what was done.
fn give_up(kh: &Sysfs, kexec: &Path, abort: bool, why: impl std::fmt::Display) -> anyhow::Error {
    let mut done = Vec::new();
    if abort {
        done.push(match kh.request("abort") {
            Ok(Ok(())) => "aborted the handoff".to_owned(),
            Ok(Err(e)) => format!(
                "abort was refused ({}; state {})",
                errno_name(&e),
                kh.state_or_why()
            ),
            Err(e) => format!("cannot abort the handoff: {e:#}"),
        });
    }
    let unload = kexec::unload_args(Image::Normal);
    done.push(match run_checked(kexec, &unload) {
        Ok(()) => format!(
            "unloaded the kexec image ({})",
            shown_command(kexec, &unload)
        ),
        Err(e) => format!("could not unload the kexec image: {e:#}"),
    });
    anyhow!("{why}; {}", done.join("; "))
}

/// What `hactl handoff` was asked for.
pub(crate) struct Start<'a> {
    pub(crate) kernel: &'a Path,
    pub(crate) initrd: Option<&'a Path>,
    pub(crate) cmdline: Cmdline<'a>,
    /// How long to wait for `ready` after `prepare`.
    pub(crate) timeout: Duration,
    /// Run `kexec -e` once ready.
    pub(crate) exec: bool,
    pub(crate) json: bool,
    /// The kexec program.
    pub(crate) kexec: &'a Path,
}

/// What `hactl handoff` did: its JSON.
#[derive(Debug, Serialize)]
struct Started {
    /// The kernel loaded.
    kernel: PathBuf,
    /// Its initramfs, if any.
    initrd: Option<PathBuf>,
    /// The kexec command that loaded it, program first.
    load: Vec<String>,
    /// The kernel says a kexec image is loaded.
    kexec_loaded: bool,
    /// kexec_handoff's state after `prepare`: `ready`.
    state: String,
    /// The preparation's number.
    attempt: u64,
    /// The command that runs the kexec next, program first; `None` with --no-exec.
    exec: Option<Vec<String>>,
}

/// Replaces this process with `kexec -e`; returns only if that failed.
fn exec_kexec(kexec: &Path) -> io::Error {
    Command::new(kexec).arg("-e").exec()
}

/// `hactl handoff --kernel ...`: see the module documentation. Prints a line per
/// step (text) or the JSON object at the end, before the kexec. Once ready, and
/// unless --no-exec, syncs and calls `exec` (which replaces the process on success:
/// whatever it returns is its failure).
fn start(
    sysfs_root: &Path,
    sys: &System,
    a: &Start<'_>,
    out: &mut impl Write,
    exec: impl FnOnce(&Path) -> io::Error,
) -> Result<()> {
    sys.check_root("hactl handoff")?;
    let kh = Sysfs::open(sysfs_root)?;
    let state = kh.state()?;
    if !STARTABLE.contains(&state.as_str()) {
        bail!("{}", not_startable(&state, kh.attempt().ok()));
    }
    if !a.kernel.is_file() {
        bail!("{} does not exist", a.kernel.display());
    }
    if let Some(i) = a.initrd.filter(|i| !i.is_file()) {
        bail!("{} does not exist", i.display());
    }
    if let Cmdline::Replace(c) = a.cmdline {
        if !c.split_whitespace().any(|w| w == "kho=on") {
            eprintln!(
                "hactl: warning: the new command line has no kho=on: that kernel cannot \
                 hand off again"
            );
        }
    }
    if !a.json {
        writeln!(out, "kexec_handoff is {state}: starting a handoff")?;
    }

    let args = kexec::load_args(Image::Normal, a.kernel, a.initrd, a.cmdline);
    run_checked(a.kexec, &args)?;
    if !a.json {
        writeln!(out, "ran {}", shown_command(a.kexec, &args))?;
    }
    let (loaded, path) = match sys.loaded() {
        Ok(l) => l,
        Err(e) => return Err(give_up(&kh, a.kexec, false, format!("{e:#}"))),
    };
    if !loaded {
        bail!(
            "{} still says 0 after {}",
            path.display(),
            shown_command(a.kexec, &args)
        );
    }
    if !a.json {
        writeln!(out, "kexec image loaded ({} is 1)", path.display())?;
    }

    match kh.request("prepare") {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let why = format!(
                "kexec_handoff refused prepare: {} (state {}, reason {})",
                prepare_refused(&e),
                kh.state_or_why(),
                kh.reason_or_why()
            );
            return Err(give_up(&kh, a.kexec, false, why));
        }
        Err(e) => return Err(give_up(&kh, a.kexec, false, format!("{e:#}"))),
    }
    let state = match wait_ready(&kh, a.timeout) {
        Ok(s) if s == "ready" => s,
        Ok(s) => {
            let why = format!(
                "kexec_handoff is {s} (reason {}), not ready, after prepare (waited up to \
                 {} s)",
                kh.reason_or_why(),
                a.timeout.as_secs()
            );
            return Err(give_up(&kh, a.kexec, true, why));
        }
        Err(e) => return Err(give_up(&kh, a.kexec, true, format!("{e:#}"))),
    };
    let attempt = match kh.attempt() {
        Ok(n) => n,
        Err(e) => return Err(give_up(&kh, a.kexec, true, format!("{e:#}"))),
    };
    if !a.json {
        writeln!(out, "prepared: kexec_handoff is ready (attempt {attempt})")?;
    }

    let e_args = ["-e"];
    let mut r = Started {
        kernel: a.kernel.to_owned(),
        initrd: a.initrd.map(Path::to_owned),
        load: argv(a.kexec, &args),
        kexec_loaded: loaded,
        state,
        attempt,
        exec: None,
    };
    if !a.exec {
        if a.json {
            serde_json::to_writer(&mut *out, &r)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "not executing (--no-exec): kexec -e or systemctl kexec runs the handoff, \
                 hactl handoff abort gives it up"
            )?;
        }
        return Ok(());
    }
    nix::unistd::sync();
    r.exec = Some(argv(a.kexec, &e_args));
    if a.json {
        serde_json::to_writer(&mut *out, &r)?;
        writeln!(out)?;
    } else {
        writeln!(out, "synced the file systems")?;
        writeln!(out, "ready, executing {}", shown_command(a.kexec, &e_args))?;
    }
    out.flush()?;
    let e = exec(a.kexec);
    Err(give_up(
        &kh,
        a.kexec,
        true,
        format!("cannot execute {}: {e}", shown_command(a.kexec, &e_args)),
    ))
}

/// Reads `state` until it is no longer `preparing` (`prepare` is synchronous: it
/// should not be), or `timeout` passed; the last state read.
fn wait_ready(kh: &Sysfs, timeout: Duration) -> Result<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let s = kh.state()?;
        let now = Instant::now();
        if s != "preparing" || now >= deadline {
            return Ok(s);
        }
        std::thread::sleep(POLL.min(deadline - now));
    }
}

/// `hactl handoff status`'s JSON.
#[derive(Debug, Serialize)]
struct Status {
    /// The phase.
    state: String,
    /// Why the last handoff ended aborted.
    #[serde(flatten)]
    reason: Reason,
    /// The number of `prepare` requests accepted.
    attempt: u64,
    /// The handoff that started this kernel.
    report: Report,
}

fn status(sysfs_root: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let kh = Sysfs::open(sysfs_root)?;
    let s = Status {
        state: kh.state()?,
        reason: kh.reason()?,
        attempt: kh.attempt()?,
        report: kh.report()?,
    };
    if json {
        serde_json::to_writer(&mut *out, &s)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "state:   {}", s.state)?;
    writeln!(out, "reason:  {}", s.reason)?;
    writeln!(out, "attempt: {}", s.attempt)?;
    match &s.report {
        Report::None => writeln!(
            out,
            "report:  none (this kernel was not started by a handoff)"
        )?,
        Report::Refused(why) => writeln!(
            out,
            "report:  refused {why} (a handoff started this kernel; its state was not restored)"
        )?,
        Report::Handoff(lines) => {
            writeln!(out, "report:  the handoff that started this kernel")?;
            let w = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            for (k, v) in lines {
                writeln!(out, "  {k:<w$}  {v}")?;
            }
        }
    }
    Ok(())
}

/// `hactl handoff abort`'s JSON.
#[derive(Debug, Serialize)]
struct Aborted {
    /// The phase after the abort: `aborted`.
    state: String,
    /// Why it ended: `requested`.
    #[serde(flatten)]
    reason: Reason,
    /// The kexec command that unloaded the image, program first.
    unload: Vec<String>,
    /// The kernel says a kexec image is loaded; `None` if it could not be read.
    kexec_loaded: Option<bool>,
    /// What went wrong while unloading (the handoff is aborted regardless).
    warnings: Vec<String>,
}

/// The error of an `abort` refused with EBUSY: the state, and whether an image is
/// loaded all the same.
fn nothing_to_abort(kh: &Sysfs, sys: &System) -> String {
    let mut msg = format!("nothing to abort (state {})", kh.state_or_why());
    if let Ok((true, path)) = sys.loaded() {
        msg += &format!(
            "; a kexec image is loaded ({} is 1): kexec -s -u unloads it",
            path.display()
        );
    }
    msg
}

fn abort(
    sysfs_root: &Path,
    sys: &System,
    kexec: &Path,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    sys.check_root("hactl handoff abort")?;
    let kh = Sysfs::open(sysfs_root)?;
    match kh.request("abort")? {
        Ok(()) => {}
        Err(e) if errno(&e) == Some(Errno::EBUSY) => bail!(nothing_to_abort(&kh, sys)),
        Err(e) => bail!(
            "kexec_handoff refused abort: {}",
            match errno(&e) {
                Some(Errno::EACCES | Errno::EPERM) => {
                    format!("permission denied ({e}): hactl handoff abort needs root")
                }
                Some(Errno::ENODEV) => "kexec_handoff is being unloaded (ENODEV)".into(),
                _ => e.to_string(),
            }
        ),
    }
    let state = kh.state()?;
    let reason = kh.reason()?;
    if !json {
        writeln!(out, "aborted: kexec_handoff is {state} (reason {reason})")?;
    }
    let args = kexec::unload_args(Image::Normal);
    let mut warnings = Vec::new();
    match run_checked(kexec, &args) {
        Ok(()) if !json => writeln!(out, "ran {}", shown_command(kexec, &args))?,
        Ok(()) => {}
        Err(e) => warnings.push(format!("could not unload the kexec image: {e:#}")),
    }
    let kexec_loaded = match sys.loaded() {
        Ok((l, path)) => {
            if l {
                warnings.push(format!(
                    "a kexec image is still loaded ({} is 1)",
                    path.display()
                ));
            } else if !json {
                writeln!(out, "no kexec image loaded ({} is 0)", path.display())?;
            }
            Some(l)
        }
        Err(e) => {
            warnings.push(format!("{e:#}"));
            None
        }
    };
    if json {
        let r = Aborted {
            state,
            reason,
            unload: argv(kexec, &args),
            kexec_loaded,
            warnings,
        };
        serde_json::to_writer(&mut *out, &r)?;
        writeln!(out)?;
    } else {
        for w in &warnings {
            writeln!(out, "warning: {w}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::script;
    use std::fs;

    const REPORT: &str = "\
handoffs 1
old_release 7.2.13
new_release 7.2.14
attempt 2
records_sealed 12
records_carried 12
records_lost 0
log_refused 0
first_seq 1
last_seq 12
committed_ns 1796270000123456789
restored_ns 1796270047123456789
blackout_ms 47000
";

    /// A fake kexec_handoff directory in a fake sysfs root: the root, its
    /// `kexec_handoff/` and the fake system files' directory.
    struct Fake {
        root: tempfile::TempDir,
        sys: System,
        /// kexec_handoff's directory.
        kh: PathBuf,
        /// What the fake kexec was run with: one line per run.
        log: PathBuf,
        /// The fake `kexec_loaded`.
        loaded: PathBuf,
    }

    impl Fake {
        fn new(state: &str) -> Self {
            let root = tempfile::tempdir().expect("tempdir");
            let kh = root.path().join("ha").join(DIR);
            fs::create_dir_all(&kh).expect("mkdir");
            for (f, v) in [
                ("version", "0.1.0\n"),
                ("state", &format!("{state}\n")),
                ("reason", "none\n"),
                ("attempt", "1\n"),
                ("request", ""),
                ("report", "none\n"),
            ] {
                fs::write(kh.join(f), v).expect("write");
            }
            let loaded = root.path().join("kexec_loaded");
            fs::write(&loaded, "0\n").expect("write");
            fs::write(root.path().join("vmlinuz"), "kernel").expect("write");
            fs::write(root.path().join("initrd.img"), "initrd").expect("write");
            let sys = System {
                kexec_loaded: [root.path().join("kexec/loaded"), loaded.clone()],
                need_root: false,
            };
            let log = root.path().join("kexec.log");
            Self {
                root,
                sys,
                kh,
                log,
                loaded,
            }
        }

        fn sysfs_root(&self) -> PathBuf {
            self.root.path().join("ha")
        }

        fn path(&self, name: &str) -> PathBuf {
            self.root.path().join(name)
        }

        /// A fake kexec: logs its arguments, sets kexec_loaded on -l and clears it on
        /// -u. A `prepare` written to the plain file `request` changes nothing, so
        /// the load also sets `state` to `on_load`, as the kernel's prepare would.
        fn kexec(&self, on_load: &str) -> PathBuf {
            script(
                self.root.path(),
                "kexec",
                &format!(
                    "echo \"$*\" >> {log}\n\
                     case \"$2\" in\n\
                     -l) echo 1 > {loaded}; echo {on_load} > {state} ;;\n\
                     -u) echo 0 > {loaded} ;;\n\
                     esac",
                    log = self.log.display(),
                    loaded = self.loaded.display(),
                    state = self.kh.join("state").display(),
                ),
            )
        }

        fn runs(&self) -> String {
            fs::read_to_string(&self.log).unwrap_or_default()
        }

        fn request(&self) -> String {
            fs::read_to_string(self.kh.join("request")).expect("read")
        }

        fn start(
            &self,
            a: &Start<'_>,
            exec: impl FnOnce(&Path) -> io::Error,
        ) -> (Result<()>, String) {
            let mut out = Vec::new();
            let r = start(&self.sysfs_root(), &self.sys, a, &mut out, exec);
            (r, String::from_utf8(out).expect("utf8"))
        }
    }

    fn args<'a>(kernel: &'a Path, kexec: &'a Path) -> Start<'a> {
        Start {
            kernel,
            initrd: None,
            cmdline: Cmdline::Reuse(""),
            timeout: Duration::ZERO,
            exec: false,
            json: false,
            kexec,
        }
    }

    fn no_exec(_: &Path) -> io::Error {
        panic!("--no-exec ran kexec -e");
    }

    #[test]
    fn no_exec_text_and_json() {
        let f = Fake::new("idle");
        let kexec = f.kexec("ready");
        let kernel = f.path("vmlinuz");
        let (r, text) = f.start(&args(&kernel, &kexec), no_exec);
        r.expect("start");
        let k = kernel.display();
        assert_eq!(f.runs(), format!("-s -l {k} --reuse-cmdline\n"));
        assert_eq!(f.request(), "prepare\n");
        assert_eq!(
            text,
            format!(
                "kexec_handoff is idle: starting a handoff\n\
                 ran {} -s -l {k} --reuse-cmdline\n\
                 kexec image loaded ({} is 1)\n\
                 prepared: kexec_handoff is ready (attempt 1)\n\
                 not executing (--no-exec): kexec -e or systemctl kexec runs the handoff, \
                 hactl handoff abort gives it up\n",
                kexec.display(),
                f.loaded.display()
            )
        );

        // Again from aborted, with an initrd and more arguments, as JSON.
        let f = Fake::new("aborted");
        let kexec = f.kexec("ready");
        let kernel = f.path("vmlinuz");
        let initrd = f.path("initrd.img");
        let a = Start {
            initrd: Some(&initrd),
            cmdline: Cmdline::Reuse("quiet hasys.x=1"),
            json: true,
            ..args(&kernel, &kexec)
        };
        let (r, text) = f.start(&a, no_exec);
        r.expect("start");
        assert_eq!(
            f.runs(),
            format!(
                "-s -l {k} --reuse-cmdline --append=quiet hasys.x=1 --initrd={}\n",
                initrd.display(),
                k = kernel.display()
            )
        );
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert_eq!(v["state"], "ready");
        assert_eq!(v["attempt"], 1);
        assert_eq!(v["kexec_loaded"], true);
        assert_eq!(v["exec"], serde_json::Value::Null);
        assert_eq!(v["initrd"], initrd.display().to_string());
        assert_eq!(v["load"][0], kexec.display().to_string());
        assert_eq!(v["load"][5], "--append=quiet hasys.x=1");

        // A whole command line instead of the running kernel's, from restored.
        let f = Fake::new("restored");
        let kexec = f.kexec("ready");
        let kernel = f.path("vmlinuz");
        let a = Start {
            cmdline: Cmdline::Replace("root=/dev/vda kho=on"),
            ..args(&kernel, &kexec)
        };
        f.start(&a, no_exec).0.expect("start");
        assert_eq!(
            f.runs(),
            format!(
                "-s -l {} --command-line=root=/dev/vda kho=on\n",
                kernel.display()
            )
        );
    }

    #[test]
    fn exec() {
        // The exec is the last step, after the line (or the JSON) is out; an exec
        // that fails gives the handoff up.
        for json in [false, true] {
            let f = Fake::new("idle");
            let kexec = f.kexec("ready");
            let kernel = f.path("vmlinuz");
            let a = Start {
                exec: true,
                json,
                ..args(&kernel, &kexec)
            };
            let mut ran = None;
            let (r, text) = f.start(&a, |k| {
                ran = Some(k.to_owned());
                io::Error::from_raw_os_error(Errno::ENOEXEC as i32)
            });
            assert_eq!(ran.as_deref(), Some(kexec.as_path()));
            let e = r.expect_err("exec failed").to_string();
            assert!(
                e.starts_with(&format!("cannot execute {} -e: ", kexec.display())),
                "{e}"
            );
            assert!(
                e.contains("; aborted the handoff; unloaded the kexec image"),
                "{e}"
            );
            assert_eq!(f.request(), "abort\n");
            assert!(f.runs().ends_with("-s -u\n"), "{}", f.runs());
            if json {
                let v: serde_json::Value = serde_json::from_str(&text).expect("json");
                assert_eq!(v["exec"][1], "-e");
            } else {
                assert!(
                    text.ends_with(&format!(
                        "synced the file systems\nready, executing {} -e\n",
                        kexec.display()
                    )),
                    "{text}"
                );
            }
        }
        // The real exec, of a program that is not there, returns.
        let e = exec_kexec(Path::new("/nonexistent/kexec"));
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn refused_before_loading() {
        let f = Fake::new("ready");
        let kexec = f.kexec("ready");
        let kernel = f.path("vmlinuz");
        let e = f
            .start(&args(&kernel, &kexec), no_exec)
            .0
            .expect_err("busy");
        assert_eq!(
            e.to_string(),
            "a handoff is already ready (state ready, attempt 1): kexec -e runs it, \
             hactl handoff abort gives it up"
        );
        for (state, want) in [
            ("preparing", "being prepared"),
            ("committed", "the kexec is under way"),
            ("odd", "\"odd\""),
        ] {
            fs::write(f.kh.join("state"), state).expect("write");
            let e = f.start(&args(&kernel, &kexec), no_exec).0.expect_err(state);
            assert!(e.to_string().contains(want), "{e}");
        }
        fs::write(f.kh.join("state"), "idle\n").expect("write");
        let missing = f.path("vmlinuz-nope");
        let e = f
            .start(&args(&missing, &kexec), no_exec)
            .0
            .expect_err("no kernel");
        assert!(e.to_string().contains("vmlinuz-nope does not exist"), "{e}");
        let initrd = f.path("initrd-nope");
        let a = Start {
            initrd: Some(&initrd),
            ..args(&kernel, &kexec)
        };
        let e = f.start(&a, no_exec).0.expect_err("no initrd");
        assert!(e.to_string().contains("initrd-nope does not exist"), "{e}");
        assert_eq!(f.runs(), "", "kexec never ran");
        assert_eq!(f.request(), "");

        // kexec fails; kexec says it worked but nothing is loaded.
        let failing = script(
            f.root.path(),
            "kexec-failing",
            "echo 'kexec_file_load failed: Invalid argument' >&2; exit 1",
        );
        let e = f
            .start(&args(&kernel, &failing), no_exec)
            .0
            .expect_err("fails");
        assert!(e.to_string().contains("Invalid argument"), "{e}");
        let e = f
            .start(&args(&kernel, Path::new("true")), no_exec)
            .0
            .expect_err("not loaded");
        assert!(e.to_string().contains("kexec_loaded still says 0"), "{e}");
        assert_eq!(f.request(), "");

        // No module, or one without the handoff's files.
        let empty = tempfile::tempdir().expect("tempdir");
        let mut out = Vec::new();
        let e = start(
            empty.path(),
            &f.sys,
            &args(&kernel, &kexec),
            &mut out,
            no_exec,
        )
        .expect_err("no module");
        assert!(
            e.to_string().contains("kexec_handoff module is not loaded"),
            "{e}"
        );
        fs::remove_file(f.kh.join("state")).expect("rm");
        let e = f.start(&args(&kernel, &kexec), no_exec).0.expect_err("old");
        assert!(e.to_string().contains("no handoff interface"), "{e}");
    }

    #[test]
    fn refused_prepare_unloads() {
        // The kernel fails the write: a directory stands in for the refusing file.
        let f = Fake::new("idle");
        let kexec = f.kexec("aborted");
        let kernel = f.path("vmlinuz");
        fs::remove_file(f.kh.join("request")).expect("rm");
        fs::create_dir(f.kh.join("request")).expect("mkdir");
        fs::write(f.kh.join("reason"), "preserve-failed -12\n").expect("write");
        let e = f
            .start(&args(&kernel, &kexec), no_exec)
            .0
            .expect_err("refused");
        let e = e.to_string();
        assert!(
            e.starts_with("kexec_handoff refused prepare: preserving the state failed: "),
            "{e}"
        );
        assert!(
            e.contains("(state aborted, reason preserve-failed -12 (ENOMEM: "),
            "{e}"
        );
        assert!(e.contains(")); unloaded the kexec image ("), "{e}");
        assert!(!e.contains("aborted the handoff"), "{e}");
        let k = kernel.display();
        assert_eq!(f.runs(), format!("-s -l {k} --reuse-cmdline\n-s -u\n"));
        assert_eq!(fs::read_to_string(&f.loaded).expect("read"), "0\n");

        // What the errors mean.
        let msg = |n: Errno| prepare_refused(&io::Error::from_raw_os_error(n as i32));
        assert!(msg(Errno::EOPNOTSUPP).starts_with("KHO is disabled (EOPNOTSUPP)"));
        assert!(msg(Errno::EBUSY).contains("another handoff is under way"));
        assert!(msg(Errno::EACCES).contains("needs root"));
        assert!(msg(Errno::ENOMEM).starts_with("preserving the state failed: "));
    }

    #[test]
    fn not_ready_aborts() {
        // Still preparing when the time is up, or aborted meanwhile.
        for state in ["preparing", "aborted"] {
            let f = Fake::new("idle");
            let kexec = f.kexec(state);
            let kernel = f.path("vmlinuz");
            let a = Start {
                timeout: Duration::from_millis(250),
                ..args(&kernel, &kexec)
            };
            let t = Instant::now();
            let e = f.start(&a, no_exec).0.expect_err("not ready").to_string();
            let waited = t.elapsed();
            assert!(
                e.starts_with(&format!(
                    "kexec_handoff is {state} (reason none), not ready"
                )),
                "{e}"
            );
            assert!(
                e.ends_with(&format!(
                    "; aborted the handoff; unloaded the kexec image ({} -s -u)",
                    kexec.display()
                )),
                "{e}"
            );
            assert_eq!(f.request(), "abort\n");
            assert!(f.runs().ends_with("\n-s -u\n"));
            if state == "preparing" {
                assert!(waited >= Duration::from_millis(250), "{waited:?}");
            } else {
                assert!(waited < Duration::from_millis(250), "{waited:?}");
            }
        }
    }

    #[test]
    fn status_text_and_json() {
        let f = Fake::new("restored");
        fs::write(f.kh.join("report"), REPORT).expect("write");
        fs::write(f.kh.join("attempt"), "0\n").expect("write");
        let mut out = Vec::new();
        status(&f.sysfs_root(), false, &mut out).expect("status");
        let text = String::from_utf8(out).expect("utf8");
        assert!(
            text.starts_with(
                "state:   restored\nreason:  none\nattempt: 0\n\
                 report:  the handoff that started this kernel\n\
                 \x20 handoffs         1\n\
                 \x20 old_release      7.2.13\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("  blackout_ms      47000\n"), "{text}");
        let mut out = Vec::new();
        status(&f.sysfs_root(), true, &mut out).expect("status");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["state"], "restored");
        assert_eq!(v["reason"], "none");
        assert_eq!(v["error"], 0);
        assert_eq!(v["report"]["handoffs"], 1);
        assert_eq!(v["report"]["old_release"], "7.2.13");
        assert_eq!(v["report"]["committed_ns"], 1_796_270_000_123_456_789_u64);
        assert_eq!(v["report"]["blackout_ms"], 47000);
        assert_eq!(v["report"].as_object().expect("object").len(), 13);
        // The keys in the kernel's order.
        let s = String::from_utf8(out).expect("utf8");
        assert!(s.find("\"handoffs\"") < s.find("\"blackout_ms\""), "{s}");

        // An abort's reason with its error; no report; a refused one.
        fs::write(f.kh.join("reason"), "preserve-failed -12\n").expect("write");
        let mut out = Vec::new();
        status(&f.sysfs_root(), true, &mut out).expect("status");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(
            (&v["reason"], &v["error"]),
            (&"preserve-failed".into(), &(-12).into())
        );
        fs::write(f.kh.join("report"), "none\n").expect("write");
        let mut out = Vec::new();
        status(&f.sysfs_root(), true, &mut out).expect("status");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["report"], serde_json::Value::Null);
        fs::write(f.kh.join("report"), "refused bad-crc\n").expect("write");
        let mut out = Vec::new();
        status(&f.sysfs_root(), false, &mut out).expect("status");
        let text = String::from_utf8(out).expect("utf8");
        assert!(
            text.contains("reason:  preserve-failed -12 (ENOMEM: "),
            "{text}"
        );
        assert!(text.contains("report:  refused bad-crc ("), "{text}");
        let mut out = Vec::new();
        status(&f.sysfs_root(), true, &mut out).expect("status");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["report"], serde_json::json!({"refused": "bad-crc"}));

        // Broken files are errors naming them.
        fs::write(f.kh.join("reason"), "rebooted twice\n").expect("write");
        let e = status(&f.sysfs_root(), false, &mut Vec::new()).expect_err("reason");
        assert!(e.to_string().contains("kexec_handoff/reason"), "{e}");
        fs::write(f.kh.join("reason"), "none\n").expect("write");
        fs::write(f.kh.join("report"), "handoffs 1\nlonely\n").expect("write");
        let e = status(&f.sysfs_root(), false, &mut Vec::new()).expect_err("report");
        assert!(e.to_string().contains("\"lonely\""), "{e}");
    }

    #[test]
    fn parsing() {
        assert_eq!(
            Reason::parse("rebooted"),
            Some(Reason {
                reason: "rebooted".into(),
                error: 0
            })
        );
        assert_eq!(
            Reason::parse("preserve-failed -5").map(|r| r.error),
            Some(-5)
        );
        assert_eq!(Reason::parse(""), None);
        assert_eq!(Reason::parse("preserve-failed x"), None);
        assert_eq!(Report::parse("none\n").expect("none"), Report::None);
        assert_eq!(
            Report::parse("handoffs 2\n\nold_release 7.2 rc1\n").expect("lines"),
            Report::Handoff(vec![
                ("handoffs".into(), "2".into()),
                ("old_release".into(), "7.2 rc1".into())
            ])
        );
    }

    #[test]
    fn abort_unloads() {
        let f = Fake::new("idle");
        let kexec = f.kexec("ready");
        let kernel = f.path("vmlinuz");
        f.start(&args(&kernel, &kexec), no_exec).0.expect("start");
        // The kernel would now say aborted, requested.
        fs::write(f.kh.join("state"), "aborted\n").expect("write");
        fs::write(f.kh.join("reason"), "requested\n").expect("write");
        let mut out = Vec::new();
        abort(&f.sysfs_root(), &f.sys, &kexec, false, &mut out).expect("abort");
        assert_eq!(f.request(), "abort\n");
        assert!(f.runs().ends_with("\n-s -u\n"), "{}", f.runs());
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            format!(
                "aborted: kexec_handoff is aborted (reason requested)\n\
                 ran {} -s -u\n\
                 no kexec image loaded ({} is 0)\n",
                kexec.display(),
                f.loaded.display()
            )
        );

        // An unload that fails is a warning: the handoff is aborted regardless.
        fs::write(&f.loaded, "1\n").expect("write");
        let failing = script(
            f.root.path(),
            "kexec-failing",
            "echo 'no image' >&2; exit 1",
        );
        let mut out = Vec::new();
        abort(&f.sysfs_root(), &f.sys, &failing, true, &mut out).expect("abort");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["state"], "aborted");
        assert_eq!(v["reason"], "requested");
        assert_eq!(v["unload"][1], "-s");
        assert_eq!(v["kexec_loaded"], true);
        let w = v["warnings"].as_array().expect("array");
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].as_str().expect("str").contains("no image"), "{w:?}");
        assert!(
            w[1].as_str().expect("str").contains("still loaded"),
            "{w:?}"
        );
        let mut out = Vec::new();
        abort(&f.sysfs_root(), &f.sys, &failing, false, &mut out).expect("abort");
        let text = String::from_utf8(out).expect("utf8");
        assert!(
            text.contains("warning: could not unload the kexec image: "),
            "{text}"
        );

        // EBUSY: nothing to abort, and whether an image is loaded anyway.
        let kh = Sysfs::open(&f.sysfs_root()).expect("open");
        assert_eq!(
            nothing_to_abort(&kh, &f.sys),
            format!(
                "nothing to abort (state aborted); a kexec image is loaded ({} is 1): \
                 kexec -s -u unloads it",
                f.loaded.display()
            )
        );
        fs::write(&f.loaded, "0\n").expect("write");
        assert_eq!(
            nothing_to_abort(&kh, &f.sys),
            "nothing to abort (state aborted)"
        );

        // A refused abort names the error; the module must be there.
        fs::remove_file(f.kh.join("request")).expect("rm");
        fs::create_dir(f.kh.join("request")).expect("mkdir");
        let e =
            abort(&f.sysfs_root(), &f.sys, &kexec, false, &mut Vec::new()).expect_err("refused");
        assert!(
            e.to_string().starts_with("kexec_handoff refused abort: "),
            "{e}"
        );
        let empty = tempfile::tempdir().expect("tempdir");
        let e = abort(empty.path(), &f.sys, &kexec, false, &mut Vec::new()).expect_err("none");
        assert!(
            e.to_string().contains("kexec_handoff module is not loaded"),
            "{e}"
        );
    }
}
