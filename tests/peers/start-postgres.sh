#!/usr/bin/env bash
# Starts a throw-away PostgreSQL 15 on a free 127.0.0.1 port in a temp dir,
# with database "polaris" (user postgres, trust auth: no password checked).
# Runs in the foreground until Ctrl-C, then stops the server and deletes the dir.
#
#   tests/peers/start-postgres.sh            # start, print the JDBC URL, wait
#   tests/peers/start-postgres.sh --smoke    # start, run a query, stop
#
# Exact commands (DIR = temp dir, P = port; as user postgres when run as root):
#   initdb -D DIR/data -U postgres --auth=trust -E UTF8 --no-sync
#   pg_ctl -D DIR/data -l DIR/postgres.log -w -o "-k DIR -p P -c listen_addresses=127.0.0.1
#          -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start
#   createdb -h 127.0.0.1 -p P -U postgres polaris
#   pg_ctl -D DIR/data -m fast -w stop
set -euo pipefail
PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$PEERS_DIR/lib.sh"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/forge-pg.XXXXXX")
PORT=${PG_PORT:-$(free_port)}
cleanup() { pg_stop "$DIR"; rm -rf "$DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s.%N)
pg_start "$DIR" "$PORT"
printf 'postgres ready after %.1fs (initdb + start + createdb)\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
PID=$(pg_pid "$DIR")
echo "dir:      $DIR"
echo "pid:      $PID (postmaster RSS $(rss_mb "$PID") MiB)"
echo "jdbc url: jdbc:postgresql://127.0.0.1:$PORT/polaris  (user postgres, any password)"
echo "psql:     $PG_BIN/psql -h 127.0.0.1 -p $PORT -U postgres polaris"

if [[ "${1:-}" == "--smoke" ]]; then
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d polaris -tAc 'select version()'
  exit 0
fi
echo "Ctrl-C to stop."
while kill -0 "$PID" 2>/dev/null; do sleep 1; done
