#!/usr/bin/env bash
# forge's smart sync side by side with rclone (default, and tuned: --transfers 16
# --checkers 16 --size-only --s3-no-head --s3-no-check-bucket) and the replaced tool's
# sequential boto3 sync (../shared/bench/py_smart_sync.py), between two local s3s-fs
# servers on tmpfs, tools interleaved round by round (hyperfine), ratios printed. forge
# runs twice: as users get it (both stores plain HTTP, so its direct path copies) and with
# --no-direct (through the AWS SDK, as it copies to AWS over HTTPS).
#
# Workloads: 2,000 × 16 KiB objects; 6 × 128 MiB objects; an incremental re-sync (50 new,
# 5 resized). The servers run with bench/nodelay.c preloaded, so they set TCP_NODELAY as
# RustFS does (s3s-fs otherwise makes every GET wait ~40 ms for a delayed ACK, a cost of
# the test server that no client should be measured by).
#
# Reported per tool and workload: median wall time, client CPU (user + system), peak RSS
# (largest over the runs, from /usr/bin/time), and each against tuned rclone and boto3.
#
#   bench/sync.sh [FORGE_BIN]       needs hyperfine, rclone, GNU time, cc, scripts/install-test-servers.sh
#   env: RUNS (5), LARGE_RUNS (3), WORKLOADS ("small large incremental"), FORGE_SYNC_ARGS
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FORGE=$(realpath "${1:-target/release/forge}")
CACHE=${FORGE_CACHE:-$HOME/.cache/forge}
S3S=$CACHE/servers/s3s-fs-0.14.1/bin/s3s-fs
PY=$CACHE/servers/pyiceberg-0.12.0
REF=$(realpath "${PY_SMART_SYNC:-../shared/bench/py_smart_sync.py}")
OUT=$(realpath -m "${BENCH_OUT:-target/bench}")
RUNS=${RUNS:-5}
mkdir -p "$OUT"

work=$(mktemp -d -p /dev/shm)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cc -shared -fPIC -O2 -o "$work/nodelay.so" bench/nodelay.c -ldl
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SP=$(port); DP=$(port)
mkdir -p "$work/src" "$work/dst"
LD_PRELOAD=$work/nodelay.so "$S3S" --host 127.0.0.1 --port "$SP" --access-key srckey --secret-key srcsecret123 "$work/src" >"$work/src.log" 2>&1 & pids+=($!)
LD_PRELOAD=$work/nodelay.so "$S3S" --host 127.0.0.1 --port "$DP" --access-key dstkey --secret-key dstsecret123 "$work/dst" >"$work/dst.log" 2>&1 & pids+=($!)
for p in $SP $DP; do for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.05; done; done
# Debian's rclone 1.60 refuses to start when AWS_CA_BUNDLE is set (the endpoints are plain http).
unset AWS_CA_BUNDLE
export SRC_AK=srckey SRC_SK=srcsecret123 DST_AK=dstkey DST_SK=dstsecret123
export SRC_ACCESS_KEY=srckey SRC_SECRET_KEY=srcsecret123 DST_ACCESS_KEY=dstkey DST_SECRET_KEY=dstsecret123
export RCLONE_CONFIG_SRC_TYPE=s3 RCLONE_CONFIG_SRC_PROVIDER=Other RCLONE_CONFIG_SRC_ENDPOINT=http://127.0.0.1:$SP RCLONE_CONFIG_SRC_ACCESS_KEY_ID=srckey RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY=srcsecret123 RCLONE_CONFIG_SRC_REGION=us-east-1
export RCLONE_CONFIG_DST_TYPE=s3 RCLONE_CONFIG_DST_PROVIDER=Other RCLONE_CONFIG_DST_ENDPOINT=http://127.0.0.1:$DP RCLONE_CONFIG_DST_ACCESS_KEY_ID=dstkey RCLONE_CONFIG_DST_SECRET_ACCESS_KEY=dstsecret123 RCLONE_CONFIG_DST_REGION=us-east-1
# Fill the source through the S3 API (so s3s-fs writes its own metadata).
PYTHONPATH=$PY python3 - "$SP" <<'PYEOF'
import os, sys, boto3
from botocore.config import Config
from concurrent.futures import ThreadPoolExecutor
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1", aws_access_key_id="srckey",
                  aws_secret_access_key="srcsecret123", config=Config(s3={"addressing_style": "path"}, max_pool_connections=16))
s3.create_bucket(Bucket="lake")
small = os.urandom(16 * 1024)
with ThreadPoolExecutor(16) as ex:
    list(ex.map(lambda i: s3.put_object(Bucket="lake", Key=f"small/f{i:05d}.parquet", Body=small[i % 100:] + small[:i % 100]), range(2000)))
big = os.urandom(128 * 1024 * 1024)
for i in range(6):
    s3.put_object(Bucket="lake", Key=f"large/f{i}.parquet", Body=big[i:] + big[:i])
PYEOF
mkdir -p "$work/dst/lake"
reset_dst='rm -rf '"$work"'/dst/lake '"$work"'/dst/.bucket-* && mkdir -p '"$work"'/dst/lake'
# Each run goes through /usr/bin/time, which appends the client's peak RSS (KiB) to
# $OUT/rss-WORKLOAD-TOOL.txt; hyperfine reports wall and CPU (user + system, children included).
timed() { echo "/usr/bin/time -a -o $OUT/rss-$1-$2.txt -f %M"; }
tools() { # tools NAME PREFIX
  local name=$1 prefix=$2
  rm -f "$OUT"/rss-"$name"-*.txt
  hyperfine --runs "$RUNS" --export-markdown "$OUT/sync-$name.md" --export-json "$OUT/sync-$name.json" --prepare "${PREPARE:-$reset_dst}" \
    -n forge "$(timed "$name" forge) $FORGE s3 sync ${FORGE_SYNC_ARGS:-} s3://lake/$prefix s3://lake/$prefix --source-endpoint http://127.0.0.1:$SP --source-access-key-env SRC_AK --source-secret-key-env SRC_SK --dest-endpoint http://127.0.0.1:$DP --dest-access-key-env DST_AK --dest-secret-key-env DST_SK --concurrency 16" \
    -n forge-sdk "$(timed "$name" forge-sdk) $FORGE s3 sync ${FORGE_SYNC_ARGS:-} s3://lake/$prefix s3://lake/$prefix --source-endpoint http://127.0.0.1:$SP --source-access-key-env SRC_AK --source-secret-key-env SRC_SK --dest-endpoint http://127.0.0.1:$DP --dest-access-key-env DST_AK --dest-secret-key-env DST_SK --concurrency 16 --no-direct" \
    -n rclone "$(timed "$name" rclone) rclone sync src:lake/$prefix dst:lake/$prefix" \
    -n rclone-tuned "$(timed "$name" rclone-tuned) rclone sync src:lake/$prefix dst:lake/$prefix --transfers 16 --checkers 16 --size-only --s3-no-head --s3-no-check-bucket" \
    -n python-boto3 "$(timed "$name" python-boto3) env PYTHONPATH=$PY python3 $REF http://127.0.0.1:$SP lake $prefix http://127.0.0.1:$DP lake $prefix"
}
WORKLOADS=${WORKLOADS:-small large incremental}
case " $WORKLOADS " in *" small "*) echo "## 2,000 x 16 KiB"; tools small small/ ;; esac
case " $WORKLOADS " in *" large "*) echo "## 6 x 128 MiB"; RUNS=${LARGE_RUNS:-3} tools large large/ ;; esac
case " $WORKLOADS " in *" incremental "*) ;; *) SKIP_INCREMENTAL=1 ;; esac
if [ -z "${SKIP_INCREMENTAL:-}" ]; then
# Incremental: the destination holds the small objects as of before 50 were added and 5 resized.
"$FORGE" s3 sync s3://lake/small/ s3://lake/small/ --source-endpoint "http://127.0.0.1:$SP" --source-access-key-env SRC_AK --source-secret-key-env SRC_SK --dest-endpoint "http://127.0.0.1:$DP" --dest-access-key-env DST_AK --dest-secret-key-env DST_SK >/dev/null
rm -rf "$work/base" && cp -a "$work/dst" "$work/base"
PYTHONPATH=$PY python3 - "$SP" <<'PYEOF'
import os, sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1", aws_access_key_id="srckey",
                  aws_secret_access_key="srcsecret123", config=Config(s3={"addressing_style": "path"}))
for i in range(50):
    s3.put_object(Bucket="lake", Key=f"small/new{i:03d}.parquet", Body=os.urandom(16 * 1024))
for i in range(5):
    s3.put_object(Bucket="lake", Key=f"small/f{i:05d}.parquet", Body=os.urandom(20 * 1024))
PYEOF
echo "## incremental (50 new, 5 resized)"
PREPARE="rm -rf $work/dst && cp -a $work/base $work/dst" tools incremental small/
fi
echo "load: $(uptime)"
python3 - "$OUT" $WORKLOADS <<'PYEOF'
import json, sys, os
out, workloads = sys.argv[1], sys.argv[2:]
def rss(name, tool):  # the largest peak over the runs, MiB
    path = os.path.join(out, f"rss-{name}-{tool}.txt")
    vals = [int(l) for l in open(path) if l.strip().isdigit()] if os.path.exists(path) else []
    return max(vals) / 1024 if vals else float("nan")
print("\n| workload | tool | wall (s) | client CPU (s) | peak RSS (MiB) | wall / tuned rclone | CPU / tuned rclone | RSS / tuned rclone | speed-up vs boto3 |")
print("|---|---|---|---|---|---|---|---|---|")
for name in [w for w in ["small", "large", "incremental"] if w in workloads]:
    path = os.path.join(out, f"sync-{name}.json")
    if not os.path.exists(path):
        continue
    r = {x["command"]: x for x in json.load(open(path))["results"]}
    t, p = r["rclone-tuned"], r["python-boto3"]
    tcpu, trss = t["user"] + t["system"], rss(name, "rclone-tuned")
    for tool in ["forge", "forge-sdk", "rclone", "rclone-tuned", "python-boto3"]:
        x = r[tool]
        cpu, m = x["user"] + x["system"], rss(name, tool)
        print(f"| {name} | {tool} | {x['median']:.3f} | {cpu:.3f} | {m:.0f} | {x['median']/t['median']:.2f} | {cpu/tcpu:.2f} | {m/trss:.2f} | {p['median']/x['median']:.1f}x |")
PYEOF
