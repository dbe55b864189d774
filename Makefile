# SPDX-License-Identifier: GPL-2.0
#
# hasys top-level Makefile: `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

export HASYS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hasys
export KSRC ?= $(HASYS_CACHE)/src/linux-7.2
export BINDGEN ?= $(HASYS_CACHE)/cargo/bin/bindgen
export VNG ?= $(HASYS_CACHE)/venv/bin/vng
export HASYS_FENCE_AGENTS ?= $(HASYS_CACHE)/fence-agents
# One target directory per checkout: the crates under tools/ build the modules' pure
# files through #[path] from outside their package, and cargo's fingerprint of such a
# file names it by absolute path, so two checkouts sharing a target directory would
# reuse each other's builds of those files.
export CARGO_TARGET_DIR ?= $(HASYS_CACHE)/target/$(shell printf %s "$(CURDIR)" | md5sum | cut -c1-12)
# Debian's cargo and rustc (cargo-web, rustc-web), never a rustup toolchain on PATH.
# (Not CARGO: cargo exports that to what it runs.)
HASYS_CARGO ?= $(CURDIR)/scripts/cargo.sh

# The kernel build tree to build against. Default: the test kernel `make kernel` builds
# (computed once, lazily). Override with your own Rust-enabled build tree.
KDIR_ORIGIN := $(origin KDIR)
ifeq ($(KDIR_ORIGIN),undefined)
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

.PHONY: guards help setup kernel modules clippy lint fmt harness-unit userspace selftests vmtest check bench \
	check-harness check-boot check-fresh check-intree demo clean

help:
	@echo 'hasys: high-availability subsystem (Rust-for-Linux modules)'
	@echo
	@echo '  make demo          boot the test VM with hasys loaded and show what it does'
	@echo '  make check         the test suite: everything below, then the in-VM tests'
	@echo '  make bench         hwerr latency/throughput and hadetect error-to-isolation figures'
	@echo '                     on the bench kernel (no debug options) and the test kernel, one'
	@echo '                     VM run each; then cluster_msg against corosync on two VMs of the'
	@echo '                     bench kernel: failure detection, false positives, dying gasp,'
	@echo '                     and a panic into kdump (capture kernel, record, vmcore saved;'
	@echo '                     fence_hasys against fence_kdump); then P5, a kexec handoff'
	@echo '                     against a firmware reboot of one VM (figures, no pass/fail)'
	@echo
	@echo '  make setup         install the toolchain, kernel source, bindgen, virtme-ng'
	@echo '  make kernel        build (or reuse) the test kernel in $$HASYS_CACHE'
	@echo '  make modules       build the five modules (KDIR=<build tree> for your own kernel)'
	@echo '  make clippy        the modules again through clippy (CLIPPY=1), warnings as errors'
	@echo '  make guards        compile hwerr/sources.c and hadetect/isolate.c as for kernels'
	@echo '                     without MCE, GHES, RAS, memory failure, PCI or CPU hotplug'
	@echo '  make lint          rustfmt on the kernel Rust, version strings agree, no tracked build output'
	@echo '  make fmt           format all Rust: kernel (kernel .rustfmt.toml) and cargo'
	@echo '  make userspace     cargo fmt --check, clippy -D warnings and test on tools/; samples/hwerr'
	@echo '  make harness-unit  unit tests of the VM harness'"'"'s KTAP and kernel-log judging'
	@echo '  make selftests     build and stage selftests/ for the VM in $$OUT'
	@echo '  make vmtest        boot the test kernel, run KUnit + kselftests, judge the logs;'
	@echo '                     then a pair of VMs for the two-node cluster_msg tests'
	@echo '  make check-harness prove the harness fails: a deliberately failing test must fail it'
	@echo '  make check-fresh   make setup + make check in a pristine Debian bookworm chroot (~25 min);'
	@echo '                     COLD=1: CI'"'"'s .ci/run there, kernel built from scratch (~45 min)'
	@echo '  make check-boot    boot the test kernel BOOTS times (default 30); fail on any kernel report'
	@echo '  make check-intree  build the tree in-tree as drivers/ha/ of a kernel copy (~11 min)'
	@echo '  make clean         remove build products from the tree and $$OUT'
	@echo
	@echo 'Variables: KDIR=$(if $(filter undefined,$(KDIR_ORIGIN)),<the test kernel>,$(KDIR))'
	@echo '  HASYS_CACHE=$(HASYS_CACHE)  OUT=$(OUT)'
	@echo '  HASYS_SELFTEST_FAIL=1 adds a deliberately failing selftest'

setup:
	@scripts/setup.sh

kernel:
	@scripts/kernel.sh

# The samples are test fixtures: their own M= pass keeps them out of modules.order.
SAMPLE_MODS := samples/edac_testmc

modules:
	$(KMAKE) modules
	$(foreach s,$(SAMPLE_MODS),$(KMAKE) M=$(CURDIR)/$(s) modules &&) true

clippy:
	$(KMAKE) CLIPPY=1 modules

# The #ifdef branches of sources.c and isolate.c for kernels without those features.
guards:
	@scripts/check-guards.sh "$(OUT)/guards" $(KMAKE)

lint:
	@scripts/lint-tree.sh
	$(RUSTFMT) --check --edition 2021 --config-path $(KSRC)/.rustfmt.toml $(KERNEL_RS)
	@v=$$(cat VERSION); grep -q "^version = \"$$v\"" Cargo.toml || \
		{ echo "lint: Cargo.toml's version is not VERSION ($$v)"; exit 1; }

fmt:
	$(RUSTFMT) --edition 2021 --config-path $(KSRC)/.rustfmt.toml $(KERNEL_RS)
	$(HASYS_CARGO) fmt --all

userspace:
	$(HASYS_CARGO) fmt --all --check
	$(HASYS_CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(HASYS_CARGO) test --locked --workspace
	@mkdir -p $(OUT)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -Iinclude/uapi samples/hwerr/hwerr_watch.c \
		-o $(OUT)/hwerr_watch

harness-unit:
	cd scripts && python3 -m unittest -q test_vmtest

selftests:
	@scripts/stage-selftests.sh "$(OUT)/kselftest"

# hactl runs in the VM too (the hadetect selftests drive it).
vmtest: selftests
	$(HASYS_CARGO) build --locked -p hactl
	@HASYS_HACTL=$(CARGO_TARGET_DIR)/debug/hactl \
		scripts/vmtest.py --kdir "$(KDIR)" --out "$(OUT)" --mode test

# The last line of a complete run is vmtest's "N passed, N failed".
check: setup
	@$(MAKE) --no-print-directory kernel clippy modules guards lint harness-unit userspace vmtest

check-harness: setup kernel modules selftests
	@echo 'check-harness: HASYS_SELFTEST_FAIL=1: the canary selftest fails; the run must fail'
	@mkdir -p "$(OUT)/harness"
	@HASYS_SELFTEST_FAIL=1 HASYS_KSELFTEST_ARGS="-c harness" scripts/vmtest.py \
		--kdir "$(KDIR)" --out "$(OUT)/harness" --kselftest "$(OUT)/kselftest" --mode test \
		>"$(OUT)/harness/judge.txt"; rc=$$?; cat "$(OUT)/harness/judge.txt"; \
	if [ $$rc -ne 0 ] && grep -qF 'FAIL  harness/canary.sh: deliberate failure' "$(OUT)/harness/judge.txt" && \
		grep -q '^[0-9]* passed, 1 failed$$' "$(OUT)/harness/judge.txt"; then \
		echo 'check-harness: ok: the failing selftest failed the run'; \
	else echo "check-harness: FAIL: the run (exit $$rc) did not fail on the canary"; exit 1; fi

# A boot loop: BOOTS boots of the test kernel, each judged on its kernel log alone.
BOOTS ?= 30
check-boot: setup kernel
	@scripts/vmtest.py --kdir "$(KDIR)" --out "$(OUT)/boots" --mode boot --boots $(BOOTS) \
		--timeout 300

check-fresh: setup kernel
	@HASYS_FRESH_COLD=$(if $(COLD),1,0) scripts/check-fresh.sh

check-intree: setup kernel
	@scripts/check-intree.sh

demo: setup kernel modules
	$(HASYS_CARGO) build --locked --release -p hactl
	@HASYS_HACTL=$(CARGO_TARGET_DIR)/release/hactl \
		scripts/vmtest.py --kdir "$(KDIR)" --out "$(OUT)/demo" --mode demo

# The benchmark kernel: the test kernel's fragments without its debug options (its own
# cache key; `make check` never builds it). The modules are built for it in a copy of
# the tree, so the test kernel's modules here stay as they are.
BENCH_KDIR = $(eval BENCH_KDIR := $$(shell HASYS_FLAVOUR=bench scripts/kernel.sh --kdir))$(BENCH_KDIR)
BENCH_TREE = $(OUT)/bench-tree

bench: setup kernel modules
	@HASYS_FLAVOUR=bench scripts/kernel.sh
	@mkdir -p $(OUT) $(BENCH_TREE)
	@rsync -a --delete --exclude=/build --exclude=/.git --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' --exclude=modules.order \
		--exclude=Module.symvers ./ $(BENCH_TREE)/
	$(MAKE) --no-print-directory KDIR=$(BENCH_KDIR) -C $(BENCH_TREE) modules >$(OUT)/bench-modules.log
	$(CC) -std=gnu11 -O2 -Wall -Werror -pthread -Iinclude/uapi tools/bench/hwerr_bench.c \
		-o $(OUT)/hwerr_bench
	$(CC) -std=gnu11 -O2 -Wall -Werror -pthread -Iinclude/uapi tools/bench/hadetect_bench.c \
		-o $(OUT)/hadetect_bench
	$(HASYS_CARGO) build --locked -p hactl
	@scripts/stage-selftests.sh "$(OUT)/bench-kselftest"
	@echo '=== bench kernel (no KASAN, lockdep, kmemleak): $(BENCH_KDIR)'
	@HASYS_BENCH=$(OUT)/hwerr_bench HASYS_HADETECT_BENCH=$(OUT)/hadetect_bench \
		scripts/vmtest.py --kdir "$(BENCH_KDIR)" \
		--moddir $(BENCH_TREE) --out "$(OUT)/bench-fast" --mode bench
	@echo '=== test kernel (KASAN, lockdep, kmemleak): $(KDIR)'
	@HASYS_BENCH=$(OUT)/hwerr_bench HASYS_HADETECT_BENCH=$(OUT)/hadetect_bench \
		scripts/vmtest.py --kdir "$(KDIR)" --out "$(OUT)/bench" --mode bench
	@echo '=== cluster_msg against corosync, two VMs, bench kernel (no KASAN, lockdep, kmemleak): $(BENCH_KDIR)'
	@HASYS_HACTL=$(CARGO_TARGET_DIR)/debug/hactl scripts/vmtest.py --kdir "$(BENCH_KDIR)" \
		--moddir $(BENCH_TREE) --kselftest "$(OUT)/bench-kselftest" --out "$(OUT)/bench-cluster" \
		--mode cluster-bench
	@echo '=== P5: a kexec handoff against a firmware reboot, one VM, bench kernel: $(BENCH_KDIR)'
	@HASYS_HACTL=$(CARGO_TARGET_DIR)/debug/hactl scripts/vmtest.py --kdir "$(BENCH_KDIR)" \
		--moddir $(BENCH_TREE) --kselftest "$(OUT)/bench-kselftest" --out "$(OUT)/bench-handoff" \
		--mode handoff-bench

clean:
	-$(KMAKE) clean
	rm -rf "$(OUT)"
