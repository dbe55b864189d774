// SPDX-License-Identifier: GPL-2.0

//! fence_hasys (`tools/pacemaker/fence_hasys`), the Pacemaker fence agent, run as
//! Pacemaker runs it (options on stdin) and as a person does (on the command line),
//! with this crate's hactl on fake `cluster_msg` trees: its metadata, its options,
//! each action's result and exit code, and waits that end when the state changes or
//! when the timeout passes.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const AGENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../pacemaker/fence_hasys");
const HACTL: &str = env!("CARGO_BIN_EXE_hactl");

/// Node 2 up, node 3 dying of a panic 1.5 s ago, node 4 never heard.
const MEMBERS: &str = "2 up none 12 412 35 300 900 120 1234\n\
                       3 dying panic 1500 0 0 0 0 0 17\n\
                       4 down none - 0 0 0 0 0 0\n";

/// A fake `<root>/cluster_msg/` with every file cluster_msg makes, `members` as given.
fn tree(members: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir(root.path().join("cluster_msg")).expect("mkdir");
    for (name, text) in [
        ("node_id", "1\n"),
        ("cluster_id", "77\n"),
        ("port", "5405\n"),
        ("interface", "eth1\n"),
        ("interval_ms", "100\n"),
        ("suspect_ms", "300\n"),
        ("dead_ms", "1000\n"),
        ("max_skew_s", "30\n"),
        ("tx_key", "0\n"),
        ("gasp_repeats", "3\n"),
        ("handoff_ms", "120000\n"),
        ("enabled", "1\n"),
        ("state", "active\n"),
        ("epoch", "7\n"),
        ("incarnation", "0123456789abcdef00112233445566ff\n"),
        ("keys", "0 1\n"),
        (
            "peers",
            "2 169.254.77.2 52:54:00:00:00:0b\n\
             3 169.254.77.3 52:54:00:00:00:0c\n\
             4 169.254.77.4 52:54:00:00:00:0d\n",
        ),
        ("members", members),
        ("counters", "tx_heartbeats 100\nrx_accepted 98\n"),
    ] {
        put(root.path(), name, text);
    }
    root
}

/// Replaces `cluster_msg/<name>` at once (a temporary file renamed over it), as a
/// reader polling it must see it: whole, old or new.
fn put(root: &Path, name: &str, text: &str) {
    let d = root.join("cluster_msg");
    let tmp = d.join(format!(".{name}.tmp"));
    fs::write(&tmp, text).expect("write");
    fs::rename(&tmp, d.join(name)).expect("rename");
}

/// What a run gave, and how long it took.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn finish(out: Output, start: Instant) -> Run {
    Run {
        code: out.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8(out.stdout).expect("utf8"),
        stderr: String::from_utf8(out.stderr).expect("utf8"),
        took: start.elapsed(),
    }
}

/// The agent with `args` on its command line, hactl and the fake tree first.
fn run(root: &Path, args: &[&str]) -> Run {
    let mut all = vec![
        "--hactl",
        HACTL,
        "--sysfs-root",
        root.to_str().expect("utf8"),
    ];
    all.extend_from_slice(args);
    run_bare(&all)
}

/// The agent with exactly `args` (stdin closed: never read with arguments).
fn run_bare(args: &[&str]) -> Run {
    let start = Instant::now();
    let out = Command::new(AGENT)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run fence_hasys");
    finish(out, start)
}

/// The agent without arguments, `input` on stdin, as Pacemaker runs it.
fn run_stdin(input: &str) -> Run {
    let start = Instant::now();
    let mut child = Command::new(AGENT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run fence_hasys");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    finish(child.wait_with_output().expect("wait"), start)
}

/// The stdin lines naming hactl and the tree.
fn stdin_base(root: &Path) -> String {
    format!("hactl={HACTL}\nsysfs_root={}\n", root.display())
}

#[track_caller]
fn assert_code(r: &Run, code: i32) {
    assert_eq!(
        r.code, code,
        "exit code\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
}

#[track_caller]
fn assert_stderr(r: &Run, want: &str) {
    assert!(
        r.stderr.contains(want),
        "want {want:?} in stderr: {}",
        r.stderr
    );
}

/// A 1 s timeout that ran out: at least 1 s, and not much more.
#[track_caller]
fn assert_waited_one_second(r: &Run) {
    assert!(
        (Duration::from_millis(1000)..Duration::from_secs(10)).contains(&r.took),
        "took {:?}",
        r.took
    );
}

const ACTIONS: [&str; 8] = [
    "on",
    "off",
    "reboot",
    "status",
    "monitor",
    "list",
    "metadata",
    "validate-all",
];

const PARAMETERS: [&str; 12] = [
    "action",
    "plug",
    "port",
    "nodename",
    "timeout",
    "max_age",
    "reasons",
    "hactl",
    "sysfs_root",
    "verbose",
    "version",
    "help",
];

/// Checks that the elements of `xml` nest properly (the subset of XML the metadata
/// uses: a declaration, elements with attributes, text without markup) and returns
/// their names in document order.
fn elements(xml: &str) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut root_closed = false;
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        assert!(!text.contains('>'), "stray '>' in {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "bare '&' in {text:?}"
            );
        }
        let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
        let tag = &rest[lt + 1..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with('?') {
            assert!(tag.ends_with('?') && seen.is_empty(), "declaration {tag:?}");
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "close tag {tag:?}");
            root_closed = open.is_empty();
            continue;
        }
        assert!(!root_closed, "a second root element {tag:?}");
        assert_eq!(tag.matches('"').count() % 2, 0, "quotes in {tag:?}");
        let name = tag
            .split_whitespace()
            .next()
            .expect("name")
            .trim_end_matches('/');
        seen.push(name.to_owned());
        if !tag.ends_with('/') {
            open.push(name.to_owned());
        }
    }
    assert!(rest.trim().is_empty(), "text after the root: {rest:?}");
    assert!(open.is_empty(), "not closed: {open:?}");
    seen
}

#[test]
fn metadata_lists_every_action_and_parameter() {
    // Pacemaker asks for it with nothing else set: hactl need not exist.
    let r = run_bare(&["-o", "metadata", "--hactl", "/nonexistent/hactl"]);
    assert_code(&r, 0);
    let xml = &r.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" ?>\n"), "{xml}");
    let names = elements(xml);
    assert_eq!(names[0], "resource-agent");
    assert_eq!(names.iter().filter(|n| *n == "resource-agent").count(), 1);
    assert!(
        xml.contains("<resource-agent name=\"fence_hasys\" shortdesc=\""),
        "{xml}"
    );
    // fence-agents' metadata.rng: these once each, in this order.
    let top: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| ["longdesc", "vendor-url", "parameters", "actions"].contains(n))
        .collect();
    assert_eq!(top, ["longdesc", "vendor-url", "parameters", "actions"]);
    for a in ACTIONS {
        assert!(xml.contains(&format!("<action name=\"{a}\"")), "{a}");
    }
    assert_eq!(
        names.iter().filter(|n| *n == "action").count(),
        ACTIONS.len()
    );
    // Each parameter with its getopt, content and English shortdesc.
    let params: Vec<&str> = xml.split("<parameter name=\"").skip(1).collect();
    assert_eq!(params.len(), PARAMETERS.len());
    for p in PARAMETERS {
        let body = params
            .iter()
            .find(|b| b.starts_with(&format!("{p}\"")))
            .unwrap_or_else(|| panic!("no parameter {p}"));
        let body = &body[..body.find("</parameter>").expect("closed")];
        // Each once, in this order.
        let at: Vec<usize> = [
            "<getopt mixed=\"",
            "<content type=\"",
            "<shortdesc lang=\"en\">",
        ]
        .iter()
        .map(|part| {
            assert_eq!(body.matches(part).count(), 1, "{p}: {part}");
            body.find(part).expect(part)
        })
        .collect();
        assert!(at.is_sorted(), "{p}: {at:?}");
    }
    for (p, default) in [
        ("action", "off"),
        ("timeout", "60"),
        ("max_age", "600"),
        ("hactl", "hactl"),
    ] {
        let body = params
            .iter()
            .find(|b| b.starts_with(&format!("{p}\"")))
            .expect(p);
        assert!(body.contains(&format!("default=\"{default}\"")), "{p}");
    }
    // The same from stdin.
    let s = run_stdin("action=metadata\n");
    assert_code(&s, 0);
    assert_eq!(s.stdout, r.stdout);
}

#[test]
fn stdin_options_with_comments_and_unknown_keys() {
    let root = tree(MEMBERS);
    let input = format!(
        "# fence_hasys, as pacemaker-fenced runs it\n\n  action = status \n{}\
         plug=3\nnodename=node3\nnodeid=12\ncolour=blue\n#timeout=x\n",
        stdin_base(root.path())
    );
    let r = run_stdin(&input);
    assert_code(&r, 2);
    assert_eq!(r.stdout, "Status: OFF\n");
    // The unknown key is named; nodeid, which Pacemaker passes, is no warning.
    assert_eq!(r.stderr, "fence_hasys: ignoring unknown option colour\n");
    // port is plug's old name; the last line may lack its newline.
    let r = run_stdin(&format!("action=off\n{}port=3", stdin_base(root.path())));
    assert_code(&r, 0);
    assert_eq!(
        r.stdout,
        "Success: node 3 is dying (panic), heard 1500 ms ago\n"
    );
    assert_eq!(r.stderr, "");
    // verbose says what runs.
    let r = run_stdin(&format!(
        "action=status\nplug=2\nverbose\n{}",
        stdin_base(root.path())
    ));
    assert_code(&r, 0);
    assert_stderr(&r, "fence_hasys: running ");
    assert_stderr(
        &r,
        " cluster --wait-state 2=dying:panic|kexec|shutdown|kdump|dumped --max-silent-ms 600000",
    );
}

#[test]
fn off_succeeds_at_once_for_a_dying_node() {
    let root = tree(MEMBERS);
    for action in ["off", "reboot"] {
        let r = run(root.path(), &["-o", action, "-n", "3"]);
        assert_code(&r, 0);
        assert_eq!(
            r.stdout,
            "Success: node 3 is dying (panic), heard 1500 ms ago\n"
        );
        assert!(r.took < Duration::from_secs(5), "{:?}", r.took);
    }
    // off is the default action.
    let r = run(root.path(), &["--plug=3"]);
    assert_code(&r, 0);
}

#[test]
fn off_fails_after_the_timeout_for_an_up_node() {
    let root = tree(MEMBERS);
    for action in ["off", "reboot"] {
        let r = run(root.path(), &["-o", action, "-n", "2", "-t", "1"]);
        assert_code(&r, 1);
        assert_waited_one_second(&r);
        assert_eq!(r.stdout, "");
        // hactl's reason, then the agent's.
        assert_stderr(&r, "hactl: timed out after ");
        assert_stderr(&r, "node 2 is up (silent 12 ms)");
        assert_stderr(
            &r,
            "fence_hasys: node 2 is not fenced: no dying notice \
             (panic,kexec,shutdown,kdump,dumped) at most 600 s old within 1 s",
        );
    }
}

#[test]
fn off_ignores_a_notice_older_than_max_age() {
    // Dying 700 s ago: too old for the default max_age of 600 s.
    let root = tree("3 dying panic 700000 0 0 0 0 0 17\n");
    let r = run(root.path(), &["-o", "off", "-n", "3", "--timeout", "1"]);
    assert_code(&r, 1);
    assert_waited_one_second(&r);
    assert_stderr(
        &r,
        "node 3 is dying:panic but silent 700000 ms, more than 600000 ms",
    );
    // A longer max_age takes it.
    let r = run(root.path(), &["-o", "off", "-n", "3", "--max-age", "800"]);
    assert_code(&r, 0);
    assert_eq!(
        r.stdout,
        "Success: node 3 is dying (panic), heard 700000 ms ago\n"
    );
    // max_age is seconds: 1 s is less than 1.5 s.
    let root = tree(MEMBERS);
    let r = run(root.path(), &["-o", "off", "-n", "3", "--max-age=1", "-t1"]);
    assert_code(&r, 1);
    assert_stderr(&r, "silent 1500 ms, more than 1000 ms");
}

#[test]
fn off_succeeds_when_the_node_dies_during_the_wait() {
    let root = tree(MEMBERS);
    let path = root.path().to_owned();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        put(
            &path,
            "members",
            "2 dying kdump 3 0 0 0 0 0 1240\n\
             3 dying panic 1800 0 0 0 0 0 17\n\
             4 down none - 0 0 0 0 0 0\n",
        );
    });
    let r = run(root.path(), &["-o", "off", "-n", "2", "-t", "20"]);
    writer.join().expect("writer");
    assert_code(&r, 0);
    assert_eq!(
        r.stdout,
        "Success: node 2 is dying (kdump), heard 3 ms ago\n"
    );
    assert!(
        // The writer's clock starts first: a loose lower bound only.
        (Duration::from_millis(100)..Duration::from_secs(20)).contains(&r.took),
        "{:?}",
        r.took
    );
}

#[test]
fn on_waits_for_the_node_to_be_up() {
    let root = tree(MEMBERS);
    let r = run(root.path(), &["-o", "on", "-n", "2", "-t", "1"]);
    assert_code(&r, 0);
    assert_eq!(r.stdout, "Success: node 2 is up\n");
    let r = run(root.path(), &["-o", "on", "-n", "3", "-t", "1"]);
    assert_code(&r, 1);
    assert_waited_one_second(&r);
    assert_stderr(&r, "node 3 is dying:panic (silent 1500 ms)");
    assert_stderr(&r, "cannot power a node on");
}

#[test]
fn status_on_off_and_unknown() {
    let root = tree(
        "2 up none 12 412 35 300 900 120 1234\n\
         3 dying panic 1500 0 0 0 0 0 17\n\
         4 down none - 0 0 0 0 0 0\n\
         5 joining none 40 0 0 0 0 0 3\n\
         6 suspect none 400 0 0 0 0 0 90\n\
         7 left admin 10 0 0 0 0 0 80\n\
         8 handoff handoff 10 0 0 0 0 0 80\n\
         9 dying panic 700000 0 0 0 0 0 80\n\
         11 dying oops 10 0 0 0 0 0 80\n",
    );
    let status = |id: &str| run(root.path(), &["-o", "status", "-n", id, "-t", "30"]);
    for id in ["2", "5", "6", "7", "8"] {
        let r = status(id);
        assert_code(&r, 0);
        assert_eq!(r.stdout, "Status: ON\n", "{id}");
        assert_eq!(r.stderr, "", "{id}");
    }
    let r = status("3");
    assert_code(&r, 2);
    assert_eq!(r.stdout, "Status: OFF\n");
    for (id, why) in [
        (
            "4",
            "node 4 is down: silent without a dying notice, it may be running",
        ),
        ("9", "node 9's dying notice is older than 600 s"),
        ("10", "node 10 is not a configured cluster_msg peer"),
        (
            "11",
            "node 11 is dying of oops, not one of the reasons \
             (panic,kexec,shutdown,kdump,dumped): it may still run",
        ),
    ] {
        let r = status(id);
        assert_code(&r, 1);
        assert_eq!(r.stdout, "Status: UNKNOWN\n", "{id}");
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert_stderr(&r, why);
        // One look: status never waits for the timeout.
        assert!(r.took < Duration::from_secs(10), "{:?}", r.took);
    }
    // Without cluster_msg: unknown, with hactl's reason.
    let empty = tempfile::tempdir().expect("tempdir");
    let r = run(empty.path(), &["-o", "status", "-n", "3"]);
    assert_code(&r, 1);
    assert_eq!(r.stdout, "Status: UNKNOWN\n");
    assert_stderr(&r, "the cluster_msg module is not loaded");
}

#[test]
fn list_prints_the_configured_peers() {
    let root = tree(MEMBERS);
    let r = run(root.path(), &["-o", "list"]);
    assert_code(&r, 0);
    assert_eq!(r.stdout, "2,\n3,\n4,\n");
    put(root.path(), "peers", "");
    put(root.path(), "members", "");
    let r = run(root.path(), &["-o", "list"]);
    assert_code(&r, 0);
    assert_eq!(r.stdout, "");
}

#[test]
fn monitor_needs_cluster_msg_loaded_and_enabled() {
    let root = tree(MEMBERS);
    let r = run(root.path(), &["-o", "monitor"]);
    assert_code(&r, 0);
    assert_eq!(r.stdout, "");
    put(root.path(), "enabled", "0\n");
    put(root.path(), "state", "disabled\n");
    let r = run(root.path(), &["-o", "monitor"]);
    assert_code(&r, 1);
    assert_stderr(&r, "cluster_msg is loaded but not enabled");
    let empty = tempfile::tempdir().expect("tempdir");
    let r = run(empty.path(), &["-o", "monitor"]);
    assert_code(&r, 1);
    assert_stderr(&r, "the cluster_msg module is not loaded");
    // One line of hactl's, no backtrace even where RUST_BACKTRACE asks for one.
    let start = Instant::now();
    let out = Command::new(AGENT)
        .args(["--hactl", HACTL, "--sysfs-root"])
        .arg(empty.path())
        .args(["-o", "monitor"])
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run");
    let r = finish(out, start);
    assert_code(&r, 1);
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
}

#[test]
fn the_target_is_needed_and_must_be_an_id() {
    let root = tree(MEMBERS);
    for action in ["off", "on", "reboot", "status"] {
        let r = run(root.path(), &["-o", action]);
        assert_code(&r, 1);
        assert_eq!(
            r.stderr,
            format!(
                "fence_hasys: {action} needs the target: set plug (or port) to its \
                 cluster_msg node id\n"
            )
        );
    }
    for bad in ["node2", "0", "-1", "2x", "4294967296"] {
        let r = run(root.path(), &["-o", "off", "-n", bad]);
        assert_code(&r, 1);
        assert_stderr(&r, &format!("plug '{bad}' is not a cluster_msg node id"));
        assert_stderr(&r, "pcmk_host_map");
    }
    // Leading zeros are decimal, not octal.
    let r = run(root.path(), &["-o", "status", "-n", "003"]);
    assert_code(&r, 2);
}

#[test]
fn nodename_is_the_id_when_it_is_a_number() {
    let root = tree(MEMBERS);
    let r = run(root.path(), &["-o", "off", "--nodename", "3"]);
    assert_code(&r, 0);
    assert_eq!(
        r.stdout,
        "Success: node 3 is dying (panic), heard 1500 ms ago\n"
    );
    // A name needs pcmk_host_map, which makes it the plug.
    let r = run_stdin(&format!(
        "action=off\nnodename=node3\n{}",
        stdin_base(root.path())
    ));
    assert_code(&r, 1);
    assert_stderr(
        &r,
        "node name 'node3' is not a cluster_msg node id and no plug is given",
    );
    assert_stderr(&r, "pcmk_host_map");
    let r = run_stdin(&format!(
        "action=status\nnodename=node3\nport=3\n{}",
        stdin_base(root.path())
    ));
    assert_code(&r, 2);
    // The plug wins over a numeric name too.
    let r = run(root.path(), &["-o", "status", "--nodename", "3", "-n", "2"]);
    assert_code(&r, 0);
}

#[test]
fn bad_actions_numbers_and_options_fail() {
    let root = tree(MEMBERS);
    let r = run(root.path(), &["-o", "fry", "-n", "3"]);
    assert_code(&r, 1);
    assert_stderr(&r, "fence_hasys: unrecognised action 'fry'");
    for (opt, name) in [("-t", "timeout"), ("--max-age", "max_age")] {
        for bad in ["0", "", "1.5", "-3", "ten", "99999999999"] {
            let r = run(root.path(), &["-o", "off", "-n", "3", opt, bad]);
            assert_code(&r, 1);
            assert_stderr(
                &r,
                &format!("{name} '{bad}' is not a whole number of seconds from 1 to 4294967295"),
            );
        }
    }
    let r = run_stdin(&format!(
        "action=off\nplug=3\ntimeout=soon\n{}",
        stdin_base(root.path())
    ));
    assert_code(&r, 1);
    assert_stderr(&r, "timeout 'soon' is not a whole number");
    let r = run(root.path(), &["-o", "off", "-n", "3", "--colour", "blue"]);
    assert_code(&r, 1);
    assert_stderr(&r, "unknown option or argument '--colour'");
    let r = run(root.path(), &["-o", "off", "-n"]);
    assert_code(&r, 1);
    assert_stderr(&r, "option -n needs a value");
    let r = run_bare(&["-o", "status", "-n", "3", "--hactl", "/nonexistent/hactl"]);
    assert_code(&r, 1);
    assert_stderr(&r, "hactl '/nonexistent/hactl' is not found");
}

#[test]
fn validate_all_checks_the_options_only() {
    // No tree at all: validate-all reads nothing.
    let nowhere = Path::new("/nonexistent");
    let r = run(nowhere, &["-o", "validate-all"]);
    assert_code(&r, 0);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    let r = run(nowhere, &["-o", "validate-all", "-n", "3", "-t", "5"]);
    assert_code(&r, 0);
    let r = run(nowhere, &["-o", "validate-all", "-n", "node3"]);
    assert_code(&r, 1);
    let r = run(nowhere, &["-o", "validate-all", "--max-age", "0"]);
    assert_code(&r, 1);
}

#[test]
fn version_and_help() {
    for v in ["-V", "--version"] {
        let r = run_bare(&[v]);
        assert_code(&r, 0);
        assert!(r.stdout.starts_with("fence_hasys "), "{}", r.stdout);
        assert_eq!(r.stdout.lines().count(), 1);
    }
    for h in ["-h", "--help"] {
        let r = run_bare(&[h]);
        assert_code(&r, 0);
        assert!(r.stdout.starts_with("Usage: fence_hasys"), "{}", r.stdout);
        for opt in [
            "--action",
            "--plug",
            "--port",
            "--nodename",
            "--timeout",
            "--max-age",
            "--hactl",
            "--sysfs-root",
            "--verbose",
            "--version",
            "--help",
        ] {
            assert!(r.stdout.contains(opt), "{opt}");
        }
    }
}

/// Only the reasons after which a node runs nothing count, unless told otherwise:
/// an oops or a fatal error record may be survived.
#[test]
fn reasons_that_count() {
    let root = tree(
        "2 dying oops 10 0 0 0 0 0 5\n\
         3 dying hw-fatal 10 0 0 0 0 0 5\n\
         4 dying dumped 10 0 0 0 0 0 5\n",
    );
    for id in ["2", "3"] {
        let r = run(root.path(), &["-o", "off", "-n", id, "-t", "1"]);
        assert_code(&r, 1);
        assert_stderr(&r, "no dying notice (panic,kexec,shutdown,kdump,dumped)");
    }
    let r = run(root.path(), &["-o", "off", "-n", "4", "-t", "1"]);
    assert_code(&r, 0);
    let r = run(
        root.path(),
        &["-o", "off", "-n", "2", "-t", "1", "--reasons", "panic,oops"],
    );
    assert_code(&r, 0);
    assert_eq!(
        r.stdout,
        "Success: node 2 is dying (oops), heard 10 ms ago\n"
    );
    let r = run_stdin(&format!(
        "action=status\nplug=3\nreasons=hw-fatal\n{}",
        stdin_base(root.path())
    ));
    assert_code(&r, 2);
    // A node whose dump is saved is off.
    let r = run(root.path(), &["-o", "status", "-n", "4"]);
    assert_code(&r, 2);
    assert_eq!(r.stdout, "Status: OFF\n");
    for bad in ["", "panic,sleep", "panic,,kdump"] {
        let r = run(root.path(), &["-o", "off", "-n", "2", "--reasons", bad]);
        assert_code(&r, 1);
        assert_stderr(&r, "reasons");
    }
}
