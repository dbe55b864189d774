# SPDX-License-Identifier: GPL-2.0
#
# hasys top-level Makefile: `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

export HASYS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hasys
export KSRC ?= $(HASYS_CACHE)/src/linux-7.2
export BINDGEN ?= $(HASYS_CACHE)/cargo/bin/bindgen
export VNG ?= $(HASYS_CACHE)/venv/bin/vng
export CARGO_TARGET_DIR ?= $(HASYS_CACHE)/target

# The kernel build tree to build against. Default: the test kernel `make kernel` builds
# (computed once, lazily). Override with your own Rust-enabled build tree.
ifeq ($(origin KDIR),undefined)
KDIR = $(eval KDIR := $$(shell scripts/kernel.sh --kdir))$(KDIR)
endif

LLVM ?= -19
RUSTC ?= /usr/bin/rustc
CLIPPY_DRIVER ?= /usr/bin/clippy-driver
RUSTFMT ?= /usr/bin/rustfmt
# W=e: warnings are errors, C and Rust, whatever the kernel's CONFIG_WERROR says.
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) RUSTC=$(RUSTC) HOSTRUSTC=$(RUSTC) \
	CLIPPY_DRIVER=$(CLIPPY_DRIVER) BINDGEN=$(BINDGEN) W=e

# Where the VM test run puts its results and logs.
OUT ?= $(CURDIR)/build

KERNEL_RS := $(shell find hwerr hadetect cluster_msg kexec_handoff crashdump include samples \
		-name '*.rs' 2>/dev/null)

.PHONY: help setup kernel modules clippy lint userspace selftests vmtest check \
	check-harness demo clean

help:
	@echo 'hasys: high-availability subsystem (Rust-for-Linux modules)'
	@echo
	@echo '  make demo          boot the test VM with hasys loaded and show what it does'
	@echo '  make check         the test suite: everything below, then the in-VM tests'
	@echo
	@echo '  make setup         install the toolchain, kernel source, bindgen, virtme-ng'
	@echo '  make kernel        build (or reuse) the test kernel in $$HASYS_CACHE'
	@echo '  make modules       build the five modules (KDIR=<build tree> for your own kernel)'
	@echo '  make clippy        the modules again through clippy (CLIPPY=1), warnings as errors'
	@echo '  make lint          rustfmt on the kernel Rust, version strings agree'
	@echo '  make userspace     cargo fmt --check, clippy -D warnings and test on tools/'
	@echo '  make selftests     build and stage selftests/ for the VM in $$OUT'
	@echo '  make vmtest        boot the test kernel, run KUnit + kselftests, judge the logs'
	@echo '  make check-harness prove the harness fails: a deliberately failing test must fail it'
	@echo '  make clean         remove build products from the tree and $$OUT'
	@echo
	@echo 'Variables: KDIR=$(if $(filter undefined,$(origin KDIR)),<test kernel>,$(KDIR))'
	@echo '  HASYS_CACHE=$(HASYS_CACHE)  OUT=$(OUT)'
	@echo '  HASYS_SELFTEST_FAIL=1 adds a deliberately failing selftest'

setup:
	@scripts/setup.sh

kernel:
	@scripts/kernel.sh

modules:
	$(KMAKE) modules

clippy:
	$(KMAKE) CLIPPY=1 modules

lint:
	$(RUSTFMT) --check --edition 2021 --config-path $(KSRC)/.rustfmt.toml $(KERNEL_RS)
	@v=$$(cat VERSION); grep -q "^version = \"$$v\"" Cargo.toml || \
		{ echo "lint: Cargo.toml's version is not VERSION ($$v)"; exit 1; }

userspace:
	cargo fmt --all --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo test --locked --workspace

selftests:
	@scripts/stage-selftests.sh "$(OUT)/kselftest"

vmtest: selftests
	@scripts/vmtest.py --kdir "$(KDIR)" --out "$(OUT)" --mode test

check: setup
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory kernel modules clippy lint userspace vmtest && \
	echo "make check: done in $$(( $$(date +%s) - start )) s"

check-harness: setup kernel modules selftests
	@echo 'check-harness: running the VM tests with HASYS_SELFTEST_FAIL=1; they must fail'
	@if HASYS_SELFTEST_FAIL=1 scripts/vmtest.py --kdir "$(KDIR)" --out "$(OUT)/harness" \
		--mode test; then \
		echo 'check-harness: FAIL: the harness passed a run with a failing test'; exit 1; \
	else echo 'check-harness: ok: the failing selftest failed the run'; fi

demo: setup kernel modules
	@scripts/vmtest.py --kdir "$(KDIR)" --out "$(OUT)/demo" --mode demo

clean:
	-$(KMAKE) clean
	rm -rf "$(OUT)"
