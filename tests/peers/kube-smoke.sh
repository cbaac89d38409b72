#!/usr/bin/env bash
# Checks a running control plane from start-kube.sh (KUBECONFIG must point at it):
#   1. server-side apply of a Deployment -> controller-manager creates a
#      ReplicaSet and a Pod (Pending for ever: there is no node/kubelet);
#   2. a namespace with objects in it is deleted and disappears (namespace controller);
#   3. the k3s HelmChart CRD is applied and a HelmChart object is created
#      (nothing installs the chart: no helm-controller runs).
set -euo pipefail
PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$PEERS_DIR/lib.sh"
: "${KUBECONFIG:?set KUBECONFIG}"
export KUBECONFIG
k() { kubectl "$@"; }
ns=forge-smoke

k version -o json | python3 -c 'import json,sys; print("server version:", json.load(sys.stdin)["serverVersion"]["gitVersion"])'

echo "== 1. Deployment -> ReplicaSet -> Pod"
k create namespace "$ns"
k apply --server-side --field-manager=forge-smoke -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $ns}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
EOF
has_rs() { [[ -n "$(k -n "$ns" get rs -l app=web -o name)" ]]; }
has_pod() { [[ -n "$(k -n "$ns" get pods -l app=web -o name)" ]]; }
wait_for 60 "ReplicaSet" has_rs
wait_for 60 "Pod" has_pod
k -n "$ns" get deploy,rs,pods -o wide
phase=$(k -n "$ns" get pods -l app=web -o jsonpath='{.items[0].status.phase}')
[[ "$phase" == Pending ]] || { echo "unexpected pod phase $phase" >&2; exit 1; }
echo "pod phase: $phase (expected: no node)"

echo "== 2. namespace deletion finishes"
k create namespace forge-smoke-del
k -n forge-smoke-del create configmap c --from-literal=a=b
k -n forge-smoke-del create serviceaccount s
ns_gone() { ! k get namespace forge-smoke-del >/dev/null 2>&1; }
k delete namespace forge-smoke-del --wait=false
wait_for 60 "namespace forge-smoke-del deleted" ns_gone

echo "== 3. HelmChart CRD + object"
k apply --server-side --field-manager=forge-smoke -f "$PEERS_DIR/kube/crds/helm.cattle.io.yaml"
k wait --for=condition=Established --timeout=30s \
  crd/helmcharts.helm.cattle.io crd/helmchartconfigs.helm.cattle.io
k apply --server-side --field-manager=forge-smoke -f - <<EOF
apiVersion: helm.cattle.io/v1
kind: HelmChart
metadata: {name: polaris, namespace: $ns}
spec:
  repo: https://charts.example.invalid
  chart: polaris
  version: 1.7.0
  targetNamespace: polaris
  createNamespace: true
  valuesContent: |-
    persistence:
      type: in-memory
EOF
k apply --server-side --field-manager=forge-smoke -f - <<EOF
apiVersion: helm.cattle.io/v1
kind: HelmChartConfig
metadata: {name: polaris, namespace: $ns}
spec:
  valuesContent: |-
    replicaCount: 1
EOF
k -n "$ns" get helmcharts,helmchartconfigs
k -n "$ns" delete deployment web
echo "kube smoke: all checks passed"
