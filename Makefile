# lavacore — see README.md. `make deps test` is what CI runs.
GO        ?= go
BIN       := bin
PLUGINDIR := $(BIN)/plugins
FUZZTIME  ?= 10s
export GOFLAGS ?= -buildvcs=false
# Release binaries: no symbol table or DWARF (-s -w) and no build paths: about a
# third smaller, so a plugin's sha256 check before each start reads less.
# `make build BUILDFLAGS=` keeps the symbols (for a debugger).
BUILDFLAGS ?= -trimpath -ldflags=-s\ -w

.PHONY: all build plugins proto test unit lint bench fuzz deps demo clean

all: build

build:
	$(GO) build $(BUILDFLAGS) -o $(BIN)/lavacore ./cmd/lavacore
	@$(MAKE) --no-print-directory plugins

# Every plugin binary lives at plugins/<family>/cmd/lavacore-plugin-<family>/ (and protocols/*/cmd/…).
plugins:
	@mkdir -p $(PLUGINDIR)
	@for d in $$(ls -d plugins/*/cmd/lavacore-plugin-* protocols/*/cmd/lavacore-plugin-* 2>/dev/null); do \
		echo "build $$d"; $(GO) build $(BUILDFLAGS) -o $(PLUGINDIR)/$$(basename $$d) ./$$d || exit 1; done
	$(BIN)/lavacore plugins checksum $(PLUGINDIR)

# Regenerates sdk/internal/pb from sdk/internal/proto/lavacore.proto (Debian protoc, pinned
# protoc-gen-go/-grpc from go.mod's tool lines). The generated code is committed.
proto:
	bash scripts/proto.sh

# The README's test command is `make deps test`: unit tests, then everything gated on LAVACORE_LAB=1
# (virtual lab end to end, plugin processes, Debian's lava-coordinator), then a short fuzz pass.
test: build lint
	LAVACORE_LAB=1 LAVACORE_BIN=$(abspath $(BIN)) $(GO) test -count=1 -timeout 45m ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

unit:
	$(GO) test ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi

bench: build
	LAVACORE_BIN=$(abspath $(BIN)) $(GO) test -run '^$$' -bench . -benchmem -count 5 ./... | tee $(BIN)/bench.txt

# Runs every FuzzXxx target for FUZZTIME each; a failure fails (scripts/fuzz.sh says how).
fuzz:
	GO=$(GO) BIN=$(BIN) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

deps:
	bash scripts/deps.sh

# The README's first command: the founding job on the built-in virtual lab.
demo: build
	$(BIN)/lavacore lab up --boards 1
	$(BIN)/lavacore run examples/jobs/mustang-ssh-guest.yaml --lab $$($(BIN)/lavacore lab dir)

clean:
	rm -rf $(BIN)
