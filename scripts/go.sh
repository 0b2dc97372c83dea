#!/usr/bin/env bash
# scripts/go.sh: the Go toolchain go.mod needs.
#   go.sh check    exit 0 when `go` on PATH (or /usr/local/go/bin/go) is new enough
#   go.sh path     print "/usr/local/go/bin:" when that one must come first on PATH (the Makefile's PATH)
#   go.sh install  install go.mod's version into /usr/local/go from the Go module proxy
#                  (golang.org/toolchain, checked against sum.golang.org), unless a new enough go is there
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
want=$(awk '$1 == "go" {print $2; exit}' "$here/go.mod")
local_go=/usr/local/go/bin/go

# version_of GO: its version, "1.26.8" ("" when it does not run)
version_of() { "$1" env GOVERSION 2>/dev/null | sed 's/^go//' || true; }
# new_enough V: V >= want (dotted numbers)
new_enough() {
	[ -n "$1" ] || return 1
	[ "$(printf '%s\n%s\n' "$want" "$1" | sort -V | head -n1)" = "$want" ]
}
# unhex: hexadecimal on stdin to bytes on stdout
unhex() { local h; read -r h; printf "$(printf '%s' "$h" | sed 's/../\\x&/g')"; }
path_go() { command -v go 2>/dev/null || true; }

case "${1:-check}" in
check)
	g=$(path_go)
	if [ -n "$g" ] && new_enough "$(version_of "$g")"; then exit 0; fi
	[ -x "$local_go" ] && new_enough "$(version_of "$local_go")"
	;;
path)
	g=$(path_go)
	if [ -n "$g" ] && new_enough "$(version_of "$g")"; then exit 0; fi
	if [ -x "$local_go" ] && new_enough "$(version_of "$local_go")"; then printf '%s' "/usr/local/go/bin:"; fi
	;;
install)
	if bash "$0" check; then
		echo "deps/go: $(PATH="$(bash "$0" path)$PATH" go version)"
		exit 0
	fi
	SUDO=""
	if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
	case "$(uname -m)" in
	x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) echo "deps/go: no Go toolchain for $(uname -m): install go $want yourself" >&2; exit 1 ;;
	esac
	mod="golang.org/toolchain@v0.0.1-go$want.linux-$arch"
	proxy=${GOPROXY:-https://proxy.golang.org}
	proxy=${proxy%%[,|]*}
	[ "$proxy" != direct ] && [ "$proxy" != off ] || proxy=https://proxy.golang.org
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	echo "deps/go: go $want is missing (Debian 12's golang is too old): fetching $mod from $proxy"
	curl -fsSL --retry 3 -o "$tmp/go.zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$want.linux-$arch.zip"
	# the checksum database's hash of the module (dirhash h1: sha256 over the
	# sorted "sha256  name" lines of its files), as the go command checks it
	# (through the proxy's sumdb endpoint, else sum.golang.org itself)
	sum=$({ curl -fsSL --retry 3 "$proxy/sumdb/sum.golang.org/lookup/$mod" ||
		curl -fsSL --retry 3 "https://sum.golang.org/lookup/$mod"; } |
		awk -v m="golang.org/toolchain" -v v="v0.0.1-go$want.linux-$arch" '$1 == m && $2 == v {print $3; exit}')
	mkdir "$tmp/x"
	(cd "$tmp/x" && unzip -q ../go.zip)
	got="h1:$(cd "$tmp/x" && find golang.org -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum |
		sha256sum | cut -d' ' -f1 | unhex | base64)"
	if [ -z "$sum" ] || [ "$got" != "$sum" ]; then
		echo "deps/go: $mod: checksum $got, sum.golang.org says ${sum:-nothing}: not installed" >&2
		exit 1
	fi
	root="$tmp/x/$mod"
	# module zips do not keep the executable bit (the go command sets it the same way)
	chmod +x "$root"/bin/* "$root"/pkg/tool/*/*
	$SUDO rm -rf /usr/local/go.new
	$SUDO mv "$root" /usr/local/go.new
	$SUDO chown -R 0:0 /usr/local/go.new
	$SUDO rm -rf /usr/local/go
	$SUDO mv /usr/local/go.new /usr/local/go
	echo "deps/go: installed $(/usr/local/go/bin/go version) in /usr/local/go (the Makefile uses it; add /usr/local/go/bin to your PATH for go itself)"
	;;
*)
	echo "usage: scripts/go.sh check|path|install" >&2
	exit 2
	;;
esac
