#!/usr/bin/env sh
# CI job 2 ("apply"): runs after a person approved job 1's plan, in a fresh checkout of
# the same commit with job 1's artifact `forge.plan`. Applies exactly that plan; forge
# refuses it if forge.yaml or the state changed since it was made (plan again then).
set -eu
forge apply --lock-timeout 5m forge.plan
