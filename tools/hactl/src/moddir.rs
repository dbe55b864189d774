// SPDX-License-Identifier: GPL-2.0

//! A hasys module's sysfs directory, `<sysfs_root>/<module>/`: the readers and the
//! writer its attribute files share, whatever the module. What the files mean is the
//! business of the module's own `Sysfs` (`cluster::Sysfs`, `hadetect::Sysfs`), which
//! wraps a [`ModuleDir`].
//!
//! Every error names the file (its whole path) and, where one was read, the value.

use anyhow::{anyhow, bail, Context, Result};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A module's sysfs directory.
pub(crate) struct ModuleDir {
    /// `<sysfs_root>/<module>`.
    dir: PathBuf,
    /// The module's name, which is also the directory's.
    module: &'static str,
}

impl ModuleDir {
    /// `<sysfs_root>/<module>`; an error if it is not there (the module is not loaded).
    pub(crate) fn open(sysfs_root: &Path, module: &'static str) -> Result<Self> {
        let dir = sysfs_root.join(module);
        if !dir.is_dir() {
            bail!(
                "{} does not exist: the {module} module is not loaded",
                dir.display()
            );
        }
        Ok(Self { dir, module })
    }

    /// The path of the file `name` (which may be `<subdirectory>/<file>`).
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The whole content of `name`, as it is.
    pub(crate) fn read(&self, name: &str) -> Result<String> {
        let path = self.path(name);
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// A one-value file, without surrounding white space.
    pub(crate) fn read_value(&self, name: &str) -> Result<String> {
        Ok(self.read(name)?.trim().to_owned())
    }

    /// A one-value file parsed as a `T`; an error saying the value is not `what`
    /// (`"a number"`, say) if it does not parse.
    pub(crate) fn read_parsed<T: FromStr>(&self, name: &str, what: &str) -> Result<T> {
        let s = self.read_value(name)?;
        s.parse()
            .map_err(|_| anyhow!("{}: {s:?} is not {what}", self.path(name).display()))
    }

    /// A one-value file holding a number (of whatever type and range `T` has).
    pub(crate) fn read_num<T: FromStr>(&self, name: &str) -> Result<T> {
        self.read_parsed(name, "a number (or out of range)")
    }

    /// A one-value file holding `0` or `1`.
    pub(crate) fn read_bool(&self, name: &str) -> Result<bool> {
        match self.read_value(name)?.as_str() {
            "0" => Ok(false),
            "1" => Ok(true),
            s => bail!("{}: {s:?} is not 0 or 1", self.path(name).display()),
        }
    }

    /// Reads `counters`: `<name> <value>` lines, in the kernel's order.
    pub(crate) fn counters(&self) -> Result<Vec<(String, u64)>> {
        parse_counters(&self.read("counters")?)
    }

    /// Writes `value` and a newline to `name` in one `write()`, as `echo value >
    /// name` does. A file that is not there is an error, never created (it is an
    /// older module, not a setting). Where opening or writing the file fails (the
    /// kernel refused the value, say), the error is `refused(path, value, error)`:
    /// what the kernel's errors mean is the module's to say.
    pub(crate) fn write(
        &self,
        name: &str,
        value: &str,
        refused: impl Fn(&Path, &str, &io::Error) -> anyhow::Error,
    ) -> Result<()> {
        let path = self.path(name);
        if !path.exists() {
            bail!(
                "{} does not exist: this {} has no such setting",
                path.display(),
                self.module
            );
        }
        let buf = format!("{value}\n");
        let mut f = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| refused(&path, value, &e))?;
        match f.write(buf.as_bytes()) {
            Ok(n) if n == buf.len() => Ok(()),
            Ok(n) => bail!(
                "{}: short write of {value:?} ({n} of {} bytes)",
                path.display(),
                buf.len()
            ),
            Err(e) => Err(refused(&path, value, &e)),
        }
    }
}

/// `counters`: `<name> <value>` lines, in the kernel's order; blank lines are skipped.
fn parse_counters(s: &str) -> Result<Vec<(String, u64)>> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut w = l.split_whitespace();
            match (w.next(), w.next().map(str::parse::<u64>), w.next()) {
                (Some(name), Some(Ok(v)), None) => Ok((name.to_owned(), v)),
                _ => bail!("counters: cannot parse line {l:?}"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_parse() {
        let c = parse_counters("records 12\nerrors 3\n\nevicted 0\n").expect("parse");
        assert_eq!(
            c,
            [
                ("records".to_owned(), 12),
                ("errors".to_owned(), 3),
                ("evicted".to_owned(), 0)
            ]
        );
        assert!(parse_counters("records\n").is_err());
        assert!(parse_counters("records x\n").is_err());
        assert!(parse_counters("records 1 2\n").is_err());
    }
}
