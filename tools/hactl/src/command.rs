// SPDX-License-Identifier: GPL-2.0

//! Running the programs hactl drives (kexec, Pacemaker's attrd_updater): the command
//! as a shell would show it, and an error that carries the program's stderr.

use anyhow::{bail, Context, Result};
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// A command line as a shell would show it (arguments with spaces quoted).
pub(crate) fn shown_command<A: AsRef<OsStr>>(program: &Path, args: &[A]) -> String {
    std::iter::once(program.as_os_str())
        .chain(args.iter().map(AsRef::as_ref))
        .map(|a| {
            let a = a.to_string_lossy();
            if a.contains(' ') || a.is_empty() {
                match a.split_once('=') {
                    Some((k, v)) if k.starts_with("--") => format!("{k}=\"{v}\""),
                    _ => format!("\"{a}\""),
                }
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A command line as JSON shows it: the program, then the arguments (lossy UTF-8).
pub(crate) fn argv<A: AsRef<OsStr>>(program: &Path, args: &[A]) -> Vec<String> {
    std::iter::once(program.as_os_str())
        .chain(args.iter().map(AsRef::as_ref))
        .map(|s| s.to_string_lossy().into_owned())
        .collect()
}

/// Runs `program args` with no stdin; an error with its stderr if it cannot run or
/// fails.
pub(crate) fn run_checked<A: AsRef<OsStr>>(program: &Path, args: &[A]) -> Result<()> {
    let what = shown_command(program, args);
    let res = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !res.status.success() {
        bail!(
            "{what} failed ({}): {}",
            res.status,
            String::from_utf8_lossy(&res.stderr).trim_end()
        );
    }
    Ok(())
}

/// A shell script at `dir/name` that runs `body`: a stand-in for a program hactl
/// drives (kexec, makedumpfile), in the tests.
#[cfg(test)]
pub(crate) fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_and_failures() {
        assert_eq!(
            shown_command(Path::new("kexec"), &["-p", "--append=a b", ""]),
            "kexec -p --append=\"a b\" \"\""
        );
        assert_eq!(
            argv(Path::new("kexec"), &["-s", "-u"]),
            ["kexec", "-s", "-u"]
        );
        assert!(run_checked(Path::new("true"), &[""; 0]).is_ok());
        let e = run_checked(Path::new("sh"), &["-c", "echo nope >&2; exit 3"]).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        assert!(run_checked(Path::new("/nonexistent/prog"), &["x"]).is_err());
    }
}
