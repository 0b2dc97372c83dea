#!/usr/bin/env bash
# make proto: regenerate sdk/internal/pb from sdk/internal/proto/lavacore.proto
# with Debian's protoc (protobuf-compiler) and the protoc-gen-go /
# protoc-gen-go-grpc pinned as `tool` lines in go.mod. The generated code is
# committed; builds never need protoc.
#   PROTO_OUT=DIR  write the generated files to DIR instead (the currency test uses it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${PROTO_OUT:-sdk/internal/pb}
command -v protoc >/dev/null || { echo "proto.sh: protoc not found (apt-get install protobuf-compiler, or make deps)" >&2; exit 1; }
gen_go=$(go tool -n protoc-gen-go)
gen_grpc=$(go tool -n protoc-gen-go-grpc)
mkdir -p "$out"
protoc -I sdk/internal/proto \
	--plugin=protoc-gen-go="$gen_go" \
	--plugin=protoc-gen-go-grpc="$gen_grpc" \
	--go_out="$out" --go_opt=paths=source_relative \
	--go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
	lavacore.proto
echo "proto.sh: $(protoc --version) → $out"
