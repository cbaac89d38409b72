#!/usr/bin/env bash
# Cold build time of forge with and without the `query` feature (DataFusion): each a
# `cargo build` into an empty target directory, one after the other, with the same
# number of jobs. The registry is assumed downloaded (`cargo fetch`), so the figures are
# compile time only.
#
#   bench/build.sh [PROFILE] [JOBS]     (default: dev 2; PROFILE dev or release)
#
# Prints one line per build and writes $BENCH_OUT/build.md (default target/bench).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PROFILE=${1:-dev}
JOBS=${2:-2}
OUT=${BENCH_OUT:-target/bench}
mkdir -p "$OUT"
cargo fetch --locked >/dev/null
rows=()
for features in "" "query"; do
  dir=$(mktemp -d)
  t0=$(date +%s)
  cargo build --locked --profile "$PROFILE" -j "$JOBS" --target-dir "$dir" \
    ${features:+--features "$features"} >"$dir.log" 2>&1 || { tail -20 "$dir.log"; exit 1; }
  t=$(( $(date +%s) - t0 ))
  crates=$(grep -c '^ *Compiling ' "$dir.log" || true)
  rm -rf "$dir" "$dir.log"
  label=${features:-default}
  echo "cold build ($PROFILE, -j $JOBS), features ${label}: ${t}s, $crates crates"
  rows+=("| ${label} | $PROFILE | $JOBS | ${t} s | $crates |")
done
{
  echo "| features | profile | jobs | cold build | crates compiled |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$OUT/build.md"
cat "$OUT/build.md"
