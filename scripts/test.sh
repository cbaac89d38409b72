#!/usr/bin/env bash
# The whole test suite, from nothing: installs and builds the test servers (cached
# outside the clone), checks formatting and lints, and runs every test. The tests start
# the servers themselves. `forge query` lives behind the cargo feature `query`
# (DataFusion), off by default: clippy lints with it on (features only add code), and
# after the main run its tests run once more with it (`--features query`, only the
# tests named `query::`), so the default build is tested as users get it and the query
# build is built and tested too.
#
#   scripts/test.sh            # everything
#   SKIP_LINT=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$(date +%s)
log() { printf '[test.sh %s +%ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - t0 ))" "$*" >&2; }

log "installing test servers (moto, s3s-fs, pyiceberg, duckdb, the polaris CLI)"
scripts/install-test-servers.sh
if [ -x tests/peers/build.sh ]; then
  log "building real test peers (Kubernetes control plane, Polaris stand-in)"
  tests/peers/build.sh kube polaris-stand-in
fi
if [ -z "${SKIP_LINT:-}" ]; then
  log "cargo fmt --check"
  cargo fmt --check
  log "cargo clippy (with the query feature)"
  cargo clippy --all-targets --locked --features query -- -D warnings
fi
log "cargo test"
cargo test --locked
log "cargo test --features query (forge query's tests)"
cargo test --locked --features query --lib --test it query::
log "all green in $(( $(date +%s) - t0 ))s"
