#!/bin/sh
# bench/run.sh [MIRROR_DIR] — measures nginx-build's performance targets on
# real tarballs and prints a Markdown table (progress goes to stderr, so
# `bench/run.sh > bench/RESULTS.md` records just the results). Takes about
# 25 minutes on 2 cores: it compiles nginx 15 times, 7 of them with a static
# OpenSSL (3.0 and 3.5). Exits 1 if a target is missed. Flags after the
# mirror dir go to bench/main.go (e.g. -static 3.0.20 -remote=false).
#
# MIRROR_DIR (default testdata/e2e-mirror) holds the real tarballs; it is
# created with scripts/e2e-mirror.sh if missing or incomplete.
set -eu
mirror=${1:-}
case $mirror in
"" | /*) ;;
*) mirror=$(pwd)/$mirror ;; # relative to where we were called from
esac
cd "$(dirname "$0")/.."
mirror=${mirror:-testdata/e2e-mirror}

# A no-op when the mirror is complete; otherwise downloads it via apt.
./scripts/e2e-mirror.sh "$mirror" >&2

# Measure a freshly built binary of this tree, not whatever is on $PATH.
# (The bench is built rather than `go run` so its exit status comes through.)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/nginx-build" .
go build -o "$bin/bench" ./bench

shift $(($# > 0 ? 1 : 0))
"$bin/bench" -nb "$bin/nginx-build" -mirror "$mirror" "$@"
