#!/usr/bin/env bash
# Memory benchmark of the single-node upstream Kubernetes of tools/kube-node in a sandbox node
# container. For each PROFILE: up.sh NODE PROFILE (restarts every unit with that profile's flags,
# records the Ready time), waits KN_SETTLE seconds, samples "idle"; then runs a test Deployment
# (KN_REPLICAS replicas of busybox httpd + a ClusterIP Service), waits, samples "loaded", and
# deletes it. Prints one JSON document on stdout (progress on stderr). Each profile starts a
# new, empty cluster (KN_FRESH=1, the default; KN_FRESH=0 keeps the etcd data).
#
#   tools/kube-node/measure.sh NODE_CONTAINER [PROFILE...]     # default: default lowmem
#
# A sample: RSS (VmRSS, MiB) of each component's main process; the containerd shims and the pod
# processes summed; the node container's cgroup memory (memory.usage_in_bytes minus
# total_inactive_file, i.e. what the kernel cannot simply drop), the same for the kubepods cgroup,
# and the cgroup's peak (memory.max_usage_in_bytes, reset at the profile's start; page cache
# included) since the restart.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NODE=${1:?usage: measure.sh NODE_CONTAINER [PROFILE...]}
shift
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(default lowmem)
SETTLE=${KN_SETTLE:-60}
REPLICAS=${KN_REPLICAS:-3}
IMAGE=${KN_TEST_IMAGE:-local/busybox:latest}
NS=kn-measure
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Runs in the node; prints one JSON object.
read -r -d '' SAMPLE <<'EOF' || true
set -eu
rss() { [ -n "$1" ] && [ "$1" != 0 ] && awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo null; }
sum_rss() { # sum of VmRSS of processes whose comm is $1
  t=0
  for p in $(pgrep -x "$1" || true); do
    t=$((t + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  awk -v t="$t" 'BEGIN {printf "%.1f", t / 1024}'
}
cg() { # cg DIR: usage - total_inactive_file, MiB
  [ -r "$1/memory.usage_in_bytes" ] || { echo null; return; }
  u=$(cat "$1/memory.usage_in_bytes")
  i=$(awk '$1 == "total_inactive_file" {print $2}' "$1/memory.stat")
  awk -v u="$u" -v i="$i" 'BEGIN {printf "%.1f", (u - i) / 1048576}'
}
printf '{"rss_mib": {'
sep=""
for nu in etcd:kube-etcd kube-apiserver:kube-apiserver kube-controller-manager:kube-controller-manager \
  kube-scheduler:kube-scheduler kubelet:kubelet kube-proxy:kube-proxy containerd:containerd; do
  pid=$(systemctl show -p MainPID --value "${nu#*:}.service" 2>/dev/null || echo 0)
  printf '%s"%s": %s' "$sep" "${nu%%:*}" "$(rss "$pid")"
  sep=", "
done
printf ', "containerd-shim-runc-v2 (sum)": %s' "$(sum_rss containerd-shim-runc-v2)"
pods=0
for p in $(find /sys/fs/cgroup/memory/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null); do
  pods=$((pods + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
done
printf ', "pod processes (sum)": %s' "$(awk -v t="$pods" 'BEGIN {printf "%.1f", t / 1024}')"
other=$(ps -e -o rss=,comm= | awk '$2 !~ /^(etcd|kube-apiserver|kube-controller|kube-scheduler|kubelet|kube-proxy|containerd|containerd-shim|pause|httpd|sh|ps|awk|sleep)$/ {t += $1} END {printf "%.1f", t / 1024}')
printf ', "other (systemd, journald, ...)": %s}' "$other"
printf ', "cgroup_mib": %s, "kubepods_cgroup_mib": %s' "$(cg /sys/fs/cgroup/memory)" "$(cg /sys/fs/cgroup/memory/kubepods)"
printf ', "cgroup_peak_mib": %s' "$(awk '{printf "%.1f", $1 / 1048576}' /sys/fs/cgroup/memory/memory.max_usage_in_bytes)"
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
  # Reset the peak before the restart (v1: writing 0 resets max_usage_in_bytes).
  docker exec "$NODE" sh -c 'echo 0 > /sys/fs/cgroup/memory/memory.max_usage_in_bytes' || true
  ready=$(KN_FRESH=${KN_FRESH:-1} "$HERE/up.sh" "$NODE" "$p" | tail -n 1)
  log "profile $p: Ready $ready; settling $SETTLE s"
  sleep "$SETTLE"
  idle=$(sample)
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
  kc delete namespace "$NS" --wait=true --timeout=120s >/dev/null
  out+="$sep\"$p\": {\"ready\": $ready, \"idle\": $idle, \"loaded\": $loaded}"
  sep=", "
done
out+="}}"
if command -v python3 >/dev/null; then python3 -m json.tool <<<"$out"; else echo "$out"; fi
