#!/usr/bin/env bash
# Builds the real test peers into a cache directory outside the clone:
#
#   $CACHE/bin/{kube-apiserver,kube-controller-manager,etcd}   (tests/peers/kube)
#   $CACHE/polaris/quarkus-app/quarkus-run.jar                 (tests/peers/polaris)
#   $CACHE/polaris-admin/quarkus-app/quarkus-run.jar           (tests/peers/polaris-admin)
#   $CACHE/polaris-stand-in/{polaris-stand-in.jar,lib/*.jar}   (tests/peers/polaris-stand-in)
#
# The real Polaris targets (polaris, polaris-admin) cannot build here (their artifacts are not
# served, see docs/testing-peers.md); the stand-in is what the tests start instead.
#
# CACHE is ${FORGE_PEERS_CACHE:-$HOME/.cache/forge/peers}. The Maven repository
# and the Go module/build caches live under it too ($CACHE/m2, $CACHE/go-mod,
# $CACHE/go-build), so `rm -rf $CACHE` is a true cold start and the directory
# is the one thing CI has to cache.
#
# Idempotent: a peer is skipped when its output exists and the hash of its
# inputs (pom.xml / go.mod / go.sum / sources, tool versions, this script)
# matches the stamp written by the last successful build.
#
# Usage: tests/peers/build.sh [kube] [polaris-stand-in] [polaris] [polaris-admin]
#        (default: kube polaris-stand-in polaris polaris-admin)
# Builds use one worker (Maven -T 1, go build -p 1) to leave a core free.
set -euo pipefail

PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$PEERS_DIR/lib.sh"

CACHE=$(peers_cache)
mkdir -p "$CACHE/stamps" "$CACHE/bin"

# Pinned versions (must agree with kube/go.mod and the two pom.xml files).
K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.0

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
MVN=${MVN:-mvn}

log() { printf '[build.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# hash_inputs FILE... : sha256 over the named files' contents plus extra
# strings given on stdin (tool versions).
hash_inputs() {
  { for f in "$@"; do printf '%s\n' "${f#"$PEERS_DIR"/}"; cat "$f"; done; cat; } |
    sha256sum | cut -d' ' -f1
}

# up_to_date NAME HASH OUTPUT...
up_to_date() {
  local name=$1 hash=$2; shift 2
  [[ -f "$CACHE/stamps/$name" && "$(cat "$CACHE/stamps/$name")" == "$hash" ]] || return 1
  local o; for o in "$@"; do [[ -e "$o" ]] || return 1; done
}

declare -a SUMMARY=()
timed() { # timed NAME CMD...
  local name=$1; shift
  local t0 rc=0; t0=$(date +%s)
  "$@" || rc=$?
  local t=$(( $(date +%s) - t0 ))
  if [[ $rc -ne 0 ]]; then log "$name failed (exit $rc) after ${t}s"; return $rc; fi
  SUMMARY+=("$name: ${t}s")
  log "$name done in ${t}s"
}

build_kube() {
  local src=$PEERS_DIR/kube
  local hash
  hash=$( { "$GO" version; echo "$K8S_VERSION $ETCD_VERSION"; } |
    hash_inputs "$src/go.mod" "$src/go.sum" "$src/cmd/etcd/main.go" "$PEERS_DIR/build.sh")
  local outs=("$CACHE/bin/kube-apiserver" "$CACHE/bin/kube-controller-manager" "$CACHE/bin/etcd")
  if up_to_date kube "$hash" "${outs[@]}"; then
    log "kube: up to date ($hash)"; SUMMARY+=("kube: cached"); return
  fi
  log "kube: building k8s $K8S_VERSION + etcd $ETCD_VERSION with $("$GO" version)"
  local ver=${K8S_VERSION#v} pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=${ver%%.*}"
  ldflags+=" -X $pkg.gitMinor=$(echo "$ver" | cut -d. -f2) -X $pkg.gitTreeState=clean"
  local tmp="$CACHE/bin/.tmp-kube"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (
    cd "$src"
    export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
    export GOMODCACHE="$CACHE/go-mod" GOCACHE="$CACHE/go-build"
    timed kube-download "$GO" mod download
    timed kube-compile "$GO" build -p 1 -trimpath -ldflags "$ldflags" -o "$tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      ./cmd/etcd
    printf '%s\n' "${SUMMARY[@]}" > "$tmp/.summary"
  )
  mapfile -t SUMMARY < "$tmp/.summary"
  mv -f "$tmp/kube-apiserver" "$tmp/kube-controller-manager" "$tmp/etcd" "$CACHE/bin/"
  rm -rf "$tmp"
  echo "$hash" > "$CACHE/stamps/kube"
}

# build_quarkus NAME : tests/peers/NAME (a pom.xml assembling a Quarkus
# fast-jar) -> $CACHE/NAME/quarkus-app
build_quarkus() {
  local name=$1 src=$PEERS_DIR/$1
  local java_home; java_home=$(peers_java_home)
  local hash
  hash=$( { "$java_home/bin/java" -version 2>&1; "$MVN" -v 2>/dev/null | head -1; } |
    hash_inputs "$src/pom.xml" $(find "$src/src" -type f | sort) "$PEERS_DIR/build.sh")
  local out="$CACHE/$name/quarkus-app"
  if up_to_date "$name" "$hash" "$out/quarkus-run.jar"; then
    log "$name: up to date ($hash)"; SUMMARY+=("$name: cached"); return
  fi
  log "$name: building with JAVA_HOME=$java_home"
  # Maven writes target/ next to the POM: build a copy in the cache, never in the clone.
  local work="$CACHE/work/$name"
  rm -rf "$work"; mkdir -p "$work"
  cp -r "$src/pom.xml" "$src/src" "$work/"
  mkdir -p "$CACHE/logs"
  local mlog="$CACHE/logs/$name.log"
  if ! JAVA_HOME=$java_home MAVEN_OPTS="${MAVEN_OPTS:--Xmx2g}" \
    timed "$name" "$MVN" -B -ntp -U -T 1 -f "$work/pom.xml" \
      -Dmaven.repo.local="$CACHE/m2" package -DskipTests > "$mlog" 2>&1; then
    log "$name: Maven build FAILED (full log: $mlog):"
    grep -m1 -E '^\[ERROR\] Failed' "$mlog" >&2 || tail -5 "$mlog" >&2
    SUMMARY+=("$name: FAILED")
    return 1
  fi
  rm -rf "$out.old"; [[ -d "$out" ]] && mv "$out" "$out.old"
  mkdir -p "$CACHE/$name"
  mv "$work/target/quarkus-app" "$out"
  rm -rf "$out.old" "$work"
  echo "$hash" > "$CACHE/stamps/$name"
}

# build_standin : tests/peers/polaris-stand-in (a plain Maven jar + its dependencies)
# -> $CACHE/polaris-stand-in/{polaris-stand-in.jar,lib/}
build_standin() {
  local name=polaris-stand-in src=$PEERS_DIR/polaris-stand-in
  local java_home; java_home=$(peers_java_home)
  local hash
  hash=$( { "$java_home/bin/java" -version 2>&1; "$MVN" -v 2>/dev/null | head -1; } |
    hash_inputs "$src/pom.xml" $(find "$src/src" -type f | sort) "$PEERS_DIR/build.sh")
  local out="$CACHE/$name"
  if up_to_date "$name" "$hash" "$out/polaris-stand-in.jar" "$out/lib"; then
    log "$name: up to date ($hash)"; SUMMARY+=("$name: cached"); return
  fi
  log "$name: building with JAVA_HOME=$java_home"
  local work="$CACHE/work/$name"
  rm -rf "$work"; mkdir -p "$work" "$CACHE/logs"
  cp -r "$src/pom.xml" "$src/src" "$work/"
  local mlog="$CACHE/logs/$name.log"
  if ! JAVA_HOME=$java_home MAVEN_OPTS="${MAVEN_OPTS:--Xmx1g}" \
    timed "$name" "$MVN" -B -ntp -T 1 -f "$work/pom.xml" \
      -Dmaven.repo.local="$CACHE/m2" package -DskipTests > "$mlog" 2>&1; then
    log "$name: Maven build FAILED (full log: $mlog):"
    grep -E '^\[ERROR\]' "$mlog" | head -20 >&2 || tail -20 "$mlog" >&2
    SUMMARY+=("$name: FAILED")
    return 1
  fi
  rm -rf "$out"; mkdir -p "$out"
  mv "$work/target/polaris-stand-in.jar" "$work/target/lib" "$out/"
  rm -rf "$work"
  echo "$hash" > "$CACHE/stamps/$name"
}

# locked_standin : build_standin under an exclusive lock, so that two callers at once (two
# test binaries, or a test and a person running polaris-stand-in.sh) build it only once.
locked_standin() {
  local rc=0
  exec 8>"$CACHE/stamps/polaris-stand-in.lock"
  flock 8
  build_standin || rc=$?
  exec 8>&-
  return $rc
}

main() {
  local peers=("$@")
  [[ ${#peers[@]} -gt 0 ]] || peers=(kube polaris-stand-in polaris polaris-admin)
  local t0; t0=$(date +%s)
  log "cache: $CACHE"
  local p failed=()
  for p in "${peers[@]}"; do
    case $p in
      kube) build_kube || failed+=("$p") ;;
      polaris-stand-in) locked_standin || failed+=("$p") ;;
      polaris|polaris-admin) build_quarkus "$p" || failed+=("$p") ;;
      *) echo "unknown peer: $p (kube, polaris-stand-in, polaris, polaris-admin)" >&2; exit 2 ;;
    esac
  done
  SUMMARY+=("total: $(( $(date +%s) - t0 ))s")
  log "timings:"; printf '  %s\n' "${SUMMARY[@]}" >&2
  if [[ ${#failed[@]} -gt 0 ]]; then
    log "FAILED: ${failed[*]}"
    exit 1
  fi
  log "artifacts:"
  for p in "${peers[@]}"; do
    case $p in
      kube) ls -1 "$CACHE/bin/kube-apiserver" "$CACHE/bin/kube-controller-manager" "$CACHE/bin/etcd" >&2 ;;
      polaris-stand-in) ls -1 "$CACHE/$p/polaris-stand-in.jar" >&2 ;;
      *) ls -1 "$CACHE/$p/quarkus-app/quarkus-run.jar" >&2 ;;
    esac
  done
}

main "$@"
