#!/usr/bin/env bash
# Runs the Polaris stand-in (tests/peers/polaris-stand-in) in the foreground:
#
#   tests/peers/polaris-stand-in.sh --port PORT --realm REALM --root CLIENT_ID:SECRET \
#     --s3-endpoint URL --s3-access-key KEY --s3-secret-key SECRET \
#     [--token-lifetime SECONDS] [--access-log]
#
# Builds it first if needed (tests/peers/build.sh polaris-stand-in; build output on stderr),
# then execs the JVM, which binds 127.0.0.1:PORT and prints exactly one line on stdout,
# `ready http://127.0.0.1:PORT`, once it serves. SIGTERM (or Ctrl-C) stops it: the JVM is this
# process (exec), its shutdown hook stops Jetty and deletes its state directory.
# REALM may be a comma-separated list (the first is the default realm); every realm gets the
# same root credentials, like POLARIS_BOOTSTRAP_CREDENTIALS. Tokens live 3600 s unless
# --token-lifetime says otherwise (Polaris's maxTokenGeneration).
set -euo pipefail

PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$PEERS_DIR/lib.sh"

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --port|--realm|--root|--s3-endpoint|--s3-access-key|--s3-secret-key|--token-lifetime)
      [[ $# -ge 2 ]] || usage
      args+=("$1" "$2"); shift 2 ;;
    --access-log) args+=("$1"); shift ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
for required in --port --realm --root --s3-endpoint --s3-access-key --s3-secret-key; do
  [[ " ${args[*]} " == *" $required "* ]] || { echo "missing $required" >&2; usage; }
done

"$PEERS_DIR/build.sh" polaris-stand-in >&2
CACHE=$(peers_cache)
JAVA_HOME=$(peers_java_home)
exec "$JAVA_HOME/bin/java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx512m \
  -cp "$CACHE/polaris-stand-in/polaris-stand-in.jar:$CACHE/polaris-stand-in/lib/*" \
  forge.standin.Main --spec-dir "$PEERS_DIR/polaris-stand-in/spec" "${args[@]}"
