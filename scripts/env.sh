# SPDX-License-Identifier: GPL-2.0
# Shared paths for hasys scripts; sourced, not run. The Makefile exports the same names.
: "${HASYS_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/hasys}"
: "${KSRC:=$HASYS_CACHE/src/linux-7.2}"
: "${BINDGEN:=$HASYS_CACHE/cargo/bin/bindgen}"
: "${VNG:=$HASYS_CACHE/venv/bin/vng}"
: "${HASYS_FENCE_AGENTS:=$HASYS_CACHE/fence-agents}"
export HASYS_CACHE KSRC BINDGEN VNG HASYS_FENCE_AGENTS
