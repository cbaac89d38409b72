#!/usr/bin/env sh
# CI job 1 ("plan"): runs on every push. Plans against the shared state (S3 backend in
# forge.yaml), prints the plan for review and keeps it as the artifact `forge.plan`.
# Needs the backend's credentials (and FORGE_STATE_PASSPHRASE if the state is encrypted).
set -eu
forge validate
# Another pipeline may hold the lock for a while: wait for it rather than fail.
forge plan --lock-timeout 5m --out forge.plan
forge show forge.plan > forge.plan.txt
