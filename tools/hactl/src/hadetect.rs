// SPDX-License-Identifier: GPL-2.0

//! `hactl health`, `hactl faults` and `hactl rules`: hadetect's sysfs directory,
//! `<sysfs_root>/hadetect/`:
//!
//! | file                     | access | content                                          |
//! |--------------------------|--------|--------------------------------------------------|
//! | `health`                 | RO     | green, yellow or red; pollable (sysfs_notify)    |
//! | `score`                  | RO     | the health score                                 |
//! | `reasons`                | RO     | reason names separated by spaces, maybe none     |
//! | `counters`               | RO     | `<name> <value>` lines                           |
//! | `dry_run`                | RW     | 0 or 1: every rule only pretends to act          |
//! | `clear`                  | WO     | `all`, `<class>` or `<class> <object>`           |
//! | `faults`                 | RO     | one line per fault (see [`Fault`])               |
//! | `<class>/<field>`        | RW     | the class's rule, one file per [`RULE_FIELDS`]   |
//!
//! Values written go to the kernel as they are (with a newline, as `echo` writes
//! them); it validates them and fails the write with EINVAL (not a valid value) or
//! ERANGE (a number out of range). Only class and field names are checked here.

use crate::command::run_checked;
use crate::moddir::ModuleDir;
use anyhow::{anyhow, bail, Context, Result};
use hwerr_abi::{abi, decode};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use serde::{Serialize, Serializer};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// hadetect's directory under the sysfs root (and its module name).
const DIR: &str = "hadetect";

/// The fields of a class's rule, one file each in the class's directory.
pub(crate) const RULE_FIELDS: [&str; 6] = [
    "threshold",
    "window_ms",
    "action",
    "cap",
    "dry_run",
    "ue_immediate",
];

/// Default Pacemaker node attribute of `hactl health --pacemaker`.
pub(crate) const PCMK_ATTRIBUTE: &str = "#health-hasys";
/// Default dampening of `hactl health --pacemaker`.
pub(crate) const PCMK_DAMPEN: &str = "5s";
/// Default program of `hactl health --pacemaker`, looked up in `PATH`.
pub(crate) const PCMK_UPDATER: &str = "attrd_updater";

/// The classes that have a rule: every fault class but "none".
fn classes() -> &'static [&'static str] {
    &abi::HD_CLASS_NAMES[usize::from(abi::HD_NONE) + 1..]
}

/// Checks a class name; the error lists the valid ones.
fn check_class(class: &str) -> Result<()> {
    if !classes().contains(&class) {
        bail!(
            "unknown fault class {class:?}; one of: {}",
            classes().join(", ")
        );
    }
    Ok(())
}

/// What the kernel accepts in `field`, for error messages.
fn field_hint(field: &str) -> &'static str {
    match field {
        "action" => {
            "an action name: none, soft_offline, cpu_offline, pci_unbind, pci_remove, \
                     as the class allows"
        }
        "dry_run" | "ue_immediate" => "0 or 1 (or n/y, off/on)",
        "threshold" | "window_ms" | "cap" => "a whole number",
        _ => "",
    }
}

/// hadetect's sysfs directory.
pub(crate) struct Sysfs(ModuleDir);

impl Sysfs {
    /// `<sysfs_root>/hadetect`; an error if hadetect is not loaded.
    pub(crate) fn open(sysfs_root: &Path) -> Result<Self> {
        ModuleDir::open(sysfs_root, DIR).map(Self)
    }

    fn read_u64(&self, name: &str) -> Result<u64> {
        self.0.read_parsed(name, "a number")
    }

    /// Writes `value` and a newline to `name` in one `write()`, as `echo value >
    /// name` does. A refusal of the kernel is an error naming the file and the value.
    fn write(&self, name: &str, value: &str) -> Result<()> {
        self.0.write(name, value, write_error)
    }
}

/// The error of a failed write of `value` to `path`.
fn write_error(path: &Path, value: &str, e: &io::Error) -> anyhow::Error {
    let field = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let why = match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EINVAL) => {
            let hint = field_hint(&field);
            if hint.is_empty() {
                "not a valid value (EINVAL)".to_owned()
            } else {
                format!("not a valid value (EINVAL); expected {hint}")
            }
        }
        Some(Errno::ERANGE) => "out of range (ERANGE)".to_owned(),
        Some(Errno::ENOENT) => "no such fault (ENOENT)".to_owned(),
        Some(Errno::EACCES | Errno::EPERM) => {
            format!("permission denied ({e}); hadetect's settings need root")
        }
        Some(Errno::ENODEV) => "hadetect is being unloaded (ENODEV)".to_owned(),
        _ => e.to_string(),
    };
    anyhow!("{}: the kernel refused {value:?}: {why}", path.display())
}

// ---------------------------------------------------------------------------
// health

/// The node's health as hadetect judges it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Health {
    /// green, yellow or red.
    pub(crate) health: String,
    /// The score behind it.
    pub(crate) score: u64,
    /// Reason names (`HD_REASON_NAMES`).
    pub(crate) reasons: Vec<String>,
}

/// `reasons`: names separated by white space, maybe none.
pub(crate) fn parse_reasons(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

impl Sysfs {
    /// `health`, `score` and `reasons`, with `health` already read (`level`).
    fn health_with(&self, level: &str) -> Result<Health> {
        Ok(Health {
            health: level.trim().to_owned(),
            score: self.read_u64("score")?,
            reasons: parse_reasons(&self.0.read("reasons")?),
        })
    }

    /// Reads the health.
    pub(crate) fn health(&self) -> Result<Health> {
        self.health_with(&self.0.read("health")?)
    }

    /// Reads the counters.
    pub(crate) fn counters(&self) -> Result<Vec<(String, u64)>> {
        self.0.counters()
    }
}

/// Waits for changes of `health` with the sysfs_notify convention: read the open
/// file, `poll()` for `POLLPRI | POLLERR`, seek to 0 and read again.
struct HealthWatch<'a> {
    sysfs: &'a Sysfs,
    file: File,
    last: Health,
}

impl<'a> HealthWatch<'a> {
    /// Opens `health` and reads the current health.
    fn open(sysfs: &'a Sysfs) -> Result<Self> {
        let path = sysfs.0.path("health");
        let mut file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let mut level = String::new();
        file.read_to_string(&mut level)
            .with_context(|| format!("reading {}", path.display()))?;
        let last = sysfs.health_with(&level)?;
        Ok(Self { sysfs, file, last })
    }

    /// Waits until the health differs from the last one read, or until `deadline`
    /// (`None`: forever); `None` when the deadline passed first.
    fn next(&mut self, deadline: Option<Instant>) -> Result<Option<Health>> {
        loop {
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    // Round up: a poll of 0 ms would spin until the deadline.
                    let left = left.max(Duration::from_millis(1));
                    PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [PollFd::new(
                self.file.as_fd(),
                PollFlags::POLLPRI | PollFlags::POLLERR,
            )];
            match poll(&mut fds, timeout) {
                Ok(0) => continue, // the deadline check above ends the wait
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e).context("poll on hadetect/health"),
            }
            if fds[0]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLNVAL))
            {
                bail!("poll on hadetect/health: invalid file descriptor");
            }
            self.file.rewind().context("seeking hadetect/health")?;
            let mut level = String::new();
            self.file
                .read_to_string(&mut level)
                .context("reading hadetect/health")?;
            let h = self.sysfs.health_with(&level)?;
            // A notification from before the first read shows nothing new.
            if h != self.last {
                self.last = h.clone();
                return Ok(Some(h));
            }
        }
    }
}

/// How `hactl health` ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It printed what it was asked for.
    Done,
    /// `--wait` saw no change within `--timeout-ms`.
    TimedOut,
}

/// `--pacemaker`: how to set the node attribute.
pub(crate) struct Pacemaker<'a> {
    /// The `attrd_updater` program.
    pub(crate) updater: &'a Path,
    /// The node attribute.
    pub(crate) attribute: &'a str,
    /// Its dampening, as `attrd_updater -d` takes it.
    pub(crate) dampen: &'a str,
}

/// What `hactl health` was asked for.
pub(crate) struct HealthArgs<'a> {
    /// One JSON object instead of a line.
    pub(crate) json: bool,
    /// Wait for the next change.
    pub(crate) wait: bool,
    /// Bound on the wait, ms.
    pub(crate) timeout_ms: Option<u64>,
    /// Print the counters too.
    pub(crate) counters: bool,
    /// Set a Pacemaker node attribute instead of printing the health.
    pub(crate) pacemaker: Option<Pacemaker<'a>>,
}

/// `health: yellow score 11 reasons: fault` (`reasons: none` if there are none).
fn health_line(h: &Health) -> String {
    let reasons = if h.reasons.is_empty() {
        "none".to_owned()
    } else {
        h.reasons.join(" ")
    };
    format!("health: {} score {} reasons: {reasons}", h.health, h.score)
}

fn write_health(
    out: &mut impl Write,
    h: &Health,
    counters: Option<&[(String, u64)]>,
    json: bool,
) -> Result<()> {
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            health: &'a Health,
            #[serde(
                skip_serializing_if = "Option::is_none",
                serialize_with = "ordered_map"
            )]
            counters: Option<&'a [(String, u64)]>,
        }
        serde_json::to_writer(
            &mut *out,
            &Out {
                health: h,
                counters,
            },
        )?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", health_line(h))?;
        for (name, value) in counters.unwrap_or_default() {
            writeln!(out, "{name} {value}")?;
        }
    }
    Ok(())
}

/// Counters as one JSON object, in the kernel's order.
fn ordered_map<S: Serializer>(c: &Option<&[(String, u64)]>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(c.unwrap_or_default().iter().map(|(k, v)| (k, v)))
}

/// Sets the Pacemaker node attribute to `level` with `attrd_updater -n <attribute>
/// -B <level> -d <dampen>`, as ocf:pacemaker:HealthCPU does, and prints what it set.
fn set_attribute(out: &mut impl Write, p: &Pacemaker<'_>, h: &Health, json: bool) -> Result<()> {
    if !abi::HD_HEALTH_NAMES.contains(&h.health.as_str()) {
        bail!("hadetect reports an unknown health {:?}", h.health);
    }
    let args = ["-n", p.attribute, "-B", &h.health, "-d", p.dampen];
    run_checked(p.updater, &args)?;
    if json {
        #[derive(Serialize)]
        struct Set<'a> {
            attribute: &'a str,
            value: &'a str,
            dampen: &'a str,
            score: u64,
            reasons: &'a [String],
        }
        serde_json::to_writer(
            &mut *out,
            &Set {
                attribute: p.attribute,
                value: &h.health,
                dampen: p.dampen,
                score: h.score,
                reasons: &h.reasons,
            },
        )?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "set {}={} dampen {} ({})",
            p.attribute,
            h.health,
            p.dampen,
            health_line(h)
        )?;
    }
    out.flush()?;
    Ok(())
}

/// `hactl health`: prints the health (or the next one, with `wait`), or keeps a
/// Pacemaker node attribute equal to it.
pub(crate) fn health(
    sysfs_root: &Path,
    args: &HealthArgs<'_>,
    out: &mut impl Write,
) -> Result<Outcome> {
    let sysfs = Sysfs::open(sysfs_root)?;
    let deadline = args
        .timeout_ms
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    if let Some(p) = &args.pacemaker {
        if !args.wait {
            set_attribute(out, p, &sysfs.health()?, args.json)?;
            return Ok(Outcome::Done);
        }
        let mut w = HealthWatch::open(&sysfs)?;
        set_attribute(out, p, &w.last, args.json)?;
        let mut set = w.last.health.clone();
        // The attribute is the level: a new score or reason alone changes nothing.
        while let Some(h) = w.next(deadline)? {
            if h.health != set {
                set_attribute(out, p, &h, args.json)?;
                set.clone_from(&h.health);
            }
        }
        return Ok(Outcome::Done);
    }
    let h = if args.wait {
        let mut w = HealthWatch::open(&sysfs)?;
        match w.next(deadline)? {
            Some(h) => h,
            None => return Ok(Outcome::TimedOut),
        }
    } else {
        sysfs.health()?
    };
    let counters = if args.counters {
        Some(sysfs.counters()?)
    } else {
        None
    };
    write_health(out, &h, counters.as_deref(), args.json)?;
    Ok(Outcome::Done)
}

// ---------------------------------------------------------------------------
// faults

/// One line of `faults`: `<class> <object-hex> <state> total <n> window <n>
/// attempt <n> first_ns <n> last_ns <n> seq <n> retry_ns <n>`.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Fault {
    /// Class name (`HD_CLASS_NAMES`).
    pub(crate) class: String,
    /// The class's object number: pfn, CPU, PCI segment/bus/devfn, DIMM, source.
    pub(crate) object: u64,
    /// The object as an admin names it: `pfn 0x1234`, `cpu1`, `0000:01:00.0`.
    pub(crate) component: String,
    /// suspect, faulty, isolating, isolated, retrying, gave-up, dry-run, capped,
    /// refused.
    pub(crate) state: String,
    /// Errors counted since the fault was opened.
    pub(crate) total: u64,
    /// Errors within the rule's window.
    pub(crate) window: u64,
    /// Actions tried.
    pub(crate) attempt: u64,
    /// `CLOCK_BOOTTIME` of the first error, ns; negative before this boot (a fault a
    /// kexec handoff carried).
    pub(crate) first_ns: i64,
    /// `CLOCK_BOOTTIME` of the last error, ns; negative before this boot.
    pub(crate) last_ns: i64,
    /// Sequence number of the record that fired the rule.
    pub(crate) seq: u64,
    /// `CLOCK_BOOTTIME` of the next try (retrying), else 0.
    pub(crate) retry_ns: u64,
}

fn parse_hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x").unwrap_or(s), 16).ok()
}

/// The object as an admin names it, for a class given by name.
fn component(class: &str, object: u64) -> String {
    abi::HD_CLASS_NAMES
        .iter()
        .position(|c| *c == class)
        .and_then(|i| u8::try_from(i).ok())
        .map(|c| decode::component(c, object))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{object:#x}"))
}

/// Parses one line of `faults`. Later keys the line may grow are ignored.
pub(crate) fn parse_fault(line: &str) -> Result<Fault> {
    let bad = || anyhow!("faults: cannot parse line {line:?}");
    let mut w = line.split_whitespace();
    let class = w.next().ok_or_else(bad)?.to_owned();
    let object = w.next().and_then(parse_hex).ok_or_else(bad)?;
    let state = w.next().ok_or_else(bad)?.to_owned();
    let rest: Vec<&str> = w.collect();
    let mut f = Fault {
        component: component(&class, object),
        class,
        object,
        state,
        total: 0,
        window: 0,
        attempt: 0,
        first_ns: 0,
        last_ns: 0,
        seq: 0,
        retry_ns: 0,
    };
    let mut seen = 0u8;
    for kv in rest.chunks(2) {
        let [k, v] = kv else { return Err(bad()) };
        // The two times are signed, every other value is not.
        let (signed, bit) = match *k {
            "first_ns" => (&mut f.first_ns, 3),
            "last_ns" => (&mut f.last_ns, 4),
            _ => {
                let v: u64 = v.parse().map_err(|_| bad())?;
                let (slot, bit) = match *k {
                    "total" => (&mut f.total, 0),
                    "window" => (&mut f.window, 1),
                    "attempt" => (&mut f.attempt, 2),
                    "seq" => (&mut f.seq, 5),
                    "retry_ns" => (&mut f.retry_ns, 6),
                    _ => continue,
                };
                *slot = v;
                seen |= 1 << bit;
                continue;
            }
        };
        *signed = v.parse().map_err(|_| bad())?;
        seen |= 1 << bit;
    }
    if seen != 0x7f {
        return Err(bad());
    }
    Ok(f)
}

/// Parses the whole `faults` text.
pub(crate) fn parse_faults(text: &str) -> Result<Vec<Fault>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_fault)
        .collect()
}

impl Sysfs {
    /// Reads `faults`.
    pub(crate) fn faults(&self) -> Result<Vec<Fault>> {
        parse_faults(&self.0.read("faults")?)
    }
}

/// Boot time in seconds, as `hactl watch` shows it: `12.345678`; `-3600.000000`
/// an hour before this boot.
fn secs(ns: impl Into<i128>) -> String {
    let ns: i128 = ns.into();
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    format!(
        "{sign}{}.{:06}",
        abs / 1_000_000_000,
        abs % 1_000_000_000 / 1000
    )
}

/// Writes `faults` as an aligned table (times in seconds since boot).
pub(crate) fn write_faults_table(out: &mut impl Write, faults: &[Fault]) -> Result<()> {
    let ow = faults
        .iter()
        .map(|f| f.component.len())
        .chain([6])
        .max()
        .unwrap_or(6);
    writeln!(
        out,
        "{:<6} {:<ow$} {:<10} {:>8} {:>8} {:>7} {:>16} {:>16} {:>10} {:>16}",
        "CLASS", "OBJECT", "STATE", "TOTAL", "WINDOW", "ATTEMPT", "FIRST", "LAST", "SEQ", "RETRY"
    )?;
    for f in faults {
        let retry = if f.retry_ns == 0 {
            "-".to_owned()
        } else {
            secs(f.retry_ns)
        };
        writeln!(
            out,
            "{:<6} {:<ow$} {:<10} {:>8} {:>8} {:>7} {:>16} {:>16} {:>10} {:>16}",
            f.class,
            f.component,
            f.state,
            f.total,
            f.window,
            f.attempt,
            secs(f.first_ns),
            secs(f.last_ns),
            f.seq,
            retry
        )?;
    }
    Ok(())
}

/// `hactl faults`.
pub(crate) fn faults(sysfs_root: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let faults = Sysfs::open(sysfs_root)?.faults()?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &faults)?;
        writeln!(out)?;
    } else {
        write_faults_table(out, &faults)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// rules

/// One class's rule.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Rule {
    /// Class name.
    pub(crate) class: &'static str,
    /// Errors within the window that make a fault.
    pub(crate) threshold: u64,
    /// The window, ms.
    pub(crate) window_ms: u64,
    /// Action name (`HD_ACT_NAMES`).
    pub(crate) action: String,
    /// Most objects of the class isolated at once.
    pub(crate) cap: u64,
    /// The rule only pretends to act.
    pub(crate) dry_run: bool,
    /// An uncorrected error fires the rule at once.
    pub(crate) ue_immediate: bool,
}

/// Every rule and the global dry-run switch.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Rules {
    /// Every rule only pretends to act.
    pub(crate) dry_run: bool,
    /// One per class, in class order.
    pub(crate) rules: Vec<Rule>,
}

impl Sysfs {
    /// Reads every class's rule and the global dry-run switch.
    pub(crate) fn rules(&self) -> Result<Rules> {
        let rules = classes()
            .iter()
            .map(|&class| {
                let f = |field: &str| format!("{class}/{field}");
                Ok(Rule {
                    class,
                    threshold: self.read_u64(&f("threshold"))?,
                    window_ms: self.read_u64(&f("window_ms"))?,
                    action: self.0.read_value(&f("action"))?,
                    cap: self.read_u64(&f("cap"))?,
                    dry_run: self.0.read_bool(&f("dry_run"))?,
                    ue_immediate: self.0.read_bool(&f("ue_immediate"))?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Rules {
            dry_run: self.0.read_bool("dry_run")?,
            rules,
        })
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// Writes the rules as an aligned table, after a line with the global dry-run.
pub(crate) fn write_rules_table(out: &mut impl Write, r: &Rules) -> Result<()> {
    writeln!(out, "dry_run (all classes): {}", on_off(r.dry_run))?;
    writeln!(
        out,
        "{:<6} {:>9} {:>11} {:<13} {:>7} {:<7} UE_IMMEDIATE",
        "CLASS", "THRESHOLD", "WINDOW_MS", "ACTION", "CAP", "DRY_RUN"
    )?;
    for x in &r.rules {
        writeln!(
            out,
            "{:<6} {:>9} {:>11} {:<13} {:>7} {:<7} {}",
            x.class,
            x.threshold,
            x.window_ms,
            x.action,
            x.cap,
            on_off(x.dry_run),
            on_off(x.ue_immediate)
        )?;
    }
    Ok(())
}

/// `hactl rules`.
pub(crate) fn rules(sysfs_root: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let r = Sysfs::open(sysfs_root)?.rules()?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &r)?;
        writeln!(out)?;
    } else {
        write_rules_table(out, &r)?;
    }
    Ok(())
}

/// Splits `field=value` arguments, checking the field names.
pub(crate) fn parse_assignments(assignments: &[String]) -> Result<Vec<(&str, &str)>> {
    if assignments.is_empty() {
        bail!(
            "nothing to set; give <field>=<value>, field one of: {}",
            RULE_FIELDS.join(", ")
        );
    }
    assignments
        .iter()
        .map(|a| {
            let Some((field, value)) = a.split_once('=') else {
                bail!("{a:?} is not <field>=<value>");
            };
            if !RULE_FIELDS.contains(&field) {
                bail!(
                    "unknown rule field {field:?}; one of: {}",
                    RULE_FIELDS.join(", ")
                );
            }
            Ok((field, value))
        })
        .collect()
}

/// `hactl rules set <class> <field>=<value>...`: checks every name, then writes the
/// values in order; prints the fields as the kernel reads them back.
pub(crate) fn rules_set(
    sysfs_root: &Path,
    class: &str,
    assignments: &[String],
    out: &mut impl Write,
) -> Result<()> {
    check_class(class)?;
    let pairs = parse_assignments(assignments)?;
    let sysfs = Sysfs::open(sysfs_root)?;
    for (i, (field, value)) in pairs.iter().enumerate() {
        sysfs
            .write(&format!("{class}/{field}"), value)
            .map_err(|e| {
                if i == 0 {
                    e
                } else {
                    let done: Vec<String> =
                        pairs[..i].iter().map(|(f, v)| format!("{f}={v}")).collect();
                    e.context(format!("already set: {class} {}", done.join(" ")))
                }
            })?;
    }
    let now: Vec<String> = pairs
        .iter()
        .map(|(f, _)| {
            let v = sysfs.0.read(&format!("{class}/{f}"))?;
            Ok(format!("{f}={}", v.trim()))
        })
        .collect::<Result<_>>()?;
    writeln!(out, "{class} {}", now.join(" "))?;
    Ok(())
}

/// `hactl rules dry-run on|off`.
pub(crate) fn rules_dry_run(sysfs_root: &Path, on: bool, out: &mut impl Write) -> Result<()> {
    let sysfs = Sysfs::open(sysfs_root)?;
    sysfs.write("dry_run", if on { "1" } else { "0" })?;
    writeln!(out, "dry_run (all classes): {}", on_off(on))?;
    Ok(())
}

/// The object of `hactl rules clear <class> <object>` as the kernel takes it: a
/// number (`0x…` or decimal) as it stands, or converted from the forms `hactl
/// faults` shows: `pfn 0x1234`, `cpu1`, `0000:01:00.0` (or `01:00.0`).
pub(crate) fn object_arg(class: &str, object: &str) -> String {
    let o = object.trim();
    let converted = match class {
        "page" => o.strip_prefix("pfn").map(|s| s.trim().to_owned()),
        "cpu" | "cache" => o
            .strip_prefix("cpu")
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned),
        "pci" => parse_bdf(o).map(|v| format!("{v:#x}")),
        _ => None,
    };
    converted.unwrap_or_else(|| o.to_owned())
}

/// `[segment:]bus:device.function`, all hex, into segment<<16 | bus<<8 | devfn.
fn parse_bdf(s: &str) -> Option<u64> {
    let (rest, func) = s.rsplit_once('.')?;
    let mut parts: Vec<&str> = rest.split(':').collect();
    let dev = parts.pop()?;
    let bus = parts.pop()?;
    let seg = parts.pop().unwrap_or("0");
    if !parts.is_empty() {
        return None;
    }
    let hex = |x: &str, max: u64| u64::from_str_radix(x, 16).ok().filter(|v| *v <= max);
    let (seg, bus, dev) = (hex(seg, 0xffff)?, hex(bus, 0xff)?, hex(dev, 0x1f)?);
    let func = func.parse::<u64>().ok().filter(|f| *f <= 7)?;
    Some(seg << 16 | bus << 8 | dev << 3 | func)
}

/// `hactl rules clear all|<class> [<object>]`: forgets faults.
pub(crate) fn rules_clear(
    sysfs_root: &Path,
    target: &str,
    object: Option<&str>,
    out: &mut impl Write,
) -> Result<()> {
    let value = match (target, object) {
        ("all", None) => "all".to_owned(),
        ("all", Some(_)) => bail!("\"clear all\" takes no object"),
        (class, None) => {
            check_class(class)?;
            class.to_owned()
        }
        (class, Some(o)) => {
            check_class(class)?;
            format!("{class} {}", object_arg(class, o))
        }
    };
    Sysfs::open(sysfs_root)?.write("clear", &value)?;
    writeln!(out, "cleared {value}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    /// A fake `<root>/hadetect/` with every file hadetect makes.
    fn tree() -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        let d = root.path().join(DIR);
        fs::create_dir(&d).expect("mkdir");
        let put = |name: &str, text: &str| fs::write(d.join(name), text).expect("write");
        put("health", "yellow\n");
        put("score", "11\n");
        put("reasons", "fault\n");
        put("counters", "records 5\nerrors 4\nopened 1\n");
        put("dry_run", "0\n");
        put("clear", "");
        put(
            "faults",
            "page 0x1234 faulty total 3 window 2 attempt 0 first_ns 1000000000 \
             last_ns 2500000000 seq 17 retry_ns 0\n\
             pci 0x108 retrying total 1 window 1 attempt 2 first_ns 5 last_ns 6 seq 9 \
             retry_ns 7000000000\n",
        );
        for class in classes() {
            fs::create_dir(d.join(class)).expect("mkdir");
            put(&format!("{class}/threshold"), "2\n");
            put(&format!("{class}/window_ms"), "86400000\n");
            put(&format!("{class}/action"), "none\n");
            put(&format!("{class}/cap"), "16\n");
            put(&format!("{class}/dry_run"), "0\n");
            put(&format!("{class}/ue_immediate"), "1\n");
        }
        root
    }

    fn read(root: &tempfile::TempDir, name: &str) -> String {
        fs::read_to_string(root.path().join(DIR).join(name)).expect("read")
    }

    fn out_of(f: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).expect("command");
        String::from_utf8(out).expect("utf8")
    }

    fn args(json: bool) -> HealthArgs<'static> {
        HealthArgs {
            json,
            wait: false,
            timeout_ms: None,
            counters: false,
            pacemaker: None,
        }
    }

    #[test]
    fn missing_directory_names_hadetect() {
        let root = tempfile::tempdir().expect("tempdir");
        let err = Sysfs::open(root.path()).err().expect("must fail");
        assert!(
            err.to_string().contains("hadetect module is not loaded"),
            "{err}"
        );
    }

    #[test]
    fn health_line_and_json() {
        let root = tree();
        let mut out = Vec::new();
        let o = health(root.path(), &args(false), &mut out).expect("health");
        assert_eq!(o, Outcome::Done);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "health: yellow score 11 reasons: fault\n"
        );
        let s = out_of(|o| health(root.path(), &args(true), o).map(drop));
        assert_eq!(
            s,
            "{\"health\":\"yellow\",\"score\":11,\"reasons\":[\"fault\"]}\n"
        );
    }

    #[test]
    fn health_without_reasons_and_with_counters() {
        let root = tree();
        fs::write(root.path().join("hadetect/health"), "green\n").unwrap();
        fs::write(root.path().join("hadetect/score"), "0\n").unwrap();
        fs::write(root.path().join("hadetect/reasons"), "\n").unwrap();
        let mut a = args(false);
        a.counters = true;
        let s = out_of(|o| health(root.path(), &a, o).map(drop));
        assert_eq!(
            s,
            "health: green score 0 reasons: none\nrecords 5\nerrors 4\nopened 1\n"
        );
        a.json = true;
        let s = out_of(|o| health(root.path(), &a, o).map(drop));
        assert_eq!(
            s,
            "{\"health\":\"green\",\"score\":0,\"reasons\":[],\
             \"counters\":{\"records\":5,\"errors\":4,\"opened\":1}}\n"
        );
    }

    #[test]
    fn reasons_parse() {
        assert_eq!(parse_reasons("\n"), Vec::<String>::new());
        assert_eq!(parse_reasons(""), Vec::<String>::new());
        assert_eq!(
            parse_reasons("fault isolation-failed fatal\n"),
            ["fault", "isolation-failed", "fatal"]
        );
    }

    #[test]
    fn wait_times_out() {
        // A regular file never reports POLLPRI: the wait runs into its deadline.
        let root = tree();
        let mut a = args(false);
        a.wait = true;
        a.timeout_ms = Some(30);
        let mut out = Vec::new();
        let t = Instant::now();
        assert_eq!(
            health(root.path(), &a, &mut out).expect("health"),
            Outcome::TimedOut
        );
        assert!(t.elapsed() >= Duration::from_millis(30));
        assert!(out.is_empty());
    }

    #[test]
    fn fault_lines_parse() {
        let f = parse_fault(
            "page 0x1234 faulty total 3 window 2 attempt 0 first_ns 10 last_ns 20 seq 17 \
             retry_ns 0",
        )
        .expect("parse");
        assert_eq!(
            f,
            Fault {
                class: "page".into(),
                object: 0x1234,
                component: "pfn 0x1234".into(),
                state: "faulty".into(),
                total: 3,
                window: 2,
                attempt: 0,
                first_ns: 10,
                last_ns: 20,
                seq: 17,
                retry_ns: 0,
            }
        );
        let obj = |l: &str| parse_fault(l).expect(l).component;
        let tail = "s total 1 window 1 attempt 0 first_ns 0 last_ns 0 seq 0 retry_ns 0";
        assert_eq!(obj(&format!("cpu 0x1 {tail}")), "cpu1");
        assert_eq!(obj(&format!("cache 0x3 {tail}")), "cpu3");
        assert_eq!(obj(&format!("pci 0x10108 {tail}")), "0001:01:01.0");
        assert_eq!(obj(&format!("dimm 0x100ffff {tail}")), "mc1 0.-1.-1");
        assert_eq!(obj(&format!("node 0x1 {tail}")), "source mce");
        assert_eq!(obj(&format!("future 0x2a {tail}")), "0x2a");
        // A fault a kexec handoff carried: its times before this boot.
        let carried = parse_fault(
            "page 0x5 suspect total 1 window 1 attempt 0 first_ns -3600000000000 \
             last_ns -1500000 seq 4 retry_ns 0",
        )
        .expect("carried");
        assert_eq!(
            (carried.first_ns, carried.last_ns),
            (-3_600_000_000_000, -1_500_000)
        );
        assert_eq!(secs(carried.last_ns), "-0.001500");
        assert_eq!(secs(2_500_000_000u64), "2.500000");
        assert!(parse_fault(&format!("cpu 0x1 {}", tail.replace("seq 0", "seq -1"))).is_err());
        // Keys added later are skipped; missing or broken ones are errors.
        assert!(parse_fault(&format!("cpu 0x1 {tail} extra 5")).is_ok());
        assert!(parse_fault("cpu 0x1 faulty total 1").is_err());
        assert!(parse_fault(&format!("cpu zz {tail}")).is_err());
        assert!(parse_fault(
            "cpu 0x1 s total x window 1 attempt 0 first_ns 0 last_ns 0 seq 0 retry_ns 0"
        )
        .is_err());
        assert!(parse_fault(&format!("cpu 0x1 {tail} odd")).is_err());
        assert_eq!(parse_faults("").expect("empty"), []);
    }

    #[test]
    fn faults_table_and_json() {
        let root = tree();
        let s = out_of(|o| faults(root.path(), false, o));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert!(lines[0].starts_with("CLASS  OBJECT       STATE"), "{s}");
        assert!(lines[0].trim_end().ends_with("SEQ            RETRY"), "{s}");
        let cols = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            cols(lines[1]),
            ["page", "pfn", "0x1234", "faulty", "3", "2", "0", "1.000000", "2.500000", "17", "-"]
        );
        assert_eq!(
            cols(lines[2]),
            [
                "pci",
                "0000:01:01.0",
                "retrying",
                "1",
                "1",
                "2",
                "0.000000",
                "0.000000",
                "9",
                "7.000000"
            ]
        );
        let v: serde_json::Value =
            serde_json::from_str(&out_of(|o| faults(root.path(), true, o))).expect("json");
        assert_eq!(v[0]["class"], "page");
        assert_eq!(v[0]["object"], 0x1234);
        assert_eq!(v[0]["component"], "pfn 0x1234");
        assert_eq!(v[1]["retry_ns"], 7_000_000_000u64);
        assert_eq!(v[1]["attempt"], 2);
        assert_eq!(v.as_array().unwrap().len(), 2);
    }

    #[test]
    fn rules_table_and_json() {
        let root = tree();
        fs::write(root.path().join("hadetect/page/action"), "soft_offline\n").unwrap();
        let s = out_of(|o| rules(root.path(), false, o));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "dry_run (all classes): off");
        assert_eq!(
            lines[1],
            "CLASS  THRESHOLD   WINDOW_MS ACTION            CAP DRY_RUN UE_IMMEDIATE"
        );
        assert_eq!(
            lines[2],
            "page           2    86400000 soft_offline       16 off     on"
        );
        assert_eq!(lines.len(), 2 + 6);
        let v: serde_json::Value =
            serde_json::from_str(&out_of(|o| rules(root.path(), true, o))).expect("json");
        assert_eq!(v["dry_run"], false);
        assert_eq!(v["rules"][0]["class"], "page");
        assert_eq!(v["rules"][0]["action"], "soft_offline");
        assert_eq!(v["rules"][5]["class"], "node");
        assert_eq!(v["rules"][5]["ue_immediate"], true);
    }

    #[test]
    fn rules_set_writes_fields() {
        let root = tree();
        let a = ["threshold=3".to_owned(), "window_ms=60000".to_owned()];
        let s = out_of(|o| rules_set(root.path(), "page", &a, o));
        assert_eq!(read(&root, "page/threshold"), "3\n");
        assert_eq!(read(&root, "page/window_ms"), "60000\n");
        assert_eq!(read(&root, "cpu/threshold"), "2\n");
        assert_eq!(s, "page threshold=3 window_ms=60000\n");
        let a = ["action=pci_remove".to_owned(), "ue_immediate=0".to_owned()];
        out_of(|o| rules_set(root.path(), "pci", &a, o));
        assert_eq!(read(&root, "pci/action"), "pci_remove\n");
        assert_eq!(read(&root, "pci/ue_immediate"), "0\n");
    }

    #[test]
    fn bad_names_are_rejected_before_writing() {
        let root = tree();
        let before = read(&root, "page/threshold");
        let mut out = Vec::new();
        let err =
            rules_set(root.path(), "pages", &["threshold=3".into()], &mut out).expect_err("class");
        assert!(
            err.to_string().contains("unknown fault class \"pages\""),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("page, dimm, cpu, cache, pci, node"),
            "{err}"
        );
        let err = rules_set(root.path(), "none", &["threshold=3".into()], &mut out)
            .expect_err("none has no rule");
        assert!(err.to_string().contains("unknown fault class"), "{err}");
        // A good field before a bad one is not written either.
        let err = rules_set(
            root.path(),
            "page",
            &["threshold=3".into(), "windowms=5".into()],
            &mut out,
        )
        .expect_err("field");
        assert!(
            err.to_string().contains("unknown rule field \"windowms\""),
            "{err}"
        );
        let err =
            rules_set(root.path(), "page", &["threshold".into()], &mut out).expect_err("no =");
        assert!(err.to_string().contains("not <field>=<value>"), "{err}");
        assert!(rules_set(root.path(), "page", &[], &mut out).is_err());
        assert_eq!(read(&root, "page/threshold"), before);
        let err = rules_clear(root.path(), "bogus", None, &mut out).expect_err("class");
        assert!(err.to_string().contains("unknown fault class"), "{err}");
        assert!(rules_clear(root.path(), "all", Some("1"), &mut out).is_err());
        assert_eq!(read(&root, "clear"), "");
        assert!(out.is_empty());
    }

    #[test]
    fn write_errors_name_file_and_value() {
        let path = Path::new("/sys/kernel/ha/hadetect/page/threshold");
        let e = write_error(
            path,
            "99",
            &io::Error::from_raw_os_error(Errno::ERANGE as i32),
        );
        assert_eq!(
            e.to_string(),
            "/sys/kernel/ha/hadetect/page/threshold: the kernel refused \"99\": out of range (ERANGE)"
        );
        let path = Path::new("/sys/kernel/ha/hadetect/page/action");
        let e = write_error(
            path,
            "boom",
            &io::Error::from_raw_os_error(Errno::EINVAL as i32),
        );
        let s = e.to_string();
        assert!(s.starts_with("/sys/kernel/ha/hadetect/page/action: the kernel refused \"boom\": not a valid value (EINVAL); expected an action name"), "{s}");
        // A file that is not there is never created.
        let root = tree();
        fs::remove_file(root.path().join("hadetect/page/cap")).unwrap();
        let err = rules_set(root.path(), "page", &["cap=1".into()], &mut Vec::new())
            .expect_err("missing");
        assert!(err.to_string().contains("page/cap does not exist"), "{err}");
        assert!(!root.path().join("hadetect/page/cap").exists());
    }

    #[test]
    fn dry_run_and_clear_write() {
        let root = tree();
        let s = out_of(|o| rules_dry_run(root.path(), true, o));
        assert_eq!(read(&root, "dry_run"), "1\n");
        assert_eq!(s, "dry_run (all classes): on\n");
        out_of(|o| rules_dry_run(root.path(), false, o));
        assert_eq!(read(&root, "dry_run"), "0\n");
        let clear = |t: &str, o: Option<&str>| {
            out_of(|w| rules_clear(root.path(), t, o, w));
            read(&root, "clear")
        };
        assert_eq!(clear("all", None), "all\n");
        assert_eq!(clear("cpu", None), "cpu\n");
        assert_eq!(clear("page", Some("0x1234")), "page 0x1234\n");
        assert_eq!(clear("page", Some("pfn 0x1234")), "page 0x1234\n");
        assert_eq!(clear("cache", Some("cpu12")), "cache 12\n");
        assert_eq!(clear("pci", Some("0000:01:01.0")), "pci 0x108\n");
        assert_eq!(clear("pci", Some("01:00.1")), "pci 0x101\n");
        assert_eq!(clear("dimm", Some("16842751")), "dimm 16842751\n");
    }

    #[test]
    fn bdf_parse() {
        assert_eq!(parse_bdf("0000:01:00.0"), Some(0x100));
        assert_eq!(parse_bdf("0001:ff:1f.7"), Some(0x1_ffff));
        assert_eq!(parse_bdf("01:00.0"), Some(0x100));
        assert_eq!(parse_bdf("01:20.0"), None);
        assert_eq!(parse_bdf("01:00.8"), None);
        assert_eq!(parse_bdf("0x100"), None);
        assert_eq!(parse_bdf("1:2:3:4.0"), None);
    }

    /// A stand-in for `attrd_updater` that appends its arguments to `log`, or fails.
    fn stub(dir: &Path, name: &str, log: &Path, fail: bool) -> PathBuf {
        let path = dir.join(name);
        let body = if fail {
            "echo 'connection to attrd failed' >&2\nexit 3\n".to_owned()
        } else {
            format!("printf '%s\\n' \"$*\" >> '{}'\n", log.display())
        };
        fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write stub");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    #[test]
    fn pacemaker_sets_the_attribute() {
        let root = tree();
        let log = root.path().join("args");
        // Both scripts exist before either runs: no write fd is open at a fork.
        let ok = stub(root.path(), "attrd_updater", &log, false);
        let bad = stub(root.path(), "attrd_fail", &log, true);
        let mut a = args(false);
        a.pacemaker = Some(Pacemaker {
            updater: &ok,
            attribute: PCMK_ATTRIBUTE,
            dampen: PCMK_DAMPEN,
        });
        let s = out_of(|o| health(root.path(), &a, o).map(drop));
        assert_eq!(
            fs::read_to_string(&log).unwrap(),
            "-n #health-hasys -B yellow -d 5s\n"
        );
        assert_eq!(
            s,
            "set #health-hasys=yellow dampen 5s (health: yellow score 11 reasons: fault)\n"
        );
        fs::write(root.path().join("hadetect/health"), "red\n").unwrap();
        a.json = true;
        a.pacemaker = Some(Pacemaker {
            updater: &ok,
            attribute: "#health-node",
            dampen: "30",
        });
        let s = out_of(|o| health(root.path(), &a, o).map(drop));
        assert_eq!(
            fs::read_to_string(&log).unwrap(),
            "-n #health-hasys -B yellow -d 5s\n-n #health-node -B red -d 30\n"
        );
        assert_eq!(
            s,
            "{\"attribute\":\"#health-node\",\"value\":\"red\",\"dampen\":\"30\",\
             \"score\":11,\"reasons\":[\"fault\"]}\n"
        );
        a.pacemaker = Some(Pacemaker {
            updater: &bad,
            attribute: PCMK_ATTRIBUTE,
            dampen: PCMK_DAMPEN,
        });
        let err = health(root.path(), &a, &mut Vec::new()).expect_err("updater fails");
        let s = err.to_string();
        assert!(
            s.contains("attrd_fail -n #health-hasys -B red -d 5s failed"),
            "{s}"
        );
        assert!(s.ends_with("connection to attrd failed"), "{s}");
        let missing = root.path().join("missing");
        a.pacemaker = Some(Pacemaker {
            updater: &missing,
            attribute: PCMK_ATTRIBUTE,
            dampen: PCMK_DAMPEN,
        });
        assert!(health(root.path(), &a, &mut Vec::new()).is_err());
    }

    #[test]
    fn pacemaker_refuses_an_unknown_health() {
        let root = tree();
        fs::write(root.path().join("hadetect/health"), "purple\n").unwrap();
        let a = HealthArgs {
            pacemaker: Some(Pacemaker {
                updater: Path::new("/bin/false"),
                attribute: PCMK_ATTRIBUTE,
                dampen: PCMK_DAMPEN,
            }),
            ..args(false)
        };
        let err = health(root.path(), &a, &mut Vec::new()).expect_err("purple");
        assert!(
            err.to_string().contains("unknown health \"purple\""),
            "{err}"
        );
    }
}
