// SPDX-License-Identifier: GPL-2.0

//! `hactl`: inspect and control hasys from userspace.

mod status;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Inspect and control hasys, the Linux high-availability subsystem.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Where hasys's sysfs tree is.
    #[arg(long, global = true, default_value = status::SYSFS_ROOT)]
    sysfs_root: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show which hasys components are loaded, and their versions.
    Status {
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Status { json } => {
            let components = status::read(&cli.sysfs_root)?;
            let mut out = std::io::stdout().lock();
            if json {
                status::write_json(&mut out, &components)?;
            } else {
                status::write_table(&mut out, &components)?;
            }
        }
    }
    Ok(())
}
