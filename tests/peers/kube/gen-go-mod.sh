#!/usr/bin/env bash
# Regenerates go.mod/go.sum of this wrapper module from the pinned Kubernetes
# release's own go.mod: every staging module that k8s.io/kubernetes requires
# at v0.0.0 is replaced by its published v0.<minor>.<patch> version.
# Run by hand when bumping K8S_VERSION / ETCD_VERSION; commit the result.
set -euo pipefail
cd "$(dirname "$0")"

K8S_VERSION=${K8S_VERSION:-v1.37.2}   # k8s.io/kubernetes release
ETCD_VERSION=${ETCD_VERSION:-v3.7.0}  # etcd server (build/dependencies.yaml of that release)
STAGING_VERSION="v0.${K8S_VERSION#v1.}"

GO=${GO:-/usr/local/go/bin/go}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

rm -f go.mod go.sum
"$GO" mod init forge.test/peers/kube
"$GO" mod edit -go=1.26.0  # the release's own go line; not the local patch level
k8s_mod=$("$GO" mod download -json "k8s.io/kubernetes@${K8S_VERSION}" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
echo "release go.mod: $k8s_mod ($(grep -E '^go ' "$k8s_mod"))"

n=0
for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$k8s_mod" | sort -u); do
  "$GO" mod edit -replace="${m}=${m}@${STAGING_VERSION}"
  n=$((n + 1))
done
echo "replaced $n staging modules with @${STAGING_VERSION}"

"$GO" mod edit -require="k8s.io/kubernetes@${K8S_VERSION}"
"$GO" get -tool "k8s.io/kubernetes/cmd/kube-apiserver@${K8S_VERSION}"
"$GO" get -tool "k8s.io/kubernetes/cmd/kube-controller-manager@${K8S_VERSION}"
"$GO" get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
"$GO" mod tidy
grep -E '^go |go.etcd.io/etcd/server|k8s.io/kubernetes ' go.mod
