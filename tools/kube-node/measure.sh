#!/usr/bin/env bash
# Memory benchmark of the single-node upstream Kubernetes of tools/kube-node in a sandbox node
# container. For each PROFILE, on a new empty cluster (KN_FRESH=1, the default; 0 keeps etcd):
#  1. up.sh NODE PROFILE (restarts every unit with that profile's flags, records Ready time);
#  2. waits KN_SETTLE (60) s, samples "idle" (and reads the peak working set of the first 45 s
#     after the units' start, which node-setup.sh records);
#  3. runs KN_REPLICAS (3) busybox httpd pods + a ClusterIP Service, samples "loaded";
#  4. unless KN_PRESSURE_MIB=0: adds a pod holding KN_PRESSURE_MIB (300) MiB in a tmpfs emptyDir,
#     samples "pressure" (apiserver still answering? OOM kills? what the kernel took back from
#     the components' file-backed pages); then deletes it all.
# Prints one JSON document on stdout (progress on stderr).
#
#   tools/kube-node/measure.sh NODE_CONTAINER [PROFILE...]     # default: default lowmem
#
# A sample: VmRSS and RssAnon (MiB) of each component's main process (RSS - anon = pages of the
# binary itself, reclaimable under pressure); the containerd shims and the pod processes summed;
# the node container's cgroup memory (memory.usage_in_bytes - total_inactive_file), the same for
# the kubepods cgroup, the cgroup's peak since the units were started (max_usage_in_bytes, page
# cache included), OOM kills charged to the node's own memcg since the container started (kills
# at the kubepods limit are not counted there: see the host's dmesg) and the units' restarts.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NODE=${1:?usage: measure.sh NODE_CONTAINER [PROFILE...]}
shift
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(default lowmem)
SETTLE=${KN_SETTLE:-60}
REPLICAS=${KN_REPLICAS:-3}
PRESSURE=${KN_PRESSURE_MIB:-300}
IMAGE=${KN_TEST_IMAGE:-local/busybox:latest}
NS=kn-measure
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Runs in the node; prints one JSON object.
read -r -d '' SAMPLE <<'EOF' || true
set -eu
kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
procs="etcd:kube-etcd kube-apiserver:kube-apiserver kube-controller-manager:kube-controller-manager
  kube-scheduler:kube-scheduler kubelet:kubelet kube-proxy:kube-proxy containerd:containerd"
rss="" anon="" sep=""
for nu in $procs; do
  pid=$(systemctl show -p MainPID --value "${nu#*:}.service" 2>/dev/null || echo 0)
  if [ "$pid" = 0 ] || [ ! -e "/proc/$pid" ]; then r=null a=null; else
    r=$(mib "$(kib "$pid" VmRSS)") a=$(mib "$(kib "$pid" RssAnon)"); fi
  rss="$rss$sep\"${nu%%:*}\": $r" anon="$anon$sep\"${nu%%:*}\": $a" sep=", "
done
shim=0
for p in $(pgrep -x containerd-shim || true); do shim=$((shim + $(kib "$p" VmRSS))); done
pods=0
for p in $(find /sys/fs/cgroup/memory/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null); do
  pods=$((pods + $(kib "$p" VmRSS)))
done
other=$(ps -e -o rss=,comm= | awk '$2 !~ /^(etcd|kube-apiserver|kube-controller|kube-scheduler|kubelet|kube-proxy|containerd|containerd-shim|pause|httpd|dd|sleep|sh|bash|ps|awk|find|cat|pgrep|kubectl)$/ {t += $1} END {print t + 0}')
rss="$rss, \"containerd-shim (sum)\": $(mib $shim), \"pod processes (sum)\": $(mib $pods), \"other: systemd, journald, dbus, logind\": $(mib "$other")"
cg() { # cg DIR: usage - total_inactive_file, MiB
  [ -r "$1/memory.usage_in_bytes" ] || { echo null; return; }
  awk -v u="$(cat "$1/memory.usage_in_bytes")" '$1 == "total_inactive_file" {printf "%.1f", (u - $2) / 1048576}' "$1/memory.stat"
}
M=/sys/fs/cgroup/memory
printf '{"rss_mib": {%s}, "rss_anon_mib": {%s}' "$rss" "$anon"
printf ', "cgroup_mib": %s, "kubepods_cgroup_mib": %s' "$(cg $M)" "$(cg $M/kubepods)"
printf ', "cgroup_peak_mib": %s' "$(awk '{printf "%.1f", $1 / 1048576}' $M/memory.max_usage_in_bytes)"
printf ', "node_memcg_oom_kills": %s' "$(awk '$1 == "oom_kill" {print $2}' $M/memory.oom_control)"
printf ', "unit_restarts": %s' "$(for u in kube-etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy containerd; do systemctl show -p NRestarts --value $u; done | awk '{t += $1} END {print t + 0}')"
printf ', "pods_running": %s}\n' "$(kubectl get pods -A --field-selector=status.phase=Running --no-headers 2>/dev/null | wc -l)"
EOF

sample() { docker exec -i "$NODE" bash -s <<<"$SAMPLE"; }
kc() { docker exec -i "$NODE" kubectl "$@"; }

out="{\"node\": \"$NODE\""
out+=", \"kubernetes\": \"$(docker exec "$NODE" kubelet --version 2>/dev/null | awk '{print $2}')\""
out+=", \"memory_limit_mib\": $(docker exec "$NODE" awk '{printf "%d", $1 / 1048576}' /sys/fs/cgroup/memory/memory.limit_in_bytes)"
out+=", \"settle_s\": $SETTLE, \"replicas\": $REPLICAS, \"profiles\": {"
sep=""
for p in "${profiles[@]}"; do
  log "profile $p: up.sh (restarts every unit)"
  kc delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
  ready=$(KN_FRESH=${KN_FRESH:-1} "$HERE/up.sh" "$NODE" "$p" | tail -n 1)
  log "profile $p: Ready $ready; settling $SETTLE s"
  sleep "$SETTLE"
  idle=$(sample)
  peak=$(docker exec "$NODE" cat /var/lib/kn/startup-peak 2>/dev/null || echo null)
  ready=${ready%\}}", \"startup_peak_working_set_mib\": $peak}"
  log "profile $p: idle $idle"
  kc create namespace "$NS" >/dev/null
  for _ in $(seq 60); do kc -n "$NS" get serviceaccount default >/dev/null 2>&1 && break; sleep 1; done
  kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: $REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: httpd
        image: $IMAGE
        imagePullPolicy: Never
        command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
        resources: {requests: {cpu: 10m, memory: 8Mi}, limits: {memory: 32Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
EOF
  kc -n "$NS" rollout status deployment/web --timeout=180s >/dev/null
  sleep $((SETTLE / 2))
  loaded=$(sample)
  log "profile $p: loaded $loaded"
  pressure=null
  if [ "$PRESSURE" -gt 0 ]; then
    log "profile $p: pressure: a pod holding $PRESSURE MiB (tmpfs emptyDir)"
    kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: fill}
spec:
  containers:
  - name: fill
    image: $IMAGE
    imagePullPolicy: Never
    command: ["sh", "-c", "dd if=/dev/zero of=/fill/blob bs=1M count=$PRESSURE 2>/dev/null && touch /fill/done; sleep 86400"]
    readinessProbe: {exec: {command: ["cat", "/fill/done"]}, periodSeconds: 2}
    resources: {requests: {memory: $((PRESSURE + 16))Mi}, limits: {memory: $((PRESSURE + 32))Mi}}
    volumeMounts: [{name: fill, mountPath: /fill}]
  volumes:
  - name: fill
    emptyDir: {medium: Memory, sizeLimit: $((PRESSURE + 8))Mi}
EOF
    filled=false
    kc -n "$NS" wait --for=condition=Ready pod/fill --timeout=120s >/dev/null 2>&1 && filled=true
    sleep 15
    t=$(date +%s%N)
    api_ok=false
    kc get --raw /readyz >/dev/null 2>&1 && api_ok=true
    api_ms=$((($(date +%s%N) - t) / 1000000))
    node_ready=$(kc get node -o jsonpath='{.items[0].status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || echo unknown)
    fill_state=$(kc -n "$NS" get pod fill -o jsonpath='{.status.phase}/{.status.containerStatuses[0].restartCount} restarts/{.status.containerStatuses[0].lastState.terminated.reason}' 2>/dev/null || echo gone)
    pressure=$(sample)
    pressure="{\"mib\": $PRESSURE, \"filled\": $filled, \"apiserver_readyz_ok\": $api_ok, \"apiserver_readyz_ms\": $api_ms, \"node_ready\": \"$node_ready\", \"fill_pod\": \"$fill_state\", \"sample\": $pressure}"
    log "profile $p: pressure $pressure"
  fi
  kc delete namespace "$NS" --wait=true --timeout=120s >/dev/null
  out+="$sep\"$p\": {\"ready\": $ready, \"idle\": $idle, \"loaded\": $loaded, \"pressure\": $pressure}"
  sep=", "
done
out+="}}"
if command -v python3 >/dev/null; then python3 -m json.tool <<<"$out"; else echo "$out"; fi
