#!/usr/bin/env bash
# forge's benchmark of catalog as code: a no-op `forge plan` of ~50 Polaris entities
# (3 catalogs with their buckets, catalog roles, grants and namespaces; 5 principal roles
# and 5 principals with their assignments), reads concurrent (the default, 10 at a time)
# side by side with the same reads done one at a time (`--parallelism 1`) and with the
# official `polaris setup export` reading the same realm, in one hyperfine run.
#
#   bench/polaris.sh [FORGE_BIN]     (default target/release/forge)
#
# Starts s3s-fs and the Polaris stand-in (tests/peers/polaris-stand-in.sh); needs
# hyperfine and scripts/install-test-servers.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FORGE=$(realpath "${1:-target/release/forge}")
CACHE=${FORGE_CACHE:-$HOME/.cache/forge}
S3S=$CACHE/servers/s3s-fs-0.14.1/bin/s3s-fs
POLARIS_PY=$CACHE/servers/apache-polaris-1.8.0
OUT=${BENCH_OUT:-target/bench}
RUNS=${RUNS:-10}
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
{
  echo "version: 1"
  echo "project: bench"
  echo "stores: [{name: local, endpoint: \"http://127.0.0.1:$s3_port\", access_key: {env: BENCH_S3_KEY}, secret_key: {env: BENCH_S3_SECRET}}]"
  echo "catalog:"
  echo "  url: http://127.0.0.1:$p_port"
  echo "  realm: BENCH"
  echo "  client_secret: {env: BENCH_ROOT}"
  echo "  catalogs:"
  for c in 1 2 3; do echo "    - name: bench-cat-$c"; done
  echo "  catalog_roles:"
  for c in 1 2 3; do for r in 1 2 3; do
    echo "    - {catalog: bench-cat-$c, name: reader_$r, privileges: [TABLE_READ_DATA, NAMESPACE_LIST]}"
  done; done
  echo "  namespaces:"
  for c in 1 2 3; do for n in 1 2 3; do echo "    - {catalog: bench-cat-$c, name: ns_$n}"; done; done
  echo "  principal_roles:"
  for r in 1 2 3 4 5; do echo "    - {name: team_$r, catalog_roles: [{catalog: bench-cat-$(( (r - 1) % 3 + 1 )), role: reader_1}]}"; done
  echo "  principals:"
  for p in 1 2 3 4 5; do echo "    - {name: user_$p, roles: [team_$p]}"; done
} > "$work/p/forge.yaml"
"$FORGE" -f "$work/p/forge.yaml" apply --auto-approve >/dev/null
count=$("$FORGE" -f "$work/p/forge.yaml" state list | wc -l)
echo "## no-op plan of $count resources (Polaris entities and their buckets)"
hyperfine -N --warmup 2 --runs "$RUNS" --export-markdown "$OUT/polaris-plan.md" \
  -n "forge plan (concurrent reads)" "$FORGE -f $work/p/forge.yaml plan --detailed-exitcode" \
  -n "forge plan --parallelism 1 (sequential reads)" "$FORGE -f $work/p/forge.yaml plan --detailed-exitcode --parallelism 1" \
  -n "polaris setup export (official CLI)" "env PYTHONPATH=$POLARIS_PY python3 -m apache_polaris.cli.polaris_cli --host 127.0.0.1 --port $p_port --realm BENCH --client-id root --client-secret benchsecret setup export"

# On loopback the stand-in answers in about a millisecond, so concurrency has little to
# win; a Polaris across a network answers in tens of milliseconds. The same comparison
# through a proxy that delays every request by LATENCY_MS (default 20):
cat > "$work/delay.py" <<'PY'
import asyncio, sys
listen, upstream, delay = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000
async def pipe(r, w, wait):
    try:
        while data := await r.read(65536):
            if wait:
                await asyncio.sleep(delay)
            w.write(data)
            await w.drain()
    finally:
        w.close()
async def handle(cr, cw):
    ur, uw = await asyncio.open_connection("127.0.0.1", upstream)
    await asyncio.gather(pipe(cr, uw, True), pipe(ur, cw, False), return_exceptions=True)
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("ready", flush=True)
    await server.serve_forever()
asyncio.run(main())
PY
d_port=$(free_port)
python3 "$work/delay.py" "$d_port" "$p_port" "${LATENCY_MS:-20}" >"$work/delay.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q ready "$work/delay.log" && break; sleep 0.1; done
sed "s|url: http://127.0.0.1:$p_port|url: http://127.0.0.1:$d_port|" "$work/p/forge.yaml" > "$work/p/remote.yaml"
echo "## the same, Polaris ${LATENCY_MS:-20} ms away"
hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$OUT/polaris-plan-remote.md" \
  -n "forge plan (concurrent reads)" "$FORGE -f $work/p/remote.yaml plan --detailed-exitcode" \
  -n "forge plan --parallelism 1 (sequential reads)" "$FORGE -f $work/p/remote.yaml plan --detailed-exitcode --parallelism 1" \
  -n "polaris setup export (official CLI)" "env PYTHONPATH=$POLARIS_PY python3 -m apache_polaris.cli.polaris_cli --host 127.0.0.1 --port $d_port --realm BENCH --client-id root --client-secret benchsecret setup export"
"$FORGE" -f "$work/p/forge.yaml" destroy --auto-approve >/dev/null
