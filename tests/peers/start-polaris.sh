#!/usr/bin/env bash
# Starts Apache Polaris 1.7.0 (built by tests/peers/build.sh polaris) on free
# 127.0.0.1 ports in a temp dir, realm POLARIS, root credentials bootstrapped.
# Runs in the foreground until Ctrl-C, then stops it (SIGTERM by PID, SIGKILL
# after 10 s) and deletes the dir.
#
#   tests/peers/start-polaris.sh                 # in-memory persistence
#   tests/peers/start-polaris.sh --jdbc          # PostgreSQL 15 in the temp dir + admin-tool bootstrap
#   tests/peers/start-polaris.sh [--jdbc] --smoke  # start, run polaris-smoke.sh, stop
#
# STATUS: NOT VERIFIED on the workplace this was written on: its Maven Central
# serves none of org.apache.polaris:polaris-runtime-service / -runtime-defaults /
# -relational-jdbc / -admin 1.7.0, so build.sh cannot produce the jars there.
# The commands below follow the Polaris 1.7.0 sources (docs/testing-peers.md).
#
# Settings go into DIR/config/application.properties (DIR is the process' cwd;
# that file has ordinal 260, above the defaults jar's application.properties):
# see write_config below. Root credentials: env POLARIS_BOOTSTRAP_CREDENTIALS.
set -euo pipefail
PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$PEERS_DIR/lib.sh"

JDBC=0; SMOKE=0
for a in "$@"; do
  case $a in
    --jdbc) JDBC=1 ;;
    --smoke) SMOKE=1 ;;
    *) echo "usage: $0 [--jdbc] [--smoke]" >&2; exit 2 ;;
  esac
done

CACHE=$(peers_cache)
APP=$CACHE/polaris/quarkus-app/quarkus-run.jar
ADMIN=$CACHE/polaris-admin/quarkus-app/quarkus-run.jar
[[ -f "$APP" ]] || { echo "missing $APP: run tests/peers/build.sh polaris" >&2; exit 1; }
if [[ $JDBC == 1 && ! -f "$ADMIN" ]]; then
  echo "missing $ADMIN: run tests/peers/build.sh polaris-admin" >&2; exit 1
fi
JAVA=$(peers_java_home)/bin/java

D=$(mktemp -d "${TMPDIR:-/tmp}/forge-polaris.XXXXXX")
HTTP_PORT=$(free_port); MGMT_PORT=$(free_port)
REALM=POLARIS
CLIENT_ID=root
CLIENT_SECRET=${POLARIS_ROOT_SECRET:-$(openssl rand -hex 16)}
PID=
cleanup() {
  if [[ -n "$PID" ]]; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  [[ $JDBC == 1 ]] && pg_stop "$D/pg"
  rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s.%N)
elapsed() { printf '%.1f' "$(echo "$(date +%s.%N) - $T0" | bc)"; }

JDBC_PROPS=()
if [[ $JDBC == 1 ]]; then
  mkdir -p "$D/pg"
  PG_PORT=$(free_port)
  pg_start "$D/pg" "$PG_PORT"
  echo "postgres ready on 127.0.0.1:$PG_PORT at $(elapsed)s (pid $(pg_pid "$D/pg"))" >&2
  JDBC_PROPS=(
    "polaris.persistence.type=relational-jdbc"
    "quarkus.datasource.jdbc.url=jdbc:postgresql://127.0.0.1:$PG_PORT/polaris"
    "quarkus.datasource.username=postgres"
    "quarkus.datasource.password=postgres"
  )
  # The relational-jdbc backend is not auto-bootstrapped: the admin tool creates
  # schema polaris_schema, realm POLARIS and the root principal (idempotent).
  "$JAVA" $(printf -- '-D%s ' "${JDBC_PROPS[@]}") -jar "$ADMIN" \
    bootstrap -r "$REALM" -c "$REALM,$CLIENT_ID,$CLIENT_SECRET" > "$D/admin-bootstrap.log" 2>&1 ||
    { cat "$D/admin-bootstrap.log" >&2; exit 1; }
  echo "admin-tool bootstrap done at $(elapsed)s" >&2
fi

write_config() {
  mkdir -p "$D/config"
  cat > "$D/config/application.properties" <<EOF
quarkus.http.host=127.0.0.1
quarkus.http.port=$HTTP_PORT
quarkus.management.host=127.0.0.1
quarkus.management.port=$MGMT_PORT
quarkus.log.file.enabled=false
polaris.realm-context.realms=$REALM
# S3-compatible storage without STS: per catalog storageConfigInfo
# {storageType: S3, endpoint, pathStyleAccess: true, stsUnavailable: true}; these
# two are the defaults, stated so that the test set-up does not depend on them.
polaris.features."SUPPORTED_CATALOG_STORAGE_TYPES"=["S3","GCS","AZURE"]
polaris.features."ALLOW_SETTING_S3_ENDPOINTS"=true
polaris.features."DROP_WITH_PURGE_ENABLED"=true
EOF
  local p
  for p in "${JDBC_PROPS[@]}"; do echo "$p" >> "$D/config/application.properties"; done
}
write_config

# The server's own S3 credentials (AWS default chain); nothing is vended to clients.
(
  cd "$D"
  export POLARIS_BOOTSTRAP_CREDENTIALS="$REALM,$CLIENT_ID,$CLIENT_SECRET"
  export AWS_REGION=${AWS_REGION:-us-east-1}
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-forge}
  export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-forgeforge}
  exec "$JAVA" -Xms256m -Xmx768m -jar "$APP"
) > "$D/polaris.log" 2>&1 &
PID=$!

ready() { curl -fs "http://127.0.0.1:$MGMT_PORT/q/health/ready" >/dev/null; }
if ! wait_for 120 "polaris (pid $PID)" ready; then
  tail -40 "$D/polaris.log" >&2; exit 1
fi
echo "polaris ready after $(elapsed)s"
echo "dir:        $D (log $D/polaris.log, config $D/config/application.properties)"
echo "pid:        $PID (RSS $(rss_mb "$PID") MiB)"
echo "catalog:    http://127.0.0.1:$HTTP_PORT/api/catalog   management: http://127.0.0.1:$HTTP_PORT/api/management/v1"
echo "health:     http://127.0.0.1:$MGMT_PORT/q/health/ready"
echo "realm:      $REALM   client_id: $CLIENT_ID   client_secret: $CLIENT_SECRET"

if [[ $SMOKE == 1 ]]; then
  POLARIS_URL="http://127.0.0.1:$HTTP_PORT" POLARIS_REALM=$REALM \
    POLARIS_CLIENT_ID=$CLIENT_ID POLARIS_CLIENT_SECRET=$CLIENT_SECRET \
    "$PEERS_DIR/polaris-smoke.sh"
  echo "RSS after smoke: $(rss_mb "$PID") MiB"
  exit 0
fi
echo "Ctrl-C to stop."
while kill -0 "$PID" 2>/dev/null; do sleep 1; done
echo "polaris exited; log:" >&2; tail -40 "$D/polaris.log" >&2
exit 1
