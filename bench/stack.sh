#!/usr/bin/env bash
# Times a no-op `forge plan` of the whole local stack (k3d cluster, RustFS, PostgreSQL,
# Polaris) against the real Kubernetes control plane of the test harness, side by side
# with one `kubectl get` of the same kinds (what a script would run to look), with
# hyperfine. Needs the peers built (`tests/peers/build.sh kube`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --locked
FORGE_BENCH_BIN=$(pwd)/target/release/forge cargo test --locked --test it stack::bench_noop_plan_of_the_full_stack -- --ignored --nocapture
echo "results in target/bench/stack-noop-plan.md"
