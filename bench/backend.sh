#!/usr/bin/env bash
# The time an apply of the example stack spends on its state backend (lock, read, saves,
# release), with the state local, on S3 (moto) and on Kubernetes (the real API server of
# the test peers), side by side in one hyperfine run; the backend's own share per run is
# recorded by forge (FORGE_STATE_TIMINGS) and summed up in target/bench/backend-time.md.
# See tests/it/backends/bench.rs for how the example stack is stood in for.
# Needs hyperfine, scripts/install-test-servers.sh and `tests/peers/build.sh kube`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --locked -j 1
FORGE_BENCH_BIN=$(pwd)/target/release/forge cargo test -j 1 --locked --test it backends::bench -- --ignored --nocapture
echo "results in target/bench/backend-apply.md and target/bench/backend-time.md"
