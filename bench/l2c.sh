#!/usr/bin/env bash
# forge's whole-migration benchmark: TABLES Iceberg tables of SNAPSHOTS snapshots each,
# written by pyiceberg through the Polaris stand-in onto s3s-fs, migrated to a bucket on
# moto, then refreshed after one append to every table. forge (`forge apply`: smart sync,
# metadata rewritten, integrity checked, tables in parallel) side by side with the
# replaced tool's approach (bench/seed_migrate.py: per table in sequence, the sequential
# boto3 smart sync ../shared/bench/py_smart_sync.py, then every metadata file downloaded,
# rewritten by ../shared/bench/py_rewrite.py and uploaded again), same servers, one run.
# Both copies are then read by pyiceberg (StaticTable, the destination alone) as a check.
#
#   bench/l2c.sh [FORGE_BIN]     (default target/release/forge)
#   TABLES=20 SNAPSHOTS=50       (defaults)
#
# Needs cc, scripts/install-test-servers.sh (s3s-fs, moto, pyiceberg, fastavro) and the
# Polaris stand-in (tests/peers/build.sh polaris-stand-in). Writes $BENCH_OUT/l2c.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FORGE=$(realpath "${1:-target/release/forge}")
CACHE=${FORGE_CACHE:-$HOME/.cache/forge}
S3S=$CACHE/servers/s3s-fs-0.14.1/bin/s3s-fs
PY=$CACHE/servers/pyiceberg-0.12.0
MOTO=$CACHE/servers/moto-5.2.5
REF=$(realpath "${REF_DIR:-../shared/bench}")
OUT=$(realpath -m "${BENCH_OUT:-target/bench}")
TABLES=${TABLES:-20}
SNAPSHOTS=${SNAPSHOTS:-50}
mkdir -p "$OUT"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
log() { printf '[l2c %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

SP=$(port); MP=$(port); PP=$(port)
mkdir -p "$work/s3"
# Both stores set TCP_NODELAY (bench/nodelay.c), as RustFS and AWS do: s3s-fs and moto
# otherwise make a client's every GET wait ~40 ms for a delayed ACK.
cc -shared -fPIC -O2 -o "$work/nodelay.so" bench/nodelay.c -ldl
LD_PRELOAD=$work/nodelay.so "$S3S" --host 127.0.0.1 --port "$SP" --access-key benchak --secret-key benchsk "$work/s3" >"$work/s3s.log" 2>&1 & pids+=($!)
LD_PRELOAD=$work/nodelay.so PYTHONPATH=$MOTO python3 -m moto.server -H 127.0.0.1 -p "$MP" >"$work/moto.log" 2>&1 & pids+=($!)
tests/peers/polaris-stand-in.sh --port "$PP" --realm BENCH --root root:benchsecret \
  --s3-endpoint "http://127.0.0.1:$SP" --s3-access-key benchak --s3-secret-key benchsk >"$work/polaris.log" 2>&1 & pids+=($!)
for p in $SP $MP; do for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.1; done; done
for _ in $(seq 300); do grep -q '^ready ' "$work/polaris.log" && break; sleep 0.2; done
grep -q '^ready ' "$work/polaris.log" || { cat "$work/polaris.log"; exit 1; }

export BENCH_S3_KEY=benchak BENCH_S3_SECRET=benchsk BENCH_ROOT=benchsecret
export AWS_ACCESS_KEY_ID=AKIABENCHL2C00000001 AWS_SECRET_ACCESS_KEY=benchawssecret
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export SRC_ACCESS_KEY=benchak SRC_SECRET_KEY=benchsk DST_ACCESS_KEY=$AWS_ACCESS_KEY_ID DST_SECRET_KEY=$AWS_SECRET_ACCESS_KEY
mkdir -p "$work/p"
{
  cat <<YAML
version: 1
project: bench
stores:
  - name: local
    endpoint: http://127.0.0.1:$SP
    access_key: {env: BENCH_S3_KEY}
    secret_key: {env: BENCH_S3_SECRET}
catalog:
  url: http://127.0.0.1:$PP
  realm: BENCH
  client_id: root
  client_secret: {env: BENCH_ROOT}
  catalogs:
    - name: bench
l2c:
  aws:
    endpoint: http://127.0.0.1:$MP
    region: us-east-1
    bucket: forge-dst
  tables:
YAML
  for i in $(seq 0 $((TABLES - 1))); do printf '    - {catalog: bench, namespace: bench, table: t%02d}\n' "$i"; done
} >"$work/p/forge.yaml"
forge() { (cd "$work/p" && "$FORGE" "$@"); }
log "setup: the catalog, the L2C bucket and IAM (forge), the seed's bucket"
forge apply --auto-approve >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
PYTHONPATH=$PY python3 -c "
import boto3; from botocore.config import Config
boto3.client('s3', endpoint_url='http://127.0.0.1:$MP', region_name='us-east-1', config=Config(s3={'addressing_style': 'path'})).create_bucket(Bucket='seed-dst')"
log "writing $TABLES tables x $SNAPSHOTS snapshots through the catalog"
PYTHONPATH=$PY python3 bench/l2c_tables.py create "http://127.0.0.1:$PP" BENCH benchsecret "http://127.0.0.1:$SP" "$TABLES" "$SNAPSHOTS"
objects=$(find "$work/s3/bench" -type f | wc -l)
bytes=$(du -sb "$work/s3/bench" | cut -f1)
log "source: $objects objects, $bytes bytes"

measure() { # measure NAME CMD... → "NAME wall user sys maxrss_kib"
  local name=$1; shift
  /usr/bin/time -f "$name %e %U %S %M" -o "$work/t" "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
  cat "$work/t"
}
seed=(env PYTHONPATH="$PY" python3 bench/seed_migrate.py "$REF" "http://127.0.0.1:$SP" bench "http://127.0.0.1:$MP" seed-dst bench "$TABLES")
apply=(env -C "$work/p" "$FORGE" apply --auto-approve)
results=()
log "migrate: forge"
results+=("$(measure forge-migrate "${apply[@]}")")
log "migrate: the seed's approach"
results+=("$(measure seed-migrate "${seed[@]}")")
log "one append to every table"
PYTHONPATH=$PY python3 bench/l2c_tables.py append "http://127.0.0.1:$PP" BENCH benchsecret "http://127.0.0.1:$SP" "$TABLES"
log "refresh: forge"
results+=("$(measure forge-refresh "${apply[@]}")")
log "refresh: the seed's approach"
results+=("$(measure seed-refresh "${seed[@]}")")

# Both copies must read: forge's from the metadata file its state names, the seed's from
# the same key in its bucket.
md=$(python3 -c "import json; s=json.load(open('$work/p/.forge/state.json')); print(s['resources']['l2c_table.bench/bench/t00']['attributes']['synced']['metadata_file_path'])")
for b in forge-dst seed-dst; do
  r=$(PYTHONPATH=$PY python3 bench/l2c_tables.py count "s3://$b/$md" "http://127.0.0.1:$MP" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY")
  log "check: $b t00 reads $r"
  want=$(( (SNAPSHOTS + 1) * 100 ))
  echo "$r" | grep -q "\"rows\": $want" || { echo "$b: expected $want rows"; exit 1; }
done

python3 - "$OUT/l2c.md" "$TABLES" "$SNAPSHOTS" "$objects" "$bytes" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "${results[@]}" <<'PYEOF'
import sys
out, tables, snaps, objects, nbytes, cores, load = sys.argv[1:8]
r = {}
for line in sys.argv[8:]:
    name, wall, user, sys_, rss = line.split()
    r[name] = (float(wall), float(user) + float(sys_), int(rss))
lines = [f"# Whole migration: {tables} tables x {snaps} snapshots ({objects} objects, {int(nbytes)/1048576:.1f} MiB), {cores} cores, load {load}", "",
         "| phase | forge wall | forge CPU | forge RSS | seed wall | seed CPU | seed RSS | wall ratio (seed/forge) |",
         "|---|---|---|---|---|---|---|---|"]
for phase in ["migrate", "refresh"]:
    f, s = r[f"forge-{phase}"], r[f"seed-{phase}"]
    lines.append(f"| {phase} | {f[0]:.2f} s | {f[1]:.2f} s | {f[2]//1024} MiB | {s[0]:.2f} s | {s[1]:.2f} s | {s[2]//1024} MiB | {s[0]/f[0]:.1f}x |")
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PYEOF
