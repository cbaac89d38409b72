#!/usr/bin/env bash
# forge's benchmark of `forge query`: a count over the demo table (the penguins forge
# wrote into the Polaris stand-in) with `forge query`, side by side with DuckDB doing the
# same count through the same catalog as the seed's `catalog query` did (the iceberg
# extension ATTACHed to Polaris, S3 keys in a secret), in one hyperfine run. Both are
# whole processes from start to printed rows: authenticate, load the table, read Parquet.
#
#   bench/query.sh [FORGE_BIN]     (default target/release/forge, built with
#                                   `cargo build --release --features query`)
#
# Starts s3s-fs and the Polaris stand-in (tests/peers/polaris-stand-in.sh); needs
# hyperfine and scripts/install-test-servers.sh (s3s-fs, duckdb 1.5.5 with its extensions).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FORGE=$(realpath "${1:-target/release/forge}")
CACHE=${FORGE_CACHE:-$HOME/.cache/forge}
S3S=$CACHE/servers/s3s-fs-0.14.1/bin/s3s-fs
PY=$CACHE/servers/pyiceberg-0.12.0
OUT=${BENCH_OUT:-target/bench}
RUNS=${RUNS:-20}
mkdir -p "$OUT"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

s3_port=$(free_port)
mkdir -p "$work/s3"
"$S3S" --host 127.0.0.1 --port "$s3_port" --access-key benchak --secret-key benchsk "$work/s3" >"$work/s3s.log" 2>&1 &
pids+=($!)
p_port=$(free_port)
tests/peers/polaris-stand-in.sh --port "$p_port" --realm BENCH --root root:benchsecret \
  --s3-endpoint "http://127.0.0.1:$s3_port" --s3-access-key benchak --s3-secret-key benchsk >"$work/polaris.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do grep -q '^ready ' "$work/polaris.log" && break; sleep 0.2; done
grep -q '^ready ' "$work/polaris.log" || { cat "$work/polaris.log"; exit 1; }

export BENCH_S3_KEY=benchak BENCH_S3_SECRET=benchsk BENCH_ROOT=benchsecret
mkdir -p "$work/p"
cat > "$work/p/forge.yaml" <<YAML
version: 1
project: bench
stores: [{name: local, endpoint: "http://127.0.0.1:$s3_port", access_key: {env: BENCH_S3_KEY}, secret_key: {env: BENCH_S3_SECRET}}]
catalog:
  url: http://127.0.0.1:$p_port
  realm: BENCH
  client_secret: {env: BENCH_ROOT}
  catalogs: [{name: polardb}]
  namespaces: [{catalog: polardb, name: wildlife}]
  tables: [{catalog: polardb, namespace: wildlife, name: penguins, dataset: penguins}]
YAML
"$FORGE" -f "$work/p/forge.yaml" apply --auto-approve >/dev/null
sql="SELECT count(*) FROM wildlife.penguins"
"$FORGE" -f "$work/p/forge.yaml" query --csv "$sql"
duck_args=$(python3 -c 'import json,sys; print(json.dumps({"uri": sys.argv[1], "catalog": "polardb", "client_id": "root", "client_secret": "benchsecret", "s3_endpoint": sys.argv[2], "s3_key": "benchak", "s3_secret": "benchsk", "realm": "BENCH", "sql": "SELECT count(*) FROM polaris_catalog.wildlife.penguins"}))' "http://127.0.0.1:$p_port" "http://127.0.0.1:$s3_port")
env PYTHONPATH="$PY" python3 tests/support/py/polaris_clients.py duck "$duck_args"
echo "## a count over the demo table (344 rows), through the catalog"
hyperfine -N --warmup 2 --runs "$RUNS" --export-markdown "$OUT/query-count.md" \
  -n "forge query" "$FORGE -f $work/p/forge.yaml query --csv '$sql'" \
  -n "duckdb (iceberg extension, ATTACH)" "env PYTHONPATH=$PY python3 tests/support/py/polaris_clients.py duck '$duck_args'"
"$FORGE" -f "$work/p/forge.yaml" destroy --auto-approve >/dev/null
