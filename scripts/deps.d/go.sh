#!/usr/bin/env bash
# make deps: the Go toolchain go.mod names, in /usr/local/go, when no go on
# PATH is new enough (Debian 12's golang is too old). It comes from the Go
# module proxy (the golang.org/toolchain module GOTOOLCHAIN uses), checked
# against the checksum database: see scripts/go.sh.
set -euo pipefail
exec bash "$(dirname "$0")/../go.sh" install
