#!/usr/bin/env bash
# Smoke test of the control plane built by scripts/build-kube-apiserver.sh, on loopback only:
# etcd + kube-apiserver (+ kube-controller-manager) with throw-away certificates and a static
# admin token, then a few kubectl calls. Everything it starts is stopped and its temp dir
# removed on exit (trap). Re-runnable.
#
#   tools/kube-apiserver/smoke.sh                  # builds/locates the binaries first
#   KUBE_BIN_DIR=/var/cache/io-orch/kube/v1.34.4 tools/kube-apiserver/smoke.sh
#
# Ports (127.0.0.1 only): SMOKE_ETCD_PORT (2379), SMOKE_ETCD_PEER_PORT (2380),
# SMOKE_API_PORT (6443). SMOKE_KCM=0 skips kube-controller-manager. SMOKE_KEEP=1 keeps the
# temp dir (logs) after exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ETCD_PORT=${SMOKE_ETCD_PORT:-2379}
ETCD_PEER_PORT=${SMOKE_ETCD_PEER_PORT:-2380}
API_PORT=${SMOKE_API_PORT:-6443}
RUN_KCM=${SMOKE_KCM:-1}

if [ -z "${KUBE_BIN_DIR:-}" ]; then
  KUBE_BIN_DIR=$("$ROOT/scripts/build-kube-apiserver.sh" | tail -n 1)
fi
ETCD_BIN=${ETCD_BIN:-}
if [ -z "$ETCD_BIN" ]; then
  if [ -x "$KUBE_BIN_DIR/etcd" ]; then ETCD_BIN=$KUBE_BIN_DIR/etcd; else ETCD_BIN=$(command -v etcd); fi
fi
KUBECTL=$KUBE_BIN_DIR/kubectl

for port in "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port 127.0.0.1:$port is already in use; set SMOKE_*_PORT" >&2
    exit 1
  fi
done

TMP=$(mktemp -d /tmp/kube-smoke.XXXXXX)
pids=()
cleanup() {
  local rc=$? pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "${SMOKE_KEEP:-0}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
check() { # check NAME COMMAND...: runs it, prints PASS/FAIL and the output
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
    printf 'PASS %s\n' "$name"
  else
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$name"
  fi
  [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /'
}
wait_for() { # wait_for SECONDS COMMAND...
  local n=$1
  shift
  for _ in $(seq "$((n * 2))"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
dump_logs() {
  local f
  for f in "$TMP"/*.log; do
    echo "---- tail of $f" >&2
    tail -n 25 "$f" >&2
  done
}

# --- throw-away PKI: a CA, a serving cert for 127.0.0.1/localhost, a service-account key pair
cd "$TMP"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=smoke-ca \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver \
  -keyout apiserver.key -out apiserver.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >san.ext
openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -extfile san.ext -out apiserver.crt 2>/dev/null
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
TOKEN=$(openssl rand -hex 16)
echo "$TOKEN,admin,admin,system:masters" >tokens.csv
chmod 600 ./*.key tokens.csv

cat >kubeconfig <<EOF
apiVersion: v1
kind: Config
clusters:
- name: smoke
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $TMP/ca.crt
users:
- name: admin
  user:
    token: $TOKEN
contexts:
- name: smoke
  context: {cluster: smoke, user: admin}
current-context: smoke
EOF
export KUBECONFIG=$TMP/kubeconfig

# --- etcd
"$ETCD_BIN" --name smoke --data-dir "$TMP/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "smoke=http://127.0.0.1:$ETCD_PEER_PORT" \
  >etcd.log 2>&1 &
etcd_pid=$!
pids+=("$etcd_pid")
t0=$SECONDS
wait_for 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health" || { dump_logs; echo "etcd did not start" >&2; exit 1; }
echo "etcd up in $((SECONDS - t0)) s: $("$ETCD_BIN" --version | head -1)"

# --- kube-apiserver
"$KUBE_BIN_DIR/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --tls-cert-file="$TMP/apiserver.crt" --tls-private-key-file="$TMP/apiserver.key" \
  --client-ca-file="$TMP/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$TMP/sa.pub" --service-account-signing-key-file="$TMP/sa.key" \
  --token-auth-file="$TMP/tokens.csv" \
  --authorization-mode=RBAC \
  --service-cluster-ip-range=10.96.0.0/24 \
  --endpoint-reconciler-type=none \
  --profiling=false \
  >apiserver.log 2>&1 &
api_pid=$!
pids+=("$api_pid")
t0=$SECONDS
wait_for 90 "$KUBECTL" get --raw /readyz || { dump_logs; echo "kube-apiserver not ready" >&2; exit 1; }
echo "kube-apiserver ready in $((SECONDS - t0)) s"

# --- kube-controller-manager (ServiceAccounts, namespace deletion, garbage collection)
if [ "$RUN_KCM" = 1 ]; then
  "$KUBE_BIN_DIR/kube-controller-manager" \
    --kubeconfig="$KUBECONFIG" --leader-elect=false --secure-port=0 \
    --service-account-private-key-file="$TMP/sa.key" --root-ca-file="$TMP/ca.crt" \
    --controllers='*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle' \
    >kcm.log 2>&1 &
  kcm_pid=$!
  pids+=("$kcm_pid")
fi

check "readyz" "$KUBECTL" get --raw '/readyz'
check "version" "$KUBECTL" version
check "create namespace smoke" "$KUBECTL" create namespace smoke
cat >cm.yaml <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: smoke
  namespace: smoke
data:
  key: value
EOF
check "apply --server-side configmap" "$KUBECTL" apply --server-side --field-manager=smoke -f cm.yaml
check "configmap managed by smoke" bash -c \
  "'$KUBECTL' -n smoke get cm smoke -o jsonpath='{.data.key} {.metadata.managedFields[0].manager}{\"\n\"}' | grep -x 'value smoke'"
check "get ns" "$KUBECTL" get ns
check "auth can-i (RBAC, admin)" "$KUBECTL" auth can-i '*' '*'
if [ "$RUN_KCM" = 1 ]; then
  check "kcm: default ServiceAccount in smoke" \
    wait_for 60 "$KUBECTL" -n smoke get serviceaccount default
  check "TokenRequest for smoke/default" bash -c "'$KUBECTL' -n smoke create token default | cut -c1-20"
  check "kcm: namespace deletion completes" "$KUBECTL" delete namespace smoke --wait --timeout=90s
fi

sleep 10 & # let the startup work settle before measuring idle memory
pids+=("$!")
wait "$!" # (in the background, so that a signal's trap runs at once)
echo "idle RSS: etcd $(rss_mib "$etcd_pid") MiB, kube-apiserver $(rss_mib "$api_pid") MiB${kcm_pid:+, kube-controller-manager $(rss_mib "$kcm_pid") MiB}"
[ "$failed" = 0 ] || dump_logs
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
