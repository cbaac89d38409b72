#!/usr/bin/env bash
# Starts a kubelet-less Kubernetes control plane on free 127.0.0.1 ports in a
# temp dir: etcd + kube-apiserver + kube-controller-manager, built by
# tests/peers/build.sh kube. Writes DIR/kubeconfig (bearer token, system:masters).
# Runs in the foreground until Ctrl-C, then stops all three (SIGTERM, by PID)
# and deletes the dir.
#
#   tests/peers/start-kube.sh           # start, print kubeconfig path, wait
#   tests/peers/start-kube.sh --smoke   # start, run the checks in kube-smoke.sh, stop
#
# Environment: FORGE_PEERS_CACHE (binaries in $FORGE_PEERS_CACHE/bin),
# KUBE_KEEP_DIR=1 keeps the temp dir (logs) after stopping.
set -euo pipefail
PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$PEERS_DIR/lib.sh"

BIN=$(peers_cache)/bin
for b in etcd kube-apiserver kube-controller-manager; do
  [[ -x "$BIN/$b" ]] || { echo "missing $BIN/$b: run tests/peers/build.sh kube" >&2; exit 1; }
done

D=$(mktemp -d "${TMPDIR:-/tmp}/forge-kube.XXXXXX")
ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port); KCM_PORT=$(free_port)
PIDS=()
NAMES=()
# Stops in reverse start order, each fully before the next (the apiserver
# needs etcd while it shuts down): SIGTERM, then SIGKILL after 10 s.
cleanup() {
  local i pid t0
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    pid=${PIDS[i]}; t0=$(date +%s.%N)
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf 'stopped %s in %.1fs\n' "${NAMES[i]}" "$(echo "$(date +%s.%N) - $t0" | bc)" >&2
  done
  if [[ "${KUBE_KEEP_DIR:-0}" == 1 ]]; then echo "kept $D" >&2; else rm -rf "$D"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- PKI: CA, serving leaf (IP SAN 127.0.0.1), SA key pair, token file ----
mkdir -p "$D/pki" "$D/etcd"
(
  cd "$D/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=forge-test-ca \
    -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver \
    -keyout apiserver.key -out apiserver.csr 2>/dev/null
  cat > apiserver.ext <<'EXT'
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
EXT
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -days 3650 -extfile apiserver.ext -out apiserver.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
TOKEN=$(openssl rand -hex 24)
echo "$TOKEN,forge-admin,forge-admin-uid,\"system:masters\"" > "$D/pki/tokens.csv"

cat > "$D/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: forge-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 < "$D/pki/ca.crt")
users:
- name: forge-admin
  user:
    token: $TOKEN
contexts:
- name: forge-test
  context: {cluster: forge-test, user: forge-admin}
current-context: forge-test
EOF

T0=$(date +%s.%N)
# alive PID NAME : fails the script at once (with the log tail) if NAME died.
alive() {
  kill -0 "$1" 2>/dev/null && return 0
  echo "$2 exited during start-up; last lines of $D/$2.log:" >&2
  tail -15 "$D/$2.log" >&2
  exit 1
}
elapsed() { printf '%.1f' "$(echo "$(date +%s.%N) - $T0" | bc)"; }

# ---- etcd ----
"$BIN/etcd" --name forge --data-dir "$D/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "forge=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync --log-level warn > "$D/etcd.log" 2>&1 &
ETCD_PID=$!; PIDS+=("$ETCD_PID"); NAMES+=(etcd)
etcd_healthy() { alive "$ETCD_PID" etcd; curl -fs "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
wait_for 30 "etcd (pid $ETCD_PID, :$ETCD_PORT)" etcd_healthy
echo "  etcd at $(elapsed)s" >&2

# ---- kube-apiserver ----
"$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --endpoint-reconciler-type=none \
  --cert-dir="$D/pki" \
  --tls-cert-file="$D/pki/apiserver.crt" --tls-private-key-file="$D/pki/apiserver.key" \
  --client-ca-file="$D/pki/ca.crt" \
  --token-auth-file="$D/pki/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer="https://127.0.0.1:$API_PORT" \
  --service-account-key-file="$D/pki/sa.pub" \
  --service-account-signing-key-file="$D/pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --allow-privileged=true \
  --profiling=false --v=0 > "$D/kube-apiserver.log" 2>&1 &
API_PID=$!; PIDS+=("$API_PID"); NAMES+=(kube-apiserver)
api_ready() {
  alive "$API_PID" kube-apiserver
  curl -fs --cacert "$D/pki/ca.crt" -H "Authorization: Bearer $TOKEN" \
    "https://127.0.0.1:$API_PORT/readyz" | grep -q '^ok$'
}
wait_for 90 "kube-apiserver (pid $API_PID, :$API_PORT)" api_ready
echo "  kube-apiserver at $(elapsed)s" >&2

# ---- kube-controller-manager ----
"$BIN/kube-controller-manager" \
  --kubeconfig="$D/kubeconfig" \
  --leader-elect=false \
  --service-account-private-key-file="$D/pki/sa.key" \
  --root-ca-file="$D/pki/ca.crt" \
  --use-service-account-credentials=false \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
  --cert-dir="$D/pki/kcm" \
  --flex-volume-plugin-dir="$D/kcm-flexvolume" \
  --profiling=false --v=0 > "$D/kube-controller-manager.log" 2>&1 &
KCM_PID=$!; PIDS+=("$KCM_PID"); NAMES+=(kube-controller-manager)
kcm_healthy() { alive "$KCM_PID" kube-controller-manager; curl -fsk "https://127.0.0.1:$KCM_PORT/healthz" | grep -q '^ok$'; }
wait_for 60 "kube-controller-manager (pid $KCM_PID, :$KCM_PORT)" kcm_healthy
echo "  kube-controller-manager at $(elapsed)s" >&2

echo "control plane ready after $(elapsed)s"
echo "dir:        $D"
echo "kubeconfig: $D/kubeconfig"
echo "server:     https://127.0.0.1:$API_PORT (CA $D/pki/ca.crt, bearer token in kubeconfig)"
echo "RSS MiB:    etcd $(rss_mb "$ETCD_PID"), kube-apiserver $(rss_mb "$API_PID"), kube-controller-manager $(rss_mb "$KCM_PID")"
echo "logs:       $D/{etcd,kube-apiserver,kube-controller-manager}.log"

if [[ "${1:-}" == "--smoke" ]]; then
  KUBECONFIG="$D/kubeconfig" "$PEERS_DIR/kube-smoke.sh"
  echo "RSS MiB after smoke: etcd $(rss_mb "$ETCD_PID"), kube-apiserver $(rss_mb "$API_PID"), kube-controller-manager $(rss_mb "$KCM_PID")"
  exit 0
fi
echo "Ctrl-C to stop."
while kill -0 "$API_PID" 2>/dev/null; do sleep 1; done
echo "kube-apiserver exited; see $D/kube-apiserver.log" >&2
exit 1
