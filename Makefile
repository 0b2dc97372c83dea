# lavacore — see README.md. `make deps test` is what CI runs.
GO        ?= go
BIN       := bin
PLUGINDIR := $(BIN)/plugins
FUZZTIME  ?= 10s
# make install: lavacore and its plugins in $(PREFIX)/lib/lavacore, linked from $(PREFIX)/bin as
# lavacore and lava-run (first on lava-worker's default PATH with the default /usr/local).
PREFIX    ?= /usr/local
LIBDIR    := $(DESTDIR)$(PREFIX)/lib/lavacore
BINDIR    := $(DESTDIR)$(PREFIX)/bin
export GOFLAGS ?= -buildvcs=false
# The Go toolchain go.mod needs: `go` on PATH when it is new enough, else the
# one `make deps` installs in /usr/local/go (scripts/go.sh), found at each
# command (after `make deps` in the same make).
MAKE_PATH := $(PATH)
export PATH = $(shell bash scripts/go.sh path)$(MAKE_PATH)
# lavacore --version: git describe and the commit (else the build info's).
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
# Release binaries: no symbol table or DWARF (-s -w) and no build paths: about a
# third smaller, so a plugin's sha256 check before each start reads less.
# `make build STRIP=` keeps the symbols (for a debugger).
STRIP     ?= -s -w
LDFLAGS   := $(STRIP) -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BUILDFLAGS ?= -trimpath


.PHONY: all build plugins proto test unit lint bench bench-lava fuzz deps demo clean install uninstall-lava-run

all: build

build:
	$(GO) build $(BUILDFLAGS) -ldflags "$(LDFLAGS)" -o $(BIN)/lavacore ./cmd/lavacore
	@$(MAKE) --no-print-directory plugins

# Every plugin binary lives at plugins/<family>/cmd/lavacore-plugin-<family>/ (and protocols/*/cmd/…).
plugins:
	@mkdir -p $(PLUGINDIR)
	@for d in $$(ls -d plugins/*/cmd/lavacore-plugin-* protocols/*/cmd/lavacore-plugin-* 2>/dev/null); do \
		echo "build $$d"; $(GO) build $(BUILDFLAGS) -ldflags "$(STRIP)" -o $(PLUGINDIR)/$$(basename $$d) ./$$d || exit 1; done
	$(BIN)/lavacore plugins checksum $(PLUGINDIR)

# Regenerates sdk/internal/pb from sdk/internal/proto/lavacore.proto (Debian protoc, pinned
# protoc-gen-go/-grpc from go.mod's tool lines). The generated code is committed.
proto:
	bash scripts/proto.sh

# The README's test command is `make deps test`: unit tests, then everything gated on LAVACORE_LAB=1
# (virtual lab end to end, plugin processes, Debian's lava-coordinator); then, after them (never
# beside the lab's tests: go test runs packages in parallel, and both use the lab and QEMU), lavacore
# under Debian's lava-server and lava-worker (internal/lavaservere2e, LAVACORE_LAVA_SERVER=1); then
# a short fuzz pass.
LAVASERVER_PKG := ./internal/lavaservere2e
test: build lint
	LAVACORE_LAB=1 LAVACORE_BIN=$(abspath $(BIN)) $(GO) test -count=1 -timeout 45m \
		$$($(GO) list ./... | grep -v '/internal/lavaservere2e$$')
	LAVACORE_LAB=1 LAVACORE_LAVA_SERVER=1 LAVACORE_BIN=$(abspath $(BIN)) $(GO) test -count=1 -timeout 30m $(LAVASERVER_PKG)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

unit:
	$(GO) test ./...

# examples/plugin-hello is a module of its own (go vet ./... does not reach it): built and vetted
# here against this checkout (its replace directive); run `go mod tidy` there when go.mod changes.
lint:
	$(GO) vet ./...
	cd examples/plugin-hello && $(GO) vet ./... && $(GO) build -o /dev/null .
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi

bench: build
	LAVACORE_BIN=$(abspath $(BIN)) $(GO) test -run '^$$' -bench . -benchmem -count 5 ./... | tee $(BIN)/bench.txt

# Debian's lava-run and lavacore alternately on the virtual lab's board-01, the single-node ramdisk
# and NFS jobs, cold and warm cache, BENCH_N repetitions: wall, board and overhead time, peak memory,
# medians and ratios (scripts/bench-lava.sh; root; LAB_LOCK=FILE: hold a shared machine's lab lock).
BENCH_N ?= 2
bench-lava: build
	bash scripts/bench-lava.sh -n $(BENCH_N)

# Runs every FuzzXxx target for FUZZTIME each; a failure fails (scripts/fuzz.sh says how).
fuzz:
	GO=$(GO) BIN=$(BIN) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

deps:
	bash scripts/deps.sh

# The README's first command: the founding job on the built-in virtual lab.
demo: build
	$(BIN)/lavacore lab up --boards 1
	$(BIN)/lavacore run examples/jobs/mustang-ssh-guest.yaml --lab $$($(BIN)/lavacore lab dir)

# Installs lavacore + plugins (with their recorded checksums and manifests) and the lava-run link
# lava-worker starts (docs/lava-server.md). The plugins sit beside the real binary, where
# lavacore looks for them whichever link started it.
install: build
	install -d $(LIBDIR)/plugins $(BINDIR)
	install -m 0755 $(BIN)/lavacore $(LIBDIR)/lavacore
	cp -p $(PLUGINDIR)/* $(LIBDIR)/plugins/
	ln -sfn ../lib/lavacore/lavacore $(BINDIR)/lavacore
	ln -sfn ../lib/lavacore/lavacore $(BINDIR)/lava-run

# Gives the worker back to LAVA's lava-run (/usr/bin/lava-run): removes only the link.
uninstall-lava-run:
	@if [ -L $(BINDIR)/lava-run ]; then rm $(BINDIR)/lava-run && echo "removed $(BINDIR)/lava-run"; fi

clean:
	rm -rf $(BIN)
