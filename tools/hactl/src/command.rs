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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_and_failures() {
        assert_eq!(
            shown_command(Path::new("kexec"), &["-p", "--append=a b", ""]),
            "kexec -p --append=\"a b\" \"\""
        );
        assert!(run_checked(Path::new("true"), &[""; 0]).is_ok());
        let e = run_checked(Path::new("sh"), &["-c", "echo nope >&2; exit 3"]).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        assert!(run_checked(Path::new("/nonexistent/prog"), &["x"]).is_err());
    }
}
