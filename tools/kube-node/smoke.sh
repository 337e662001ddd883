#!/usr/bin/env bash
# Proves that the single-node upstream Kubernetes brought up by tools/kube-node/up.sh runs pods:
#   node Ready; a Deployment of local/busybox:latest (imagePullPolicy: Never) Running; a
#   ClusterIP Service answering curl from the node; kubectl exec/logs (apiserver -> kubelet);
#   a pod with a hostPath volume /LOG whose file is visible on the node; pod -> ClusterIP.
# Everything is in namespace kn-smoke, deleted at the end (KN_SMOKE_KEEP=1 keeps it).
#
#   tools/kube-node/smoke.sh NODE_CONTAINER
set -euo pipefail
NODE=${1:?usage: smoke.sh NODE_CONTAINER}
NS=kn-smoke
IMAGE=${KN_TEST_IMAGE:-local/busybox:latest}
MARK=kn-smoke-$(date +%s)-$$
BODY='busybox image of the kube-node smoke test' # /www/index.html of busybox-image.sh

kc() { docker exec -i "$NODE" kubectl "$@"; }
on_node() { docker exec -i "$NODE" "$@"; }
passed=0
failed=0
check() { # check NAME COMMAND...: runs it, prints PASS/FAIL and its output
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
retry() { # retry SECONDS COMMAND...: until it succeeds; the last output is kept
  local n=$1 t0=$SECONDS out
  shift
  while :; do
    if out=$("$@" 2>&1); then printf '%s\n' "$out"; return 0; fi
    [ $((SECONDS - t0)) -lt "$n" ] || { printf '%s\n' "$out"; return 1; }
    sleep 1
  done
}
cleanup() {
  if [ "${KN_SMOKE_KEEP:-0}" != 1 ]; then
    kc delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    on_node rm -f "/LOG/$MARK.txt" || true
  fi
}
trap cleanup EXIT

node_name=$(on_node hostname)
check "node $node_name Ready" kc wait --for=condition=Ready "node/$node_name" --timeout=60s
check "versions" bash -c "docker exec $NODE kubectl version; docker exec $NODE kubectl get node -o wide"
# A namespace left by an earlier run may still be terminating: wait for it to go.
kc delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s >/dev/null
kc create namespace "$NS" >/dev/null
# Wait for the namespace's default ServiceAccount (kube-controller-manager) before pods.
retry 60 kc -n "$NS" get serviceaccount default >/dev/null

kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: httpd
        image: $IMAGE
        imagePullPolicy: Never
        command: ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 10m, memory: 8Mi}, limits: {memory: 32Mi}}
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 2}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: ClusterIP
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
EOF
check "Deployment web (imagePullPolicy: Never) rolled out" \
  kc -n "$NS" rollout status deployment/web --timeout=120s
check "pods Running" bash -c "docker exec $NODE kubectl -n $NS wait --for=jsonpath='{.status.phase}'=Running pod -l app=web --timeout=10s &&
  docker exec $NODE kubectl -n $NS get pods -o wide -l app=web"
cip=$(kc -n "$NS" get service web -o jsonpath='{.spec.clusterIP}')
check "ClusterIP $cip:80 answers curl from the node (kube-proxy iptables)" \
  retry 30 bash -c "docker exec $NODE curl -sf --max-time 3 http://$cip/ | grep -x '$BODY'"
pod=$(kc -n "$NS" get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
check "kubectl exec $pod (apiserver -> kubelet -> CRI)" \
  kc -n "$NS" exec "$pod" -- wget -qO- http://127.0.0.1:8080/
check "kubectl logs $pod" kc -n "$NS" logs "$pod" --tail=3

kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: logwriter}
spec:
  restartPolicy: Never
  containers:
  - name: w
    image: $IMAGE
    imagePullPolicy: Never
    command: ["sh", "-c", "echo \"written by pod \$HOSTNAME at \$(date -u +%FT%TZ)\" > /LOG/$MARK.txt; timeout 10 wget -qO- http://$cip/ > /LOG/$MARK.svc || true"]
    volumeMounts: [{name: log, mountPath: /LOG}]
  volumes:
  - name: log
    hostPath: {path: /LOG, type: DirectoryOrCreate}
EOF
check "hostPath pod completed" \
  kc -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded pod/logwriter --timeout=90s
check "file written by the pod is on the node: /LOG/$MARK.txt" on_node cat "/LOG/$MARK.txt"
check "pod -> ClusterIP $cip (DNAT back onto the same bridge)" on_node grep -x "$BODY" "/LOG/$MARK.svc"
on_node rm -f "/LOG/$MARK.svc"

[ "$failed" = 0 ] || {
  kc -n "$NS" get events --sort-by=.lastTimestamp 2>&1 | tail -20 | sed 's/^/    /'
}
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
