#!/usr/bin/env bash
# forge's Iceberg path rewriter side by side with the Python reference rewriter
# (../shared/bench/py_rewrite.py: json + fastavro), on a table with 200 snapshots and a
# 50,000-entry manifest, in one hyperfine run. Needs pyiceberg/fastavro from
# scripts/install-test-servers.sh and hyperfine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FORGE=$(realpath "${1:-target/release/forge}")
CACHE=${FORGE_CACHE:-$HOME/.cache/forge}
export PYTHONPATH=$CACHE/servers/pyiceberg-0.12.0
REF=${PY_REWRITE:-../shared/bench/py_rewrite.py}
OUT=${BENCH_OUT:-target/bench}
mkdir -p "$OUT"
# On tmpfs by default: this VM's disk makes creating the 600 output files cost ~0.45 s of
# kernel time whatever the tool (`cp -r` of the metadata alone takes that), which would
# measure the disk rather than the rewriters. BENCH_TMP=/tmp measures on disk.
work=$(mktemp -d -p "${BENCH_TMP:-/dev/shm}")
trap 'rm -rf "$work"' EXIT
info=$(python3 bench/gen_rewrite_table.py "$work/wh")
loc=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["location"])' "$info")
dir=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["dir"])' "$info")
echo "table: $loc ($(ls "$dir/metadata" | wc -l) metadata files, $(du -sh "$dir/metadata" | cut -f1))"
hyperfine --warmup 1 --runs 10 --export-markdown "$OUT/rewrite.md" \
  --prepare "rm -rf $work/out-forge $work/out-py" \
  "$FORGE iceberg rewrite-paths --from $loc --to s3://cloud-bucket/bench/big --in $dir --out $work/out-forge" \
  "python3 $REF $loc s3://cloud-bucket/bench/big $dir $work/out-py"
rm -rf "$work/out-forge" "$work/out-py"
/usr/bin/time -f "forge: peak RSS %M KiB, CPU %U s user + %S s sys" "$FORGE" iceberg rewrite-paths --from "$loc" --to s3://cloud-bucket/bench/big --in "$dir" --out "$work/out-forge" 2>&1 >/dev/null | tail -1
/usr/bin/time -f "python reference: peak RSS %M KiB, CPU %U s user + %S s sys" python3 "$REF" "$loc" s3://cloud-bucket/bench/big "$dir" "$work/out-py" 2>&1 >/dev/null | tail -1
