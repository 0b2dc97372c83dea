# lavacore — see README.md. `make deps test` is what CI runs.
GO        ?= go
BIN       := bin
PLUGINDIR := $(BIN)/plugins
FUZZTIME  ?= 10s
export GOFLAGS ?= -buildvcs=false

.PHONY: all build plugins proto test unit lint bench fuzz deps demo clean

all: build

build:
	$(GO) build -o $(BIN)/lavacore ./cmd/lavacore
	@$(MAKE) --no-print-directory plugins

# Every plugin binary lives at plugins/<family>/cmd/lavacore-plugin-<family>/ (and protocols/*/cmd/…).
plugins:
	@mkdir -p $(PLUGINDIR)
	@for d in $$(ls -d plugins/*/cmd/lavacore-plugin-* protocols/*/cmd/lavacore-plugin-* 2>/dev/null); do \
		echo "build $$d"; $(GO) build -o $(PLUGINDIR)/$$(basename $$d) ./$$d || exit 1; done
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

# Runs every FuzzXxx target for FUZZTIME each.
fuzz:
	@mkdir -p $(BIN)
	@for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			before=$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | wc -l); \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >$(BIN)/fuzz.log 2>&1 || { \
				tail -20 $(BIN)/fuzz.log; \
				if [ "$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | wc -l)" != "$$before" ]; then \
					echo "FAIL fuzz $$pkg $$f: a new failing input is in $$dir/testdata/fuzz/$$f/"; exit 1; fi; \
				echo "fuzz $$pkg $$f: the fuzzing engine failed without a failing input (above); once more"; \
				$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >$(BIN)/fuzz.log 2>&1 || { \
					tail -40 $(BIN)/fuzz.log; echo "FAIL fuzz $$pkg $$f"; exit 1; }; }; \
		done; done

deps:
	bash scripts/deps.sh

# The README's first command: the founding job on the built-in virtual lab.
demo: build
	$(BIN)/lavacore lab up --boards 1
	$(BIN)/lavacore run examples/jobs/mustang-ssh-guest.yaml --lab $$($(BIN)/lavacore lab dir)

clean:
	rm -rf $(BIN)
