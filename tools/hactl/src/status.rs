// SPDX-License-Identifier: GPL-2.0

//! `hactl status`: the components under `/sys/kernel/ha/`.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::{fs, io::Write, path::Path};

/// Where the hwerr module puts hasys's sysfs tree.
pub const SYSFS_ROOT: &str = "/sys/kernel/ha";

/// One loaded hasys module, as its sysfs directory describes it.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Component {
    /// Module name (the directory's name).
    pub name: String,
    /// Its `version` attribute.
    pub version: String,
}

/// Reads every component directory under `root`, sorted by name.
pub fn read(root: &Path) -> Result<Vec<Component>> {
    if !root.is_dir() {
        bail!(
            "{} does not exist: the hwerr module is not loaded",
            root.display()
        );
    }
    let mut components = Vec::new();
    for entry in fs::read_dir(root).with_context(|| format!("reading {}", root.display()))? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let path = entry.path().join("version");
        let version = fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .trim_end()
            .to_owned();
        components.push(Component {
            name: entry.file_name().to_string_lossy().into_owned(),
            version,
        });
    }
    components.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(components)
}

/// Writes `components` as an aligned table.
pub fn write_table(out: &mut impl Write, components: &[Component]) -> Result<()> {
    writeln!(out, "{:<16} VERSION", "COMPONENT")?;
    for c in components {
        writeln!(out, "{:<16} {}", c.name, c.version)?;
    }
    Ok(())
}

/// Writes `components` as one JSON object: `{"components":[{"name":..,"version":..}]}`.
pub fn write_json(out: &mut impl Write, components: &[Component]) -> Result<()> {
    #[derive(Serialize)]
    struct Status<'a> {
        components: &'a [Component],
    }
    serde_json::to_writer(&mut *out, &Status { components })?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(components: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, version) in components {
            let d = dir.path().join(name);
            fs::create_dir(&d).expect("mkdir");
            fs::write(d.join("version"), format!("{version}\n")).expect("write");
        }
        dir
    }

    #[test]
    fn reads_sorted_components() {
        let dir = tree(&[("hadetect", "0.1.0"), ("hwerr", "0.1.0")]);
        let got = read(dir.path()).expect("read");
        let names: Vec<_> = got.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["hadetect", "hwerr"]);
        assert_eq!(got[0].version, "0.1.0");
    }

    #[test]
    fn missing_root_names_hwerr() {
        let err = read(Path::new("/nonexistent/ha")).expect_err("must fail");
        assert!(
            err.to_string().contains("hwerr module is not loaded"),
            "{err}"
        );
    }

    #[test]
    fn unreadable_version_is_an_error() {
        let dir = tree(&[]);
        fs::create_dir(dir.path().join("broken")).expect("mkdir");
        assert!(read(dir.path()).is_err());
    }

    #[test]
    fn json_shape() {
        let mut out = Vec::new();
        let c = [Component {
            name: "hwerr".into(),
            version: "0.1.0".into(),
        }];
        write_json(&mut out, &c).expect("json");
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "{\"components\":[{\"name\":\"hwerr\",\"version\":\"0.1.0\"}]}\n"
        );
    }
}
