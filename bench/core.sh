#!/usr/bin/env bash
# forge's own benchmark of the core engine, side by side with what a user would otherwise
# run, in one hyperfine run per comparison (ratios are what to quote).
#
#   bench/core.sh [FORGE_BIN]     (default target/release/forge)
#
# 1. start-up: `forge --version` vs the AWS CLI and the Python import cost of the tool forge
#    replaces (click + boto3);
# 2. `forge plan` on forge.yaml.example (25 resources, no server);
# 3. against moto (started here): a no-op `forge plan` of 20 buckets vs the shell loop of
#    `aws s3api head-bucket` calls a script would run, and creating 20 buckets with
#    `forge apply` vs an `aws s3api create-bucket` loop.
# Needs hyperfine, the AWS CLI, and moto from scripts/install-test-servers.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FORGE=$(realpath "${1:-target/release/forge}")
CACHE=${FORGE_CACHE:-$HOME/.cache/forge}
MOTO=$CACHE/servers/moto-5.2.5
OUT=${BENCH_OUT:-target/bench}
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'kill $moto_pid 2>/dev/null || true; rm -rf "$work"' EXIT

echo "## start-up"
hyperfine -N --warmup 3 --runs 30 --export-markdown "$OUT/startup.md" \
  "$FORGE --version" "aws --version" "python3 -c 'import click, boto3'"

echo "## forge plan on forge.yaml.example (no server)"
hyperfine -N --warmup 3 --runs 30 --export-markdown "$OUT/plan-example.md" \
  "$FORGE plan -f forge.yaml.example --work-dir $work/example"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PYTHONPATH=$MOTO:$MOTO/deps python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/moto-api/" && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
ep=http://127.0.0.1:$port
n=20
mkdir -p "$work/p"
{
  echo "version: 1"
  echo "project: bench"
  echo "stores: [{name: aws, endpoint: \"$ep\", access_key: {env: AWS_ACCESS_KEY_ID}, secret_key: {env: AWS_SECRET_ACCESS_KEY}}]"
  echo "buckets:"
  for i in $(seq $n); do echo "  - {name: bench-$i, store: aws, force_destroy: true}"; done
} > "$work/p/forge.yaml"
cat > "$work/head.sh" <<SH
for i in \$(seq $n); do aws s3api head-bucket --bucket bench-\$i --endpoint-url $ep >/dev/null; done
SH
cat > "$work/head.py" <<PY
import boto3
s3 = boto3.client("s3", endpoint_url="$ep")
for i in range(1, $n + 1):
    s3.head_bucket(Bucket=f"bench-{i}")
PY
cat > "$work/create.py" <<PY
import boto3
s3 = boto3.client("s3", endpoint_url="$ep")
for i in range(1, $n + 1):
    s3.create_bucket(Bucket=f"py-{i}")
PY
cat > "$work/create.sh" <<SH
for i in \$(seq $n); do aws s3api create-bucket --bucket cli-\$i --endpoint-url $ep >/dev/null; done
SH
cat > "$work/delete.sh" <<SH
python3 -c "import boto3; s3 = boto3.client('s3', endpoint_url='$ep'); [s3.delete_bucket(Bucket=f'{p}-{i}') for p in ('cli', 'py') for i in range(1, $n + 1) if any(b['Name'] == f'{p}-{i}' for b in s3.list_buckets()['Buckets'])]"
SH
"$FORGE" -f "$work/p/forge.yaml" apply --auto-approve >/dev/null

echo "## no-op refresh of $n buckets: forge plan vs an aws-cli head-bucket loop vs one sequential boto3 process (the replaced tool's way)"
hyperfine --warmup 1 --runs 10 --export-markdown "$OUT/noop-plan.md" \
  "$FORGE -f $work/p/forge.yaml plan --detailed-exitcode" "bash $work/head.sh" "python3 $work/head.py"

echo "## create $n buckets: forge apply vs an aws-cli create-bucket loop vs sequential boto3"
hyperfine --runs 5 --export-markdown "$OUT/create.md" \
  --prepare "$FORGE -f $work/p/forge.yaml destroy --auto-approve >/dev/null; bash $work/delete.sh" \
  "$FORGE -f $work/p/forge.yaml apply --auto-approve" "bash $work/create.sh" "python3 $work/create.py"
"$FORGE" -f "$work/p/forge.yaml" destroy --auto-approve >/dev/null
echo "binary: $(stat -c %s "$FORGE") bytes"
echo "results in $OUT/*.md"
