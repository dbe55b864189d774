#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's cargo (cargo-web) with Debian's rustc-web, whatever else the machine has on
# PATH (a rustup install puts its proxies first). Userspace crates and `cargo install
# bindgen-cli` build with the toolchain `make setup` installed, the same rustc that
# builds the kernel's Rust, on a plain Debian bookworm machine as on one with rustup.
#
# CARGO_HOME in $HASYS_CACHE: cargo looks for subcommands (cargo-clippy, cargo-fmt) in
# $CARGO_HOME/bin before PATH, and ~/.cargo/bin holds rustup's proxies.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/env.sh
. "$here/env.sh"
export PATH="/usr/bin:$PATH"
export CARGO_HOME="$HASYS_CACHE/cargo-home"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER
exec /usr/bin/cargo "$@"
