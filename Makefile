# berth: build, run the example, test, benchmark.
#   make run    install what is missing, build, and run spec-examples/hello
#   make test   the same set-up, then every test (unit, integration, CLI contract)
#   make bench  berth against the floor (../shared/tools/floor), crun and runc on one bundle
#   make gap    where berth's CPU goes beyond the floor's, kind of work by kind (perf)
#   make e2e    podman, containerd, Docker and the Kubernetes CRI driving berth end to end
#               (E2E_RUNTIME=/usr/sbin/runc runs the same checks against runc)
#   make fuzz   each libFuzzer target for FUZZ_TIME seconds (or FUZZ_RUNS inputs)
#   make soak   1,000 sequential run + 1,000 create/start/delete, host checked after

SWIFT      ?= swift
BUILD_DIR  := .build
RELEASE    := $(BUILD_DIR)/release
BERTH      := $(abspath $(RELEASE)/berth)
ROOTFS     := $(abspath build/rootfs)
STATE_ROOT ?= /run/berth
# criu, tar, iptables and iproute2: checkpoint/restore (run in the cgroup v2 VM, scripts/checkpoint-guest.sh).
APT_PKGS   := busybox-static libseccomp-dev libcap-dev zlib1g-dev libzstd-dev pkg-config uidmap golang-github-containers-common python3 \
	criu tar iptables iproute2
# for the end-to-end tests (scripts/e2e-*.sh); installed without recommends. Docker 20.10
# (docker.io); the CRI client's gRPC and protobuf for Debian's python3 (scripts/e2e-cri.py).
E2E_APT_PKGS := podman conmon containernetworking-plugins containerd iptables nftables iproute2 \
	docker.io python3-grpcio python3-protobuf
E2E_RUNTIME ?= $(BERTH)

.PHONY: all deps e2e-deps build examples run test test-v2 unit-test integration-test e2e bench gap clean docs warnings lint format \
	fuzz fuzz-build fuzz-short soak

all: build

deps:
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Services the packages bring (dockerd, containerd) are not started by the install: the
# tests start private ones, and a host-wide dockerd would change the host's network. Where
# no policy-rc.d says so already, one is in place for the install only.
e2e-deps:
	@missing=""; for p in $(E2E_APT_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then policy=/usr/sbin/policy-rc.d; \
	    printf '#!/bin/sh\nexit 101\n' > $$policy; chmod 755 $$policy; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  rc=$$?; [ -z "$$policy" ] || rm -f $$policy; exit $$rc; \
	fi

# Concrete type metadata through accessor functions instead of mangled names: the runtime
# then never demangles a type name to build its metadata (exec did it 43 times, run 67),
# which cost `state` 14% of its instructions (README, Performance). A command-line flag
# rather than a Package.swift setting, so that packages depending on Berth never see
# unsafe flags.
PERF_FLAGS := -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors

# The functions the hot paths run, laid out together (scripts/hotorder.sh writes the list
# and the linker script): each in a section of its own, placed by lld in the list's order
# (those no symbol can name by scripts/hot-sections.ld), with the segments aligned to 2 MB
# so that scripts/hugetext.py can map the first 2 MB of text, the hot functions, as one
# 2 MB page: a command maps that page instead of four. scripts/data-layout.ld puts the data
# every command reads together (README, Performance).
LAYOUT_FLAGS := -Xswiftc -Xfrontend -Xswiftc -function-sections -Xswiftc -use-ld=lld \
	-Xlinker --symbol-ordering-file=$(CURDIR)/scripts/hot-order.txt -Xlinker --no-warn-symbol-ordering \
	-Xlinker -T -Xlinker $(CURDIR)/scripts/hot-sections.ld -Xlinker -T -Xlinker $(CURDIR)/scripts/data-layout.ld \
	-Xlinker -z -Xlinker max-page-size=0x200000

# One fully static executable: the Swift runtime, Foundation Essentials, libseccomp and
# libcap are all linked in.
build: deps
	@# The layout files are no input SwiftPM knows of: a newer one makes berth link again.
	@for f in scripts/hot-order.txt scripts/hot-sections.ld scripts/data-layout.ld; do [ ! $$f -nt $(BERTH) ] || rm -f $(BERTH); done
	$(SWIFT) build -c release $(PERF_FLAGS) $(LAYOUT_FLAGS) --static-swift-stdlib -Xswiftc -static-executable --product berth
	@ldd $(BERTH) 2>&1 | grep -q "not a dynamic executable" || { echo "berth is not static"; exit 1; }
	@# A hot list gone stale costs memory, not correctness: say so when a tenth of its names are gone.
	@gone=$$(nm $(BERTH) | awk 'NR == FNR { have[$$3] = 1; next } !($$0 in have)' - scripts/hot-order.txt | wc -l); \
	  total=$$(wc -l < scripts/hot-order.txt); \
	  [ $$((gone * 10)) -le $$total ] || echo "make: $$gone of the $$total functions in scripts/hot-order.txt are gone from berth: run sh scripts/hotorder.sh $(BERTH) $(ROOTFS) (README, Performance)"
	@python3 scripts/hugetext.py $(BERTH)
	$(SWIFT) build -c release $(PERF_FLAGS) --product berth-embed-example

examples: deps
	@sh scripts/mkrootfs.sh $(ROOTFS) >/dev/null
	@for d in spec-examples/*/; do [ -f $$d/config.json ] && sh scripts/mkrootfs.sh $$d/rootfs >/dev/null; done; true
	@# The userns example's rootfs belongs to its mapped root (host uid 100000).
	@mkdir -p spec-examples/userns/rootfs/home/user && chown -R 100000:100000 spec-examples/userns/rootfs \
	  && chown 101000:100000 spec-examples/userns/rootfs/home/user

run: build examples
	$(BERTH) --root $(STATE_ROOT) run --bundle spec-examples/hello hello-$$$$

# Zero compiler warnings: every target and test target is built, and a warning from
# berth's own files (Sources, Tests, spec-examples, Fuzz) fails. CI builds from a fresh
# clone, so every file is compiled and every warning printed; locally, files compiled
# earlier are not recompiled and their warnings not repeated.
warnings: deps
	@mkdir -p build
	@{ $(SWIFT) build --build-tests 2>&1; echo $$? > build/warnings.rc; } | tee build/warnings.log
	@[ "$$(cat build/warnings.rc)" = 0 ] || exit 1
	@if grep -E "^$(CURDIR)/[^ ]*: warning:" build/warnings.log | grep -v "/.build/" | sort -u | grep .; then \
	  echo "make: the compiler warnings above fail the build"; exit 1; fi

# The code's format, as .swift-format says (swift-format ships with the toolchain):
# `make format` rewrites the files, `make lint` (part of `make test`) fails on any
# difference or rule finding.
LINT_PATHS = Sources Tests Fuzz spec-examples
lint:
	$(SWIFT) format lint --strict --configuration .swift-format -r $(LINT_PATHS)

format:
	$(SWIFT) format format --configuration .swift-format -i -r $(LINT_PATHS)

unit-test: deps
	$(SWIFT) test --skip BerthIntegrationTests

integration-test: build examples
	BERTH_BIN=$(BERTH) BERTH_ROOTFS=$(ROOTFS) $(SWIFT) test --filter BerthIntegrationTests

test: build lint warnings examples e2e-deps
	BERTH_BIN=$(BERTH) BERTH_ROOTFS=$(ROOTFS) BERTH_BINARY=$(BERTH) $(SWIFT) test
	@$(MAKE) --no-print-directory fuzz-short
	sh scripts/soak.sh $(BERTH) $(ROOTFS) 100
	sh scripts/cgroup-v2-tests.sh $(BERTH) $(ROOTFS)
	@$(call e2e_run,$(BERTH))

# podman (conmon, CNI bridge), containerd (ctr, runc v2 shim), Docker (dockerd 20.10) and
# the Kubernetes CRI (containerd's CRI plugin, called over gRPC) driving berth; every suite
# runs, and the target fails if any does. Part of `make test`.
e2e: build examples e2e-deps
	@$(call e2e_run,$(E2E_RUNTIME))

e2e_run = rc=0; for s in podman containerd docker cri; do \
	bash scripts/e2e-$$s.sh $(1) $(ROOTFS) || rc=1; done; exit $$rc

# cgroup v2 on a real v2 kernel in QEMU (../shared/tools/cg2vm); part of `make test`.
test-v2: build examples
	sh scripts/cgroup-v2-tests.sh $(BERTH) $(ROOTFS)

bench: build examples
	BERTH=$(BERTH) ROOTFS=$(ROOTFS) sh scripts/bench.sh
	sh scripts/cgroup-cost.sh $(BERTH) spec-examples/limits 20
	BENCH_V2=1 sh scripts/cgroup-v2-tests.sh $(BERTH) $(ROOTFS)

gap: build
	BERTH=$(BERTH) sh scripts/gap.sh

# Fuzzing (Fuzz/BerthFuzz): every target, libFuzzer-instrumented, in a build directory of
# its own (the release berth is never built with it). New inputs go to .build/fuzz/corpus;
# Fuzz/corpus holds the committed seeds. FUZZ_RUNS=1000000 runs that many inputs per
# target instead of FUZZ_TIME seconds.
FUZZ_BUILD   := $(BUILD_DIR)/fuzz
FUZZ_TIME    ?= 60
FUZZ_RUNS    ?=
FUZZ_TARGETS := config process resources mount-options seccomp cgroup-path passwd state
FUZZ_LIMIT    = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_TIME))

fuzz-build: deps
	$(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --product berth-fuzz \
	  -Xswiftc -sanitize=fuzzer -Xswiftc -DBERTH_LIBFUZZER -Xswiftc -use-ld=lld

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  BERTH_FUZZ_TARGET=$$t SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)/release/berth-fuzz $(FUZZ_LIMIT) \
	    -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- $(FUZZ_BUILD)/corpus/$$t Fuzz/corpus/$$t \
	    > $(FUZZ_BUILD)/fuzz-$$t.log 2>&1; rc=$$?; \
	  echo "fuzz $$t: exit $$rc, $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_BUILD)/fuzz-$$t.log) inputs, corpus $$(ls $(FUZZ_BUILD)/corpus/$$t | wc -l) (log $(FUZZ_BUILD)/fuzz-$$t.log)"; \
	  [ $$rc -eq 0 ] || { grep -E "ERROR|SUMMARY|Test unit written" $(FUZZ_BUILD)/fuzz-$$t.log; exit 1; }; \
	done; echo "fuzz: no crash, trap or hang"

# The short pass of `make test`: the replay driver (a normal build) runs the seeds and 300
# deterministic mutations of each through every target.
fuzz-short: deps
	$(SWIFT) build --product berth-fuzz
	@for t in $(FUZZ_TARGETS); do $(BUILD_DIR)/debug/berth-fuzz $$t --mutate 300 Fuzz/corpus/$$t || exit 1; done

soak: build examples
	sh scripts/soak.sh $(BERTH) $(ROOTFS) 1000

clean:
	rm -rf $(BUILD_DIR) build spec-examples/*/rootfs

# DocC documentation of the Berth and BerthAsync libraries (swift-docc-plugin), into
# build/docs/{Berth,BerthAsync}; any DocC warning fails the target.
docs:
	@mkdir -p build/docs
	for t in Berth BerthAsync; do \
	  $(SWIFT) package --allow-writing-to-directory build/docs generate-documentation --target $$t \
	    --output-path build/docs/$$t --include-extended-types --warnings-as-errors --transform-for-static-hosting || exit 1; done
