#!/bin/sh
# livekit.sh builds LiveKit's server at its release tag, from its module
# source as the Go module proxy serves it, with CGO_ENABLED=0, for the
# fan-out scenario's side-by-side (deploy/local/bench.sh, SERVERS=…livekit).
# Prints the binary's path (var/livekit/livekit-server-<version>).
# Idempotent: a binary that reports the version is kept; the Go module
# and build caches make a rebuild quick (the first build here took 3.5
# minutes, mostly downloads). LIVEKIT_VERSION picks another tag.
set -eu
cd "$(dirname "$0")/../.."
version="${LIVEKIT_VERSION:-v1.13.5}"
bin="$PWD/var/livekit/livekit-server-$version"
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qx "livekit-server version ${version#v}"; then
	echo "$bin"
	exit 0
fi
mkdir -p var/livekit
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# go install pkg@version builds outside this module (no replace directives
# in LiveKit's go.mod, so this is its own dependency graph, untouched).
echo "livekit: building livekit-server $version (CGO_ENABLED=0)" >&2
CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-mod=mod nice -n 19 go install "github.com/livekit/livekit-server/cmd/server@$version" >&2
mv "$tmp/server" "$bin"
"$bin" --version >&2
echo "$bin"
