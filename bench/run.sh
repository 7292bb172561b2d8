#!/bin/sh
# bench/run.sh [MIRROR_DIR] — measures nginx-build's performance targets on
# real tarballs and prints a Markdown table (progress goes to stderr, so
# `bench/run.sh > bench/RESULTS.md` records just the results). Takes a few
# minutes: it compiles nginx 2×2 times. Exits 1 if a target is missed.
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

"$bin/bench" -nb "$bin/nginx-build" -mirror "$mirror"
