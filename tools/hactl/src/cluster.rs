// SPDX-License-Identifier: GPL-2.0

//! `hactl cluster`: cluster_msg's sysfs directory, `<sysfs_root>/cluster_msg/`:
//!
//! | file            | content                                                        |
//! |-----------------|----------------------------------------------------------------|
//! | `node_id`       | this node's id                                                 |
//! | `cluster_id`    | the cluster id                                                 |
//! | `interface`     | the network interface heartbeats go out of                     |
//! | `port`          | the UDP port                                                   |
//! | `interval_ms`   | heartbeat period                                               |
//! | `suspect_ms`    | silence after which a peer is suspect                          |
//! | `dead_ms`       | silence after which a peer is down                             |
//! | `max_skew_s`    | largest clock skew a heartbeat may show                        |
//! | `tx_key`        | the key slot heartbeats are signed with                        |
//! | `gasp_repeats`  | how often the dying gasp is sent                               |
//! | `handoff_ms`    | the time a kexec handoff's leave tells peers to wait           |
//! | `enabled`       | 0 or 1                                                         |
//! | `state`         | `disabled`, `active`, `left:<reason>`, `dead:<reason>`, `dumping:<reason>` |
//! | `epoch`         | this node's membership epoch                                   |
//! | `incarnation`   | this node's boot id, 32 hex digits; empty when disabled        |
//! | `keys`          | the key slots that hold a key, separated by spaces; maybe none |
//! | `key0`, `key1`  | write-only; never read here                                    |
//! | `peers`         | `<id> <ipv4> <mac>` per configured peer (see [`Peer`])         |
//! | `members`       | one line per configured peer (see [`Member`])                  |
//! | `counters`      | `<name> <value>` lines                                         |
//!
//! State and reason names are `CL_STATE_NAMES` and `CL_REASON_NAMES` of the UAPI.

use crate::moddir::ModuleDir;
use anyhow::{anyhow, bail, Result};
use hwerr_abi::abi;
use hwerr_abi::decode::us_as_ms;
use serde::{Serialize, Serializer};
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};

/// cluster_msg's directory under the sysfs root (and its module name).
const DIR: &str = "cluster_msg";

/// How often `--wait-state` re-reads `members`.
const POLL: Duration = Duration::from_millis(20);

/// Default bound of `--wait-state`, ms.
pub(crate) const WAIT_TIMEOUT_MS: &str = "5000";

/// cluster_msg's sysfs directory.
pub(crate) struct Sysfs(ModuleDir);

impl Sysfs {
    /// `<sysfs_root>/cluster_msg`; an error if cluster_msg is not loaded.
    pub(crate) fn open(sysfs_root: &Path) -> Result<Self> {
        ModuleDir::open(sysfs_root, DIR).map(Self)
    }

    /// Reads `peers`.
    pub(crate) fn peers(&self) -> Result<Vec<Peer>> {
        parse_lines(&self.0.read("peers")?, parse_peer)
    }

    /// Reads `members` (without addresses: see [`join`]).
    pub(crate) fn members(&self) -> Result<Vec<Member>> {
        parse_lines(&self.0.read("members")?, parse_member)
    }

    /// Reads `counters`, in the kernel's order.
    pub(crate) fn counters(&self) -> Result<Vec<(String, u64)>> {
        self.0.counters()
    }
}

/// One line of `peers`: `<id> <ipv4> <mac>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Peer {
    /// Its node id.
    pub(crate) id: u32,
    /// Its IPv4 address.
    pub(crate) ip: Ipv4Addr,
    /// Its MAC address (where the dying gasp goes), `xx:xx:xx:xx:xx:xx`.
    pub(crate) mac: String,
}

/// One line of `members`: `<id> <state> <reason> <silent_ms> <rtt_us> <jitter_us>
/// <min_rtt_us> <max_rtt_us> <rtt_samples> <rx_packets>`, and the peer's addresses
/// from `peers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Member {
    /// Its node id.
    pub(crate) id: u32,
    /// Its IPv4 address, from `peers` (`None`: not listed there).
    pub(crate) ip: Option<Ipv4Addr>,
    /// Its MAC address, from `peers`.
    pub(crate) mac: Option<String>,
    /// `CL_STATE_NAMES`: down, joining, up, suspect, dying, left, handoff.
    pub(crate) state: String,
    /// `CL_REASON_NAMES`; "none" when no reason applies.
    pub(crate) reason: String,
    /// Since it was last heard, ms; `None` if never heard.
    pub(crate) silent_ms: Option<u64>,
    /// Smoothed round-trip time, µs (0 without a sample).
    pub(crate) rtt_us: u64,
    /// Round-trip jitter, µs.
    pub(crate) jitter_us: u64,
    /// Shortest round trip seen, µs.
    pub(crate) min_rtt_us: u64,
    /// Longest round trip seen, µs.
    pub(crate) max_rtt_us: u64,
    /// Round trips measured.
    pub(crate) rtt_samples: u64,
    /// Packets accepted from it.
    pub(crate) rx_packets: u64,
}

impl Member {
    /// `up`, or `dying:panic` when there is a reason.
    pub(crate) fn state_reason(&self) -> String {
        state_reason(&self.state, &self.reason)
    }
}

fn state_reason(state: &str, reason: &str) -> String {
    if reason == "none" {
        state.to_owned()
    } else {
        format!("{state}:{reason}")
    }
}

/// Parses every non-blank line of `text` with `parse`.
fn parse_lines<T>(text: &str, parse: fn(&str) -> Result<T>) -> Result<Vec<T>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse)
        .collect()
}

/// `xx:xx:xx:xx:xx:xx`, hex digits in either case.
fn is_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses one line of `peers`.
pub(crate) fn parse_peer(line: &str) -> Result<Peer> {
    let bad = |why: &str| anyhow!("peers: cannot parse line {line:?}: {why}");
    let w: Vec<&str> = line.split_whitespace().collect();
    let [id, ip, mac] = w[..] else {
        return Err(bad("expected <id> <ipv4> <mac>"));
    };
    let id = id.parse().map_err(|_| bad("the id is not a number"))?;
    let ip = ip.parse().map_err(|_| bad("not an IPv4 address"))?;
    if !is_mac(mac) {
        return Err(bad("not a MAC address"));
    }
    Ok(Peer {
        id,
        ip,
        mac: mac.to_owned(),
    })
}

/// Parses one line of `members`.
pub(crate) fn parse_member(line: &str) -> Result<Member> {
    let bad = |why: String| anyhow!("members: cannot parse line {line:?}: {why}");
    let w: Vec<&str> = line.split_whitespace().collect();
    let [id, state, reason, silent, rest @ ..] = &w[..] else {
        return Err(bad("too few fields".into()));
    };
    let [rtt, jitter, min, max, samples, rx] = rest else {
        return Err(bad(format!(
            "{} fields, expected 10: <id> <state> <reason> <silent_ms> <rtt_us> \
             <jitter_us> <min_rtt_us> <max_rtt_us> <rtt_samples> <rx_packets>",
            w.len()
        )));
    };
    let num = |what: &str, s: &str| -> Result<u64> {
        s.parse()
            .map_err(|_| bad(format!("{what} {s:?} is not a number")))
    };
    Ok(Member {
        id: id
            .parse()
            .map_err(|_| bad(format!("id {id:?} is not a number")))?,
        ip: None,
        mac: None,
        state: (*state).to_owned(),
        reason: (*reason).to_owned(),
        silent_ms: match *silent {
            "-" => None,
            s => Some(num("silent_ms", s)?),
        },
        rtt_us: num("rtt_us", rtt)?,
        jitter_us: num("jitter_us", jitter)?,
        min_rtt_us: num("min_rtt_us", min)?,
        max_rtt_us: num("max_rtt_us", max)?,
        rtt_samples: num("rtt_samples", samples)?,
        rx_packets: num("rx_packets", rx)?,
    })
}

/// Gives each member the addresses `peers` lists for its id.
pub(crate) fn join(members: &mut [Member], peers: &[Peer]) {
    for m in members {
        if let Some(p) = peers.iter().find(|p| p.id == m.id) {
            m.ip = Some(p.ip);
            m.mac = Some(p.mac.clone());
        }
    }
}

/// `state`: `disabled`, `active`, `left:<reason>`, `dead:<reason>`.
fn parse_state(s: &str) -> (String, Option<String>) {
    match s.split_once(':') {
        Some((state, reason)) => (state.to_owned(), Some(reason.to_owned())),
        None => (s.to_owned(), None),
    }
}

/// Everything `hactl cluster` shows.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    /// This node's id.
    pub(crate) node_id: u32,
    /// The cluster id.
    pub(crate) cluster_id: u32,
    /// The network interface.
    pub(crate) interface: String,
    /// The UDP port.
    pub(crate) port: u16,
    /// cluster_msg sends and receives heartbeats.
    pub(crate) enabled: bool,
    /// This node's own state: disabled, active, left, dead, dumping.
    pub(crate) state: String,
    /// Why it left or is dead (`CL_REASON_NAMES`), else `None`.
    pub(crate) reason: Option<String>,
    /// This node's membership epoch.
    pub(crate) epoch: u64,
    /// This node's boot id, 32 hex digits; `None` when disabled.
    pub(crate) incarnation: Option<String>,
    /// Heartbeat period, ms.
    pub(crate) interval_ms: u64,
    /// Silence after which a peer is suspect, ms.
    pub(crate) suspect_ms: u64,
    /// Silence after which a peer is down, ms.
    pub(crate) dead_ms: u64,
    /// Largest clock skew accepted, s.
    pub(crate) max_skew_s: u64,
    /// The key slot heartbeats are signed with; `None` if the file says `-` or nothing.
    pub(crate) tx_key: Option<u8>,
    /// The key slots that hold a key.
    pub(crate) keys: Vec<u8>,
    /// How often the dying gasp is sent.
    pub(crate) gasp_repeats: u64,
    /// The time a kexec handoff's leave tells peers this node will be back within, ms.
    pub(crate) handoff_ms: u64,
    /// `peers`, as configured.
    pub(crate) peers: Vec<Peer>,
    /// `members`, with the addresses from `peers`.
    pub(crate) members: Vec<Member>,
    /// `counters`, in the kernel's order (JSON: an object); `None` unless asked for.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ordered_map"
    )]
    pub(crate) counters: Option<Vec<(String, u64)>>,
}

/// Counters as one JSON object, in the kernel's order.
fn ordered_map<S: Serializer>(c: &Option<Vec<(String, u64)>>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(c.iter().flatten().map(|(k, v)| (k, v)))
}

impl Sysfs {
    /// Reads everything but the counters, unless `counters`.
    pub(crate) fn summary(&self, counters: bool) -> Result<Summary> {
        let (state, reason) = parse_state(&self.0.read_value("state")?);
        let incarnation = self.0.read_value("incarnation")?;
        if !incarnation.is_empty()
            && (incarnation.len() != 32 || !incarnation.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            bail!(
                "{}: {incarnation:?} is not 32 hex digits",
                self.0.path("incarnation").display()
            );
        }
        let tx_key = match self.0.read_value("tx_key")?.as_str() {
            "" | "-" => None,
            _ => Some(self.0.read_num("tx_key")?),
        };
        let keys = self
            .0
            .read("keys")?
            .split_whitespace()
            .map(|k| {
                k.parse().map_err(|_| {
                    anyhow!("{}: {k:?} is not a key slot", self.0.path("keys").display())
                })
            })
            .collect::<Result<_>>()?;
        let peers = self.peers()?;
        let mut members = self.members()?;
        join(&mut members, &peers);
        Ok(Summary {
            node_id: self.0.read_num("node_id")?,
            cluster_id: self.0.read_num("cluster_id")?,
            interface: self.0.read_value("interface")?,
            port: self.0.read_num("port")?,
            enabled: self.0.read_bool("enabled")?,
            state,
            reason,
            epoch: self.0.read_num("epoch")?,
            incarnation: (!incarnation.is_empty()).then_some(incarnation),
            interval_ms: self.0.read_num("interval_ms")?,
            suspect_ms: self.0.read_num("suspect_ms")?,
            dead_ms: self.0.read_num("dead_ms")?,
            max_skew_s: self.0.read_num("max_skew_s")?,
            tx_key,
            keys,
            gasp_repeats: self.0.read_num("gasp_repeats")?,
            handoff_ms: self.0.read_num("handoff_ms")?,
            peers,
            members,
            counters: if counters {
                Some(self.counters()?)
            } else {
                None
            },
        })
    }
}

/// `-` for an absent value.
fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// Writes the summary for people.
pub(crate) fn write_summary(out: &mut impl Write, s: &Summary) -> Result<()> {
    let iface = if s.interface.is_empty() {
        "-"
    } else {
        &s.interface
    };
    writeln!(
        out,
        "node:        {} in cluster {}, interface {iface}, port {}",
        s.node_id, s.cluster_id, s.port
    )?;
    let state = match &s.reason {
        Some(r) => format!("{} ({r})", s.state),
        None => s.state.clone(),
    };
    writeln!(
        out,
        "state:       {state}, epoch {}{}",
        s.epoch,
        if s.enabled { "" } else { " (not enabled)" }
    )?;
    writeln!(
        out,
        "incarnation: {}",
        s.incarnation.as_deref().unwrap_or("-")
    )?;
    let keys: Vec<String> = s.keys.iter().map(u8::to_string).collect();
    writeln!(
        out,
        "keys:        {} (signing with {}), dying gasp sent {} times",
        if keys.is_empty() {
            "none".to_owned()
        } else {
            keys.join(" ")
        },
        opt(s.tx_key),
        s.gasp_repeats
    )?;
    writeln!(
        out,
        "timing:      heartbeat every {} ms, suspect after {} ms, down after {} ms, \
         max clock skew {} s",
        s.interval_ms, s.suspect_ms, s.dead_ms, s.max_skew_s
    )?;
    writeln!(
        out,
        "handoff:     peers are told this node is back within {} ms",
        s.handoff_ms
    )?;
    writeln!(out)?;
    write_members_table(out, &s.members, &s.peers)?;
    if let Some(counters) = &s.counters {
        writeln!(out)?;
        let w = counters.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, value) in counters {
            writeln!(out, "{name:<w$} {value}")?;
        }
    }
    Ok(())
}

/// The members table; peers that `members` does not list end it, without a state.
pub(crate) fn write_members_table(
    out: &mut impl Write,
    members: &[Member],
    peers: &[Peer],
) -> Result<()> {
    let ms = |us: u64, m: &Member| {
        if m.rtt_samples == 0 {
            "-".to_owned()
        } else {
            us_as_ms(us)
        }
    };
    let mut rows: Vec<[String; 10]> = members
        .iter()
        .map(|m| {
            [
                m.id.to_string(),
                opt(m.ip),
                opt(m.mac.as_deref()),
                m.state_reason(),
                opt(m.silent_ms),
                ms(m.rtt_us, m),
                ms(m.jitter_us, m),
                if m.rtt_samples == 0 {
                    "-".to_owned()
                } else {
                    format!("{}/{}", us_as_ms(m.min_rtt_us), us_as_ms(m.max_rtt_us))
                },
                m.rtt_samples.to_string(),
                m.rx_packets.to_string(),
            ]
        })
        .collect();
    for p in peers
        .iter()
        .filter(|p| !members.iter().any(|m| m.id == p.id))
    {
        let mut row: [String; 10] = Default::default();
        row[0] = p.id.to_string();
        row[1] = p.ip.to_string();
        row[2].clone_from(&p.mac);
        row[3] = "(no status)".to_owned();
        for c in &mut row[4..] {
            "-".clone_into(c);
        }
        rows.push(row);
    }
    let head = [
        "ID",
        "ADDRESS",
        "MAC",
        "STATE",
        "SILENT_MS",
        "RTT_MS",
        "JITTER_MS",
        "MIN/MAX_MS",
        "SAMPLES",
        "RX",
    ];
    let mut width = head.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            // Numbers right, names left.
            if i >= 4 {
                l.push_str(&format!("{c:>w$}"));
            } else {
                l.push_str(&format!("{c:<w$}"));
            }
        }
        l.trim_end().to_owned()
    };
    writeln!(out, "{}", line(&head))?;
    if rows.is_empty() {
        writeln!(out, "(no peers configured)")?;
    }
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}

/// How `hactl cluster` ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It printed what it was asked for.
    Done,
    /// `--wait-state` ran into its timeout; the message says who is in which state.
    TimedOut(String),
}

/// One `<id>=<state>[:<reason>]` of `--wait-state`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    /// The peer's node id.
    pub(crate) id: u32,
    /// A `CL_STATE_NAMES` name.
    pub(crate) state: &'static str,
    /// `CL_REASON_NAMES` names, one of which the reason must be; empty: any reason.
    pub(crate) reasons: Vec<&'static str>,
    /// `--max-silent-ms`: it must also have been heard within this many ms (a
    /// dying peer was last heard when its gasp or dumping notice arrived).
    pub(crate) max_silent_ms: Option<u64>,
}

impl Target {
    fn want(&self) -> String {
        if self.reasons.is_empty() {
            self.state.to_owned()
        } else {
            format!("{}:{}", self.state, self.reasons.join("|"))
        }
    }

    fn reason_met(&self, m: &Member) -> bool {
        self.reasons.is_empty() || self.reasons.contains(&m.reason.as_str())
    }

    fn met_by(&self, m: &Member) -> bool {
        m.state == self.state
            && self.reason_met(m)
            && self
                .max_silent_ms
                .is_none_or(|max| m.silent_ms.is_some_and(|s| s <= max))
    }
}

/// `name` as the `&'static` entry of `names`; the error lists them.
fn known(names: &[&'static str], name: &str, what: &str, arg: &str) -> Result<&'static str> {
    names.iter().find(|n| **n == name).copied().ok_or_else(|| {
        anyhow!(
            "--wait-state {arg:?}: unknown {what} {name:?}; one of: {}",
            names.join(", ")
        )
    })
}

/// Parses `--wait-state` arguments (already split at commas); each must also have
/// been heard within `max_silent_ms` if that is given.
pub(crate) fn parse_targets(args: &[String], max_silent_ms: Option<u64>) -> Result<Vec<Target>> {
    let mut targets: Vec<Target> = Vec::new();
    for a in args {
        let Some((id, want)) = a.split_once('=') else {
            bail!("--wait-state {a:?} is not <id>=<state>[:<reason>[|<reason>...]]");
        };
        let id: u32 = id
            .trim()
            .parse()
            .map_err(|_| anyhow!("--wait-state {a:?}: {id:?} is not a node id"))?;
        let (state, reason) = match want.split_once(':') {
            Some((s, r)) => (s, Some(r)),
            None => (want, None),
        };
        let t = Target {
            id,
            state: known(&abi::CL_STATE_NAMES, state, "state", a)?,
            reasons: reason
                .map(|rs| {
                    rs.split('|')
                        .map(|r| known(&abi::CL_REASON_NAMES, r, "reason", a))
                        .collect::<Result<Vec<_>>>()
                })
                .transpose()?
                .unwrap_or_default(),
            max_silent_ms,
        };
        if let Some(other) = targets.iter().find(|o| o.id == id) {
            bail!(
                "--wait-state: node {id} named twice ({}={} and {a})",
                other.id,
                other.want()
            );
        }
        targets.push(t);
    }
    if targets.is_empty() {
        bail!("--wait-state: no <id>=<state> given");
    }
    Ok(targets)
}

/// One waited-for peer in `--wait-state --json`'s report.
#[derive(Debug, Serialize)]
struct NodeReport {
    id: u32,
    /// What was waited for: `up`, `dying:panic`.
    want: String,
    /// Its state at the end; `None` if `members` does not list it.
    state: Option<String>,
    reason: Option<String>,
    silent_ms: Option<u64>,
    met: bool,
}

/// `--wait-state --json`'s report.
#[derive(Debug, Serialize)]
struct WaitReport {
    reached: bool,
    elapsed_ms: u64,
    timeout_ms: u64,
    nodes: Vec<NodeReport>,
}

fn report(targets: &[Target], members: &[Member]) -> Vec<NodeReport> {
    targets
        .iter()
        .map(|t| {
            let m = members.iter().find(|m| m.id == t.id);
            NodeReport {
                id: t.id,
                want: t.want(),
                state: m.map(|m| m.state.clone()),
                reason: m.map(|m| m.reason.clone()),
                silent_ms: m.and_then(|m| m.silent_ms),
                met: m.is_some_and(|m| t.met_by(m)),
            }
        })
        .collect()
}

/// `hactl cluster --wait-state`: re-reads `members` every 20 ms until every target
/// is met (prints the ms it took) or `timeout` passed.
pub(crate) fn wait_state(
    sysfs: &Sysfs,
    targets: &[Target],
    timeout: Duration,
    json: bool,
    out: &mut impl Write,
) -> Result<Outcome> {
    let start = Instant::now();
    let deadline = start + timeout;
    loop {
        let members = sysfs.members()?;
        let nodes = report(targets, &members);
        let reached = nodes.iter().all(|n| n.met);
        let now = Instant::now();
        if reached || now >= deadline {
            let elapsed_ms =
                u64::try_from(now.duration_since(start).as_millis()).unwrap_or(u64::MAX);
            if json {
                let r = WaitReport {
                    reached,
                    elapsed_ms,
                    timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    nodes,
                };
                serde_json::to_writer(&mut *out, &r)?;
                writeln!(out)?;
            } else if reached {
                writeln!(out, "{elapsed_ms}")?;
            }
            if reached {
                return Ok(Outcome::Done);
            }
            return Ok(Outcome::TimedOut(timeout_message(
                targets, &members, elapsed_ms,
            )));
        }
        std::thread::sleep(POLL.min(deadline - now));
    }
}

/// `timed out after 5000 ms waiting for 2=up 3=dying:panic: node 2 is suspect
/// (silent 412 ms), node 3 is not in members`.
fn timeout_message(targets: &[Target], members: &[Member], elapsed_ms: u64) -> String {
    let wanted: Vec<String> = targets
        .iter()
        .map(|t| format!("{}={}", t.id, t.want()))
        .collect();
    let unmet: Vec<String> = targets
        .iter()
        .filter_map(|t| match members.iter().find(|m| m.id == t.id) {
            None => Some(format!(
                "node {} is not in members (not a configured peer)",
                t.id
            )),
            Some(m) if t.met_by(m) => None,
            Some(m) if m.state == t.state && t.reason_met(m) => Some(match m.silent_ms {
                Some(ms) => format!(
                    "node {} is {} but silent {ms} ms, more than {} ms",
                    t.id,
                    m.state_reason(),
                    t.max_silent_ms.unwrap_or(0)
                ),
                None => format!("node {} is {} but never heard", t.id, m.state_reason()),
            }),
            Some(m) => Some(match m.silent_ms {
                Some(ms) => format!("node {} is {} (silent {ms} ms)", t.id, m.state_reason()),
                None => format!("node {} is {} (never heard)", t.id, m.state_reason()),
            }),
        })
        .collect();
    format!(
        "timed out after {elapsed_ms} ms waiting for {}: {}",
        wanted.join(" "),
        unmet.join(", ")
    )
}

/// What `hactl cluster` was asked for.
pub(crate) struct ClusterArgs<'a> {
    /// JSON instead of text.
    pub(crate) json: bool,
    /// Show the counters too.
    pub(crate) counters: bool,
    /// `--wait-state` targets (unparsed); empty: show the summary.
    pub(crate) wait_state: &'a [String],
    /// Bound of the wait, ms.
    pub(crate) timeout_ms: u64,
    /// `--max-silent-ms`: each target must also have been heard this recently.
    pub(crate) max_silent_ms: Option<u64>,
}

/// `hactl cluster`.
pub(crate) fn cluster(
    sysfs_root: &Path,
    args: &ClusterArgs<'_>,
    out: &mut impl Write,
) -> Result<Outcome> {
    // Bad arguments are reported before anything is read.
    let targets = if args.wait_state.is_empty() {
        None
    } else {
        Some(parse_targets(args.wait_state, args.max_silent_ms)?)
    };
    let sysfs = Sysfs::open(sysfs_root)?;
    if let Some(targets) = targets {
        return wait_state(
            &sysfs,
            &targets,
            Duration::from_millis(args.timeout_ms),
            args.json,
            out,
        );
    }
    // JSON has it all, counters included.
    let s = sysfs.summary(args.counters || args.json)?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &s)?;
        writeln!(out)?;
    } else {
        write_summary(out, &s)?;
    }
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const MEMBERS: &str = "2 up none 12 412 35 300 900 120 1234\n\
                           3 dying panic 1500 0 0 0 0 0 17\n\
                           4 down none - 0 0 0 0 0 0\n";

    /// A fake `<root>/cluster_msg/` with every file cluster_msg makes.
    fn tree() -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        let d = root.path().join(DIR);
        fs::create_dir(&d).expect("mkdir");
        let put = |name: &str, text: &str| fs::write(d.join(name), text).expect("write");
        put("node_id", "1\n");
        put("cluster_id", "77\n");
        put("port", "5405\n");
        put("interface", "eth1\n");
        put("interval_ms", "100\n");
        put("suspect_ms", "300\n");
        put("dead_ms", "1000\n");
        put("max_skew_s", "30\n");
        put("tx_key", "0\n");
        put("gasp_repeats", "3\n");
        put("handoff_ms", "120000\n");
        put("enabled", "1\n");
        put("state", "active\n");
        put("epoch", "7\n");
        put("incarnation", "0123456789abcdef00112233445566ff\n");
        put("keys", "0 1\n");
        put("key0", "");
        put("key1", "");
        put(
            "peers",
            "2 169.254.77.2 52:54:00:00:00:0b\n\
             3 169.254.77.3 52:54:00:00:00:0c\n\
             4 169.254.77.4 52:54:00:00:00:0d\n",
        );
        put("members", MEMBERS);
        put(
            "counters",
            "tx_heartbeats 100\ntx_errors 0\nrx_accepted 98\nrx_bad_mac 1\ngasps_sent 0\n",
        );
        root
    }

    fn put(root: &tempfile::TempDir, name: &str, text: &str) {
        // Atomically, for a reader polling at the same time.
        let d = root.path().join(DIR);
        let tmp = d.join(format!(".{name}.tmp"));
        fs::write(&tmp, text).expect("write");
        fs::rename(&tmp, d.join(name)).expect("rename");
    }

    fn args(json: bool) -> ClusterArgs<'static> {
        ClusterArgs {
            json,
            counters: false,
            wait_state: &[],
            timeout_ms: 5000,
            max_silent_ms: None,
        }
    }

    fn run(root: &Path, a: &ClusterArgs<'_>) -> (Outcome, String) {
        let mut out = Vec::new();
        let o = cluster(root, a, &mut out).expect("cluster");
        (o, String::from_utf8(out).expect("utf8"))
    }

    #[test]
    fn missing_directory_names_cluster_msg() {
        let root = tempfile::tempdir().expect("tempdir");
        let err = cluster(root.path(), &args(false), &mut Vec::new()).expect_err("must fail");
        assert!(
            err.to_string().contains("cluster_msg module is not loaded"),
            "{err}"
        );
        let w = ["2=up".to_owned()];
        let a = ClusterArgs {
            wait_state: &w,
            ..args(false)
        };
        let err = cluster(root.path(), &a, &mut Vec::new()).expect_err("must fail");
        assert!(
            err.to_string().contains("cluster_msg module is not loaded"),
            "{err}"
        );
    }

    #[test]
    fn member_lines_parse() {
        let m = parse_member("2 up none 12 412 35 300 900 120 1234").expect("parse");
        assert_eq!(
            m,
            Member {
                id: 2,
                ip: None,
                mac: None,
                state: "up".into(),
                reason: "none".into(),
                silent_ms: Some(12),
                rtt_us: 412,
                jitter_us: 35,
                min_rtt_us: 300,
                max_rtt_us: 900,
                rtt_samples: 120,
                rx_packets: 1234,
            }
        );
        assert_eq!(m.state_reason(), "up");
        let m = parse_member("3 dying panic - 0 0 0 0 0 0").expect("parse");
        assert_eq!(m.silent_ms, None);
        assert_eq!(m.state_reason(), "dying:panic");
        for bad in [
            "2 up none 12 412 35 300 900 120",
            "2 up none 12 412 35 300 900 120 1234 5",
            "x up none 12 412 35 300 900 120 1234",
            "2 up none -1 412 35 300 900 120 1234",
            "2 up none 12 412 35 300 900 120 lots",
            "2",
        ] {
            let err = parse_member(bad).expect_err(bad);
            assert!(
                err.to_string()
                    .starts_with(&format!("members: cannot parse line {bad:?}")),
                "{err}"
            );
        }
        assert_eq!(
            parse_lines("\n", parse_member).expect("empty"),
            Vec::<Member>::new()
        );
    }

    #[test]
    fn peer_lines_parse() {
        assert_eq!(
            parse_peer("2 169.254.77.2 52:54:00:00:00:0b").expect("parse"),
            Peer {
                id: 2,
                ip: Ipv4Addr::new(169, 254, 77, 2),
                mac: "52:54:00:00:00:0b".into()
            }
        );
        for bad in [
            "2 169.254.77.2",
            "2 169.254.77.2 52:54:00:00:00:0b x",
            "two 169.254.77.2 52:54:00:00:00:0b",
            "2 169.254.77 52:54:00:00:00:0b",
            "2 169.254.77.2 52:54:00:00:00",
            "2 169.254.77.2 52:54:00:00:00:0g",
        ] {
            let err = parse_peer(bad).expect_err(bad);
            assert!(
                err.to_string()
                    .starts_with(&format!("peers: cannot parse line {bad:?}")),
                "{err}"
            );
        }
    }

    #[test]
    fn summary_text() {
        let root = tree();
        let (o, s) = run(root.path(), &args(false));
        assert_eq!(o, Outcome::Done);
        let want = "\
node:        1 in cluster 77, interface eth1, port 5405
state:       active, epoch 7
incarnation: 0123456789abcdef00112233445566ff
keys:        0 1 (signing with 0), dying gasp sent 3 times
timing:      heartbeat every 100 ms, suspect after 300 ms, down after 1000 ms, max clock skew 30 s
handoff:     peers are told this node is back within 120000 ms

ID  ADDRESS       MAC                STATE        SILENT_MS  RTT_MS  JITTER_MS   MIN/MAX_MS  SAMPLES    RX
2   169.254.77.2  52:54:00:00:00:0b  up                  12   0.412      0.035  0.300/0.900      120  1234
3   169.254.77.3  52:54:00:00:00:0c  dying:panic       1500       -          -            -        0    17
4   169.254.77.4  52:54:00:00:00:0d  down                 -       -          -            -        0     0
";
        assert_eq!(s, want, "\n{s}");
        // No counters without --counters.
        assert!(!s.contains("tx_heartbeats"));
    }

    #[test]
    fn summary_with_counters_and_left_state() {
        let root = tree();
        put(&root, "state", "left:overload\n");
        put(&root, "enabled", "0\n");
        put(&root, "incarnation", "\n");
        put(&root, "keys", "\n");
        put(&root, "tx_key", "-\n");
        // A peer without a members line, and a member without a peers line.
        put(
            &root,
            "members",
            "2 joining none 5 0 0 0 0 0 3\n9 down none - 0 0 0 0 0 0\n",
        );
        let a = ClusterArgs {
            counters: true,
            ..args(false)
        };
        let (_, s) = run(root.path(), &a);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[1],
            "state:       left (overload), epoch 7 (not enabled)"
        );
        assert_eq!(lines[2], "incarnation: -");
        assert!(
            lines[3].starts_with("keys:        none (signing with -)"),
            "{s}"
        );
        let cols = |l: &str| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            cols(lines[8]),
            [
                "2",
                "169.254.77.2",
                "52:54:00:00:00:0b",
                "joining",
                "5",
                "-",
                "-",
                "-",
                "0",
                "3"
            ]
        );
        assert_eq!(
            cols(lines[9]),
            ["9", "-", "-", "down", "-", "-", "-", "-", "0", "0"]
        );
        assert_eq!(
            cols(lines[10]),
            [
                "3",
                "169.254.77.3",
                "52:54:00:00:00:0c",
                "(no",
                "status)",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-"
            ]
        );
        assert_eq!(
            cols(lines[11])[..4],
            ["4", "169.254.77.4", "52:54:00:00:00:0d", "(no"]
        );
        assert_eq!(
            &lines[12..],
            [
                "",
                "tx_heartbeats 100",
                "tx_errors     0",
                "rx_accepted   98",
                "rx_bad_mac    1",
                "gasps_sent    0"
            ]
        );
    }

    #[test]
    fn summary_json() {
        let root = tree();
        let (_, s) = run(root.path(), &args(true));
        let v: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(v["node_id"], 1);
        assert_eq!(v["cluster_id"], 77);
        assert_eq!(v["port"], 5405);
        assert_eq!(v["interface"], "eth1");
        assert_eq!(v["enabled"], true);
        assert_eq!(v["state"], "active");
        assert!(v["reason"].is_null());
        assert_eq!(v["epoch"], 7);
        assert_eq!(v["incarnation"], "0123456789abcdef00112233445566ff");
        assert_eq!(v["interval_ms"], 100);
        assert_eq!(v["suspect_ms"], 300);
        assert_eq!(v["dead_ms"], 1000);
        assert_eq!(v["max_skew_s"], 30);
        assert_eq!(v["tx_key"], 0);
        assert_eq!(v["keys"], serde_json::json!([0, 1]));
        assert_eq!(v["gasp_repeats"], 3);
        assert_eq!(v["handoff_ms"], 120000);
        assert_eq!(v["peers"][0]["ip"], "169.254.77.2");
        assert_eq!(v["peers"].as_array().unwrap().len(), 3);
        let m = &v["members"];
        assert_eq!(m[0]["id"], 2);
        assert_eq!(m[0]["ip"], "169.254.77.2");
        assert_eq!(m[0]["mac"], "52:54:00:00:00:0b");
        assert_eq!(m[0]["state"], "up");
        assert_eq!(m[0]["reason"], "none");
        assert_eq!(m[0]["silent_ms"], 12);
        assert_eq!(m[0]["rtt_us"], 412);
        assert_eq!(m[0]["jitter_us"], 35);
        assert_eq!(m[0]["min_rtt_us"], 300);
        assert_eq!(m[0]["max_rtt_us"], 900);
        assert_eq!(m[0]["rtt_samples"], 120);
        assert_eq!(m[0]["rx_packets"], 1234);
        assert_eq!(m[1]["reason"], "panic");
        assert!(m[2]["silent_ms"].is_null());
        // Counters always, as an object in the kernel's order.
        let keys: Vec<&str> = v["counters"]
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 5);
        assert!(s.find("tx_heartbeats").unwrap() < s.find("rx_accepted").unwrap());
        assert_eq!(v["counters"]["rx_bad_mac"], 1);
        // Left or dead: state and reason apart.
        put(&root, "state", "dead:panic\n");
        put(&root, "incarnation", "\n");
        let (_, s) = run(root.path(), &args(true));
        let v: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(
            (&v["state"], &v["reason"]),
            (&"dead".into(), &"panic".into())
        );
        assert!(v["incarnation"].is_null());
    }

    #[test]
    fn bad_files_are_errors_naming_them() {
        let root = tree();
        put(&root, "members", "2 up none 12 412\n");
        let err = cluster(root.path(), &args(false), &mut Vec::new()).expect_err("members");
        assert!(
            err.to_string()
                .contains("members: cannot parse line \"2 up none 12 412\""),
            "{err}"
        );
        let root = tree();
        put(&root, "port", "70000\n");
        let err = cluster(root.path(), &args(false), &mut Vec::new()).expect_err("port");
        assert!(err.to_string().contains("cluster_msg/port"), "{err}");
        let root = tree();
        put(&root, "incarnation", "0123\n");
        assert!(cluster(root.path(), &args(false), &mut Vec::new()).is_err());
        let root = tree();
        put(&root, "enabled", "yes\n");
        assert!(cluster(root.path(), &args(false), &mut Vec::new()).is_err());
        let root = tree();
        fs::remove_file(root.path().join(DIR).join("epoch")).unwrap();
        let err = cluster(root.path(), &args(false), &mut Vec::new()).expect_err("epoch");
        assert!(err.to_string().contains("cluster_msg/epoch"), "{err}");
    }

    #[test]
    fn wait_targets_parse() {
        let t = |a: &[&str]| {
            parse_targets(&a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(), None)
        };
        assert_eq!(
            t(&["2=up", "3=dying:panic"]).expect("parse"),
            [
                Target {
                    id: 2,
                    state: "up",
                    reasons: Vec::new(),
                    max_silent_ms: None
                },
                Target {
                    id: 3,
                    state: "dying",
                    reasons: vec!["panic"],
                    max_silent_ms: None
                }
            ]
        );
        assert!(t(&["4=down:hw-fatal"]).is_ok());
        assert_eq!(
            t(&["3=dying:panic|kdump|dumped"]).expect("parse")[0].reasons,
            ["panic", "kdump", "dumped"]
        );
        assert!(t(&["3=dying:panic|"]).is_err());
        assert!(t(&["3=dying:panic|sleep"]).is_err());
        let err = t(&["2=upp"]).expect_err("state");
        assert!(err.to_string().contains("unknown state \"upp\""), "{err}");
        assert!(err.to_string().contains("down, joining, up"), "{err}");
        let err = t(&["2=dying:crash"]).expect_err("reason");
        assert!(
            err.to_string().contains("unknown reason \"crash\""),
            "{err}"
        );
        assert!(t(&["2"]).is_err());
        assert!(t(&["x=up"]).is_err());
        assert!(t(&["2=up", "2=down"]).is_err());
        assert!(t(&[]).is_err());
    }

    fn wait(root: &Path, targets: &[&str], timeout_ms: u64, json: bool) -> (Outcome, String) {
        wait_silent(root, targets, timeout_ms, None, json)
    }

    fn wait_silent(
        root: &Path,
        targets: &[&str],
        timeout_ms: u64,
        max_silent_ms: Option<u64>,
        json: bool,
    ) -> (Outcome, String) {
        let w: Vec<String> = targets.iter().map(|s| (*s).to_owned()).collect();
        let a = ClusterArgs {
            json,
            counters: false,
            wait_state: &w,
            timeout_ms,
            max_silent_ms,
        };
        run(root, &a)
    }

    #[test]
    fn wait_state_max_silent() {
        // Node 3 is dying:panic, last heard 1500 ms ago.
        let root = tree();
        let (o, _) = wait_silent(root.path(), &["3=dying"], 1000, Some(1500), false);
        assert_eq!(o, Outcome::Done);
        // One of several reasons.
        let (o, _) = wait(root.path(), &["3=dying:kdump|panic"], 1000, false);
        assert_eq!(o, Outcome::Done);
        let (o, _) = wait(root.path(), &["3=dying:kdump|oops"], 0, false);
        let Outcome::TimedOut(msg) = o else {
            panic!("a reason not asked for met the target");
        };
        assert!(
            msg.contains("waiting for 3=dying:kdump|oops: node 3 is dying:panic (silent 1500 ms)"),
            "{msg}"
        );
        let (o, s) = wait_silent(root.path(), &["3=dying"], 50, Some(1499), true);
        let Outcome::TimedOut(msg) = o else {
            panic!("a notice older than allowed was accepted");
        };
        assert!(
            msg.ends_with("node 3 is dying:panic but silent 1500 ms, more than 1499 ms"),
            "{msg}"
        );
        let v: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(v["nodes"][0]["met"], false);
        assert_eq!(v["nodes"][0]["silent_ms"], 1500);
        // Never heard: not met, whatever the bound.
        let (o, _) = wait_silent(root.path(), &["4=down"], 0, Some(u64::MAX), false);
        let Outcome::TimedOut(msg) = o else {
            panic!("a node never heard met a silence bound");
        };
        assert!(msg.ends_with("node 4 is down but never heard"), "{msg}");
    }

    #[test]
    fn wait_state_met_at_once() {
        let root = tree();
        let (o, s) = wait(
            root.path(),
            &["2=up", "3=dying:panic", "4=down"],
            1000,
            false,
        );
        assert_eq!(o, Outcome::Done);
        let ms: u64 = s.trim().parse().expect("elapsed ms");
        assert!(ms < 1000, "{s}");
        let (o, s) = wait(root.path(), &["3=dying"], 1000, true);
        assert_eq!(o, Outcome::Done);
        let v: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(v["reached"], true);
        assert_eq!(v["timeout_ms"], 1000);
        assert!(v["elapsed_ms"].is_u64());
        assert_eq!(v["nodes"][0]["id"], 3);
        assert_eq!(v["nodes"][0]["want"], "dying");
        assert_eq!(v["nodes"][0]["state"], "dying");
        assert_eq!(v["nodes"][0]["reason"], "panic");
        assert_eq!(v["nodes"][0]["met"], true);
    }

    #[test]
    fn wait_state_times_out_naming_states() {
        let root = tree();
        let t = Instant::now();
        let (o, s) = wait(
            root.path(),
            &["2=down", "3=dying:oops", "4=down", "5=up"],
            60,
            false,
        );
        assert!(t.elapsed() >= Duration::from_millis(60));
        assert!(s.is_empty(), "{s}");
        let Outcome::TimedOut(msg) = o else {
            panic!("not timed out");
        };
        assert!(
            msg.starts_with("timed out after ")
                && msg.contains(" ms waiting for 2=down 3=dying:oops 4=down 5=up: "),
            "{msg}"
        );
        assert!(
            msg.ends_with(
                "node 2 is up (silent 12 ms), node 3 is dying:panic (silent 1500 ms), \
                 node 5 is not in members (not a configured peer)"
            ),
            "{msg}"
        );
        let (o, s) = wait(root.path(), &["2=down"], 0, true);
        assert!(matches!(o, Outcome::TimedOut(_)));
        let v: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(v["reached"], false);
        assert_eq!(v["nodes"][0]["state"], "up");
        assert_eq!(v["nodes"][0]["met"], false);
    }

    #[test]
    fn wait_state_sees_a_change() {
        let root = tree();
        let path = root.path().to_owned();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let d = path.join(DIR);
            fs::write(
                d.join(".m"),
                "2 down timeout 1012 412 35 300 900 120 1234\n3 left shutdown 5 0 0 0 0 0 17\n",
            )
            .expect("write");
            fs::rename(d.join(".m"), d.join("members")).expect("rename");
        });
        let (o, s) = wait(root.path(), &["2=down:timeout", "3=left"], 5000, false);
        writer.join().expect("writer");
        assert_eq!(o, Outcome::Done);
        let ms: u64 = s.trim().parse().expect("elapsed ms");
        // The waiter's clock starts after the writer's: a loose lower bound only.
        assert!((100..5000).contains(&ms), "{ms}");
    }

    #[test]
    fn wait_state_checks_arguments_first() {
        // A bad target is reported even where cluster_msg is not loaded.
        let root = tempfile::tempdir().expect("tempdir");
        let w = ["2=sleeping".to_owned()];
        let a = ClusterArgs {
            wait_state: &w,
            ..args(false)
        };
        let err = cluster(root.path(), &a, &mut Vec::new()).expect_err("bad state");
        assert!(err.to_string().contains("unknown state"), "{err}");
    }
}
