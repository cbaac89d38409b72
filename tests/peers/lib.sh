# Helpers shared by tests/peers/*.sh (sourced, not executed).

# The build cache, outside the clone.
peers_cache() {
  echo "${FORGE_PEERS_CACHE:-${HOME}/.cache/forge/peers}"
}

# A JDK >= 21 (Polaris is compiled for release 21): $JAVA_HOME if new enough,
# else Temurin 25, else any /usr/lib/jvm/* that is new enough.
peers_java_home() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [[ -n "$c" && -x "$c/bin/java" ]] || continue
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java.specification.version = //p')
    if [[ -n "$v" && "${v%%.*}" -ge 21 ]]; then echo "$c"; return 0; fi
  done
  echo "no JDK >= 21 found (set JAVA_HOME)" >&2
  return 1
}

# A free TCP port on 127.0.0.1 (the kernel picks it; racy but fine by hand).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS DESCRIPTION CMD... : retries CMD every 0.2 s; prints the time taken.
wait_for() {
  local limit=$1 what=$2; shift 2
  local start; start=$(date +%s.%N)
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null; do
    if (( $(date +%s) >= deadline )); then
      echo "timed out after ${limit}s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
  printf '%s ready after %.1fs\n' "$what" "$(echo "$(date +%s.%N) - $start" | bc)" >&2
}

# rss_mb PID : resident set size in MiB (ps -o rss).
rss_mb() {
  echo $(( $(ps -o rss= -p "$1" | tr -d ' ') / 1024 ))
}

# ---- PostgreSQL 15 (Debian package) -------------------------------------

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR PORT : initdb DIR/data (trust auth, superuser postgres), start a
# server on 127.0.0.1:PORT (socket in DIR, fsync off), create database polaris.
pg_start() {
  local dir=$1 port=$2
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
    --no-sync >"$dir/initdb.log" 2>&1
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres polaris
}

# pg_pid DIR : the postmaster's PID.
pg_pid() { head -1 "$1/data/postmaster.pid"; }

pg_stop() {
  local dir=$1
  [[ -f "$dir/data/postmaster.pid" ]] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
}
