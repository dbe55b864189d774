// SPDX-License-Identifier: GPL-2.0

//! kexec-tools as hactl drives it: `hactl crash` loads the kdump capture kernel
//! (`kexec -s -p`), `hactl handoff` the kernel of a planned kexec (`kexec -s -l`).
//! Both load with kexec_file_load (`-s`); what the kernel says about the loaded image
//! is a `0`/`1` file under `/sys/kernel`.

use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

/// The kexec program (kexec-tools), looked up in `PATH`.
pub(crate) const KEXEC: &str = "kexec";

/// Which image kexec loads.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Image {
    /// The kdump capture kernel, started by a panic (`-p`).
    Crash,
    /// The kernel `kexec -e` (or a reboot into kexec) starts (`-l`).
    Normal,
}

/// The loaded kernel's command line.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cmdline<'a> {
    /// The running kernel's (`--reuse-cmdline`), with these arguments appended
    /// (`--append=`, left out when empty).
    Reuse(&'a str),
    /// This one instead (`--command-line=`).
    Replace(&'a str),
}

/// kexec's arguments to load `kernel` with kexec_file_load:
/// `-s -p|-l <kernel> (--reuse-cmdline [--append=<args>] | --command-line=<args>)
/// [--initrd=<initrd>]`.
pub(crate) fn load_args(
    image: Image,
    kernel: &Path,
    initrd: Option<&Path>,
    cmdline: Cmdline<'_>,
) -> Vec<OsString> {
    let slot = match image {
        Image::Crash => "-p",
        Image::Normal => "-l",
    };
    let mut args: Vec<OsString> = vec!["-s".into(), slot.into(), kernel.into()];
    match cmdline {
        Cmdline::Reuse(append) => {
            args.push("--reuse-cmdline".into());
            if !append.trim().is_empty() {
                args.push(format!("--append={}", append.trim()).into());
            }
        }
        Cmdline::Replace(line) => args.push(format!("--command-line={}", line.trim()).into()),
    }
    if let Some(i) = initrd {
        let mut a = OsString::from("--initrd=");
        a.push(i);
        args.push(a);
    }
    args
}

/// kexec's arguments to unload the image: the capture kernel `-p -u`, the other
/// (loaded with kexec_file_load) `-s -u`.
pub(crate) fn unload_args(image: Image) -> [&'static str; 2] {
    match image {
        Image::Crash => ["-p", "-u"],
        Image::Normal => ["-s", "-u"],
    }
}

/// Whether the kernel says an image is loaded, and the file that says so: the first
/// of `files` that exists (the newer `/sys/kernel/kexec/` file first, then the older
/// one). `support` names what a kernel without either lacks.
pub(crate) fn loaded<'a>(files: &'a [PathBuf; 2], support: &str) -> Result<(bool, &'a Path)> {
    let Some(path) = files.iter().find(|p| p.exists()) else {
        bail!(
            "neither {} nor {} exists: this kernel has no {support}",
            files[0].display(),
            files[1].display()
        );
    };
    let v = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    match v.trim() {
        "1" => Ok((true, path)),
        "0" => Ok((false, path)),
        s => bail!("{}: {s:?} is not 0 or 1", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(
            load_args(
                Image::Normal,
                Path::new("/boot/vmlinuz-7.2.14"),
                None,
                Cmdline::Reuse(" ")
            ),
            ["-s", "-l", "/boot/vmlinuz-7.2.14", "--reuse-cmdline"]
        );
        assert_eq!(
            load_args(
                Image::Normal,
                Path::new("/k"),
                Some(Path::new("/i")),
                Cmdline::Replace("root=/dev/vda kho=on ")
            ),
            [
                "-s",
                "-l",
                "/k",
                "--command-line=root=/dev/vda kho=on",
                "--initrd=/i"
            ]
        );
        assert_eq!(
            load_args(Image::Crash, Path::new("/k"), None, Cmdline::Reuse("quiet")),
            ["-s", "-p", "/k", "--reuse-cmdline", "--append=quiet"]
        );
    }

    #[test]
    fn loaded_files() {
        let d = tempfile::tempdir().expect("tempdir");
        let files = [d.path().join("kexec/loaded"), d.path().join("kexec_loaded")];
        let e = loaded(&files, "kexec support").expect_err("neither");
        assert!(e.to_string().contains("no kexec support"), "{e}");
        fs::write(&files[1], "1\n").expect("write");
        assert_eq!(loaded(&files, "").expect("old"), (true, files[1].as_path()));
        fs::create_dir(d.path().join("kexec")).expect("mkdir");
        fs::write(&files[0], "0\n").expect("write");
        assert_eq!(
            loaded(&files, "").expect("new"),
            (false, files[0].as_path())
        );
        fs::write(&files[0], "2\n").expect("write");
        assert!(loaded(&files, "").is_err());
    }
}
