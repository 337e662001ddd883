#!/usr/bin/env bash
# Runs INSIDE the node (copied there by up.sh to /opt/kn/node-setup.sh, with the binaries in
# /usr/local/bin, the images and .debs in /opt/kn). Sets up a single-node upstream Kubernetes
# (NOT k3s): etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and
# kube-proxy as systemd units on containerd, then (re)starts them with PROFILE's flags and waits
# for the node to be Ready.
#
#   node-setup.sh PROFILE NODE_IP      PROFILE: default (upstream defaults) or lowmem
#
# Idempotent: PKI, kubeconfigs and etcd data are created once and kept; configs, units and the
# profile are rewritten at every run. Writes /var/lib/kn/ready.json (timings).
set -euo pipefail
PROFILE=${1:?PROFILE: default or lowmem}
NODE_IP=${2:?NODE_IP}
NODE=$(hostname)
KN=/opt/kn
PKI=/etc/kubernetes/pki
K=/etc/kubernetes
POD_CIDR=${KN_POD_CIDR:-10.244.0.0/24}
SVC_CIDR=${KN_SVC_CIDR:-10.96.0.0/24}
SVC_API_IP=${KN_SVC_API_IP:-10.96.0.1}
# The cluster DNS Service's clusterIP (roles/cluster_dns); KN_CLUSTER_DNS= (empty): none.
CLUSTER_DNS=${KN_CLUSTER_DNS-10.96.0.10}
PAUSE_IMAGE=docker.io/local/pause:3.10
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
now() { date +%s.%N; }

case $PROFILE in default | lowmem) ;; *) echo "PROFILE must be default or lowmem" >&2; exit 2 ;; esac
mkdir -p "$PKI" /var/lib/kn /etc/cni/net.d /etc/containerd /var/lib/kubelet /LOG

# ---------------------------------------------------------------- packages (from up.sh's .debs)
if ! command -v etcd >/dev/null || [ ! -x /usr/lib/cni/bridge ]; then
  log "dpkg -i $(cd "$KN" && echo ./*.deb)"
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive dpkg -i "$KN"/*.deb >/var/lib/kn/dpkg.log 2>&1 ||
    { cat /var/lib/kn/dpkg.log >&2; exit 1; }
  rm -f /usr/sbin/policy-rc.d
  # Debian's own units stay off: etcd runs as kube-etcd.service below.
  systemctl disable --now cni-dhcp.socket cni-dhcp.service etcd.service >/dev/null 2>&1 || true
  systemctl mask etcd.service >/dev/null 2>&1
fi
# Docker shares containerd with the kubelet here; it is not part of the Kubernetes node and its
# ~70 MiB would blur the measurement. KN_KEEP_DOCKER=1 keeps it.
if [ "${KN_KEEP_DOCKER:-0}" != 1 ]; then
  systemctl disable --now docker.socket docker.service >/dev/null 2>&1 || true
fi

# ---------------------------------------------------------------- sandbox-only shims
# A Docker container (no --privileged) is not a VM. Three differences stop the kubelet and
# kube-proxy; each shim below is the smallest fix, and a real VM needs none of them:
#  1. No /dev/kmsg: the kubelet's OOM watcher cannot open it and the kubelet exits
#     ("open /dev/kmsg: no such file or directory"). /dev/kmsg -> /dev/null: the watcher reads
#     EOF and stops; OOM kills still show in pod status (from the runtime), not as node events.
#  2. /proc/sys is read-only: the kubelet (protectKernelDefaults=false) sets vm.overcommit_memory=1,
#     kernel.panic=10, kernel.panic_on_oops=1 and exits when it cannot. These are host-global, so
#     the node must not change them: a file holding the value the kubelet wants is bind-mounted
#     over each of them (the host's values are untouched).
#  3. /proc/sys/net is per network namespace, so the node owns it as a VM does: it is remounted
#     read-write (kube-proxy's conntrack timeouts, route_localnet, bridge CNI's ip_forward).
cat >/usr/local/sbin/kn-sandbox-shims <<'EOF'
#!/bin/sh
set -e
systemd-detect-virt -qc || exit 0
[ -e /dev/kmsg ] || ln -s /dev/null /dev/kmsg
mkdir -p /run/kn-sysctl
for kv in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
  kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
  k=${kv%=*} v=${kv#*=}
  [ "$(cat /proc/sys/$k)" = "$v" ] && continue
  f=/run/kn-sysctl/$(echo "$k" | tr / .)
  echo "$v" >"$f"
  mountpoint -q "/proc/sys/$k" || mount --bind "$f" "/proc/sys/$k"
done
if ! touch /proc/sys/net/ipv4/ip_forward 2>/dev/null; then
  mount --bind /proc/sys/net /proc/sys/net
  mount -o remount,bind,rw /proc/sys/net
fi
EOF
chmod 755 /usr/local/sbin/kn-sandbox-shims
cat >/etc/systemd/system/kn-sandbox-shims.service <<'EOF'
[Unit]
Description=Sandbox-only shims for the kubelet in a container (see /opt/kn/node-setup.sh)
DefaultDependencies=no
After=local-fs.target io-cgroup-rw.service
Before=containerd.service kubelet.service kube-proxy.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kn-sandbox-shims

[Install]
WantedBy=multi-user.target
EOF

# ---------------------------------------------------------------- PKI (once)
sign() { # sign NAME SUBJECT [SAN] [CA]: client (with SAN: server+client) cert signed by CA (ca)
  local name=$1 subj=$2 san=${3:-} ca=${4:-ca}
  [ -s "$PKI/$name.crt" ] && return 0
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  if [ -n "$san" ]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$san" >"$PKI/$name.ext"
  else
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >"$PKI/$name.ext"
  fi
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 365 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}
# Layout as kubeadm's: a cluster CA, a front-proxy CA (aggregation layer: request-header
# authentication of kube-controller-manager's and kube-scheduler's own endpoints), SA keys.
for ca in ca front-proxy-ca; do
  [ -s "$PKI/$ca.crt" ] && continue
  log "PKI: $ca"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=kn-$ca" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$PKI/$ca.key" -out "$PKI/$ca.crt" 2>/dev/null
done
if [ ! -s "$PKI/sa.key" ]; then
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
fi
sign apiserver /CN=kube-apiserver \
  "IP:$NODE_IP,IP:127.0.0.1,IP:$SVC_API_IP,DNS:$NODE,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
sign admin "/O=system:masters/CN=kubernetes-admin"
sign controller-manager /CN=system:kube-controller-manager
sign scheduler /CN=system:kube-scheduler
sign kubelet "/O=system:nodes/CN=system:node:$NODE"
sign kube-proxy /CN=system:kube-proxy
sign front-proxy-client /CN=front-proxy-client "" front-proxy-ca
chmod 600 "$PKI"/*.key

kubeconfig() { # kubeconfig FILE CERT-NAME
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kn
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: $PKI/ca.crt}
users:
- name: $2
  user: {client-certificate: $PKI/$2.crt, client-key: $PKI/$2.key}
contexts:
- name: kn
  context: {cluster: kn, user: $2}
current-context: kn
EOF
  chmod 600 "$1"
}
kubeconfig $K/admin.conf admin
kubeconfig $K/controller-manager.conf controller-manager
kubeconfig $K/scheduler.conf scheduler
kubeconfig $K/kubelet.conf kubelet
kubeconfig $K/kube-proxy.conf kube-proxy
mkdir -p /root/.kube && cp $K/admin.conf /root/.kube/config

# Stop what runs before its configuration changes (kube-proxy exits when its file changes).
KUBE_UNITS=(kube-etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
systemctl stop "${KUBE_UNITS[@]/%/.service}" 2>/dev/null || true

# ---------------------------------------------------------------- profile
# default: upstream defaults (only what a working node needs). lowmem: the settings below.
# GOMEMLIMIT is a soft limit: the Go GC works harder as the heap nears it, it never kills.
# kube-apiserver: 150MiB costs ~1 % of a core when idle; 120MiB cost ~10 % (GC all the time).
mem_total_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
cg_limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)
[ "$cg_limit" = max ] && cg_limit=$((mem_total_kib * 1024))
# Sandbox shim 4: /proc/meminfo shows the HOST's memory (no lxcfs), so the kubelet's capacity is
# the host's. systemReserved takes away what the container cannot use, so Allocatable is what a
# VM with this much memory would report (capacity - reserved - eviction threshold).
hidden_mib=$(((mem_total_kib * 1024 - cg_limit) / 1048576))
if [ "$PROFILE" = lowmem ]; then
  kube_reserved_mib=${KN_KUBE_RESERVED_MIB:-400}
  system_reserved_mib=$((hidden_mib + ${KN_SYSTEM_RESERVED_MIB:-80}))
else
  kube_reserved_mib=0
  system_reserved_mib=$hidden_mib
fi

envfile() { # envfile UNIT GOMEMLIMIT FLAGS... (GOMEMLIMIT "" = unset)
  local unit=$1 lim=$2
  shift 2
  {
    [ -z "$lim" ] || echo "GOMEMLIMIT=$lim"
    echo "PROFILE_FLAGS=\"$*\""
  } >"$K/profile/$unit.env"
}
mkdir -p $K/profile
rm -f $K/profile/*.env
echo "$PROFILE" >$K/profile/name
if [ "$PROFILE" = lowmem ]; then
  envfile kube-etcd 48MiB --snapshot-count=5000 --quota-backend-bytes=268435456 \
    --auto-compaction-mode=periodic --auto-compaction-retention=5m --max-request-bytes=1572864
  envfile kube-apiserver 150MiB --watch-cache=false --max-requests-inflight=100 \
    --max-mutating-requests-inflight=50 --enable-priority-and-fairness=false \
    --event-ttl=15m
  envfile kube-controller-manager 56MiB --leader-elect=false --concurrent-deployment-syncs=2 \
    --concurrent-replicaset-syncs=2 --concurrent-gc-syncs=5 \
    --controllers="*,$(printf -- '-%s-controller,' node-ipam node-route cloud-node-lifecycle \
      service-lb persistentvolume-expander ephemeral-volume resourceclaim device-taint-eviction \
      horizontal-pod-autoscaler storage-version-migrator podcertificaterequest-cleaner \
      kube-apiserver-serving-clustertrustbundle-publisher | sed 's/,$//')"
  envfile kube-scheduler 40MiB --leader-elect=false
  envfile kubelet 64MiB
  envfile kube-proxy 32MiB
  envfile containerd 40MiB
else
  for u in kube-etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy containerd; do
    envfile "$u" ""
  done
fi

# ---------------------------------------------------------------- containerd + CNI
cat >/etc/containerd/config.toml <<EOF
# Written by /opt/kn/node-setup.sh: CRI for the kubelet, cgroupfs (host is cgroup v1).
version = 2
$([ "$PROFILE" = lowmem ] && echo 'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]')
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
$(systemd-detect-virt -qc && cat <<'SHIM'
  # Sandbox shim 6: the node has no CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj below
  # the node's own (0); the kubelet asks -998 for pause and -997 for Guaranteed pods, and runc
  # fails ("can't get final child's PID from pipe: EOF"). Clamp the score to containerd's own.
  restrict_oom_score_adj = true
SHIM
)
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "/var/lib/containerd/opt"
EOF
mkdir -p /etc/systemd/system/containerd.service.d
cat >/etc/systemd/system/containerd.service.d/kn.conf <<EOF
[Unit]
After=kn-sandbox-shims.service
Wants=kn-sandbox-shims.service
[Service]
EnvironmentFile=-$K/profile/containerd.env
EOF
rm -f /etc/cni/net.d/*
cat >/etc/cni/net.d/10-kn-bridge.conflist <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kn-bridge",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

# ---------------------------------------------------------------- kubelet, kube-proxy configs
cat >$K/kubelet.yaml <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 host: kubelet 1.34 still runs on v1 when failCgroupV1 is false (1.35 flips it).
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
$([ -z "$CLUSTER_DNS" ] || echo "clusterDNS: [$CLUSTER_DNS]")
protectKernelDefaults: false
# the disk is the host's, shared: its signals fire only when it is nearly full (see
# inventories/sandbox/group_vars/all.yml, kube_node_eviction_hard)
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  imagefs.available: 2%
  nodefs.inodesFree: 5%
systemReserved: {memory: ${system_reserved_mib}Mi}
$([ "$kube_reserved_mib" = 0 ] || echo "kubeReserved: {memory: ${kube_reserved_mib}Mi}")
$([ "$PROFILE" = lowmem ] && cat <<'LOW'
imageGCHighThresholdPercent: 80
imageGCLowThresholdPercent: 70
maxPods: 30
serializeImagePulls: true
containerLogMaxSize: 5Mi
containerLogMaxFiles: 2
LOW
)
EOF
cat >$K/kube-proxy.yaml <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $K/kube-proxy.conf}
hostnameOverride: $NODE
clusterCIDR: $POD_CIDR
nodePortAddresses: [primary]
# Sandbox shim 5: nf_conntrack_max is host-global and read-only outside the host's network
# namespace; 0 = leave it alone (the host has 262144). The per-netns timeouts are still set.
conntrack: {maxPerCore: 0}
EOF

# ---------------------------------------------------------------- units
unit() { # unit NAME AFTER EXECSTART...
  local name=$1 after=$2
  shift 2
  cat >"/etc/systemd/system/$name.service" <<EOF
# Written by /opt/kn/node-setup.sh (upstream Kubernetes, not k3s).
[Unit]
Description=$name (upstream Kubernetes $(/usr/local/bin/kubelet --version | awk '{print $2}'))
After=network-online.target $after
Wants=$after

[Service]
EnvironmentFile=-$K/profile/$name.env
$(case $name in kube-controller-manager | kube-scheduler)
  # Their first API calls need the RBAC bootstrap: wait for /readyz instead of failing once.
  echo "ExecStartPre=/bin/sh -c 'for i in \$(seq 240); do curl -sfk -o /dev/null https://127.0.0.1:6443/readyz && exit 0; sleep 0.25; done'"
esac)
ExecStart=$*
Restart=always
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
EOF
}
# etcd: Debian's binary (etcd-server 3.4) in our own unit (Debian's etcd.service is masked).
# PF is literal in the units: systemd splits the unbraced $PROFILE_FLAGS into words.
# shellcheck disable=SC2016
PF='$PROFILE_FLAGS'
unit kube-etcd "" /usr/bin/etcd --name "$NODE" --data-dir /var/lib/etcd \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster "$NODE=http://127.0.0.1:2380" --logger=zap "$PF"
unit kube-apiserver kube-etcd.service /usr/local/bin/kube-apiserver \
  --etcd-servers=http://127.0.0.1:2379 --advertise-address="$NODE_IP" --secure-port=6443 \
  --allow-privileged=true --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --client-ca-file=$PKI/ca.crt --tls-cert-file=$PKI/apiserver.crt --tls-private-key-file=$PKI/apiserver.key \
  --kubelet-client-certificate=$PKI/apiserver-kubelet-client.crt \
  --kubelet-client-key=$PKI/apiserver-kubelet-client.key \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file=$PKI/sa.pub --service-account-signing-key-file=$PKI/sa.key \
  --requestheader-client-ca-file=$PKI/front-proxy-ca.crt --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file=$PKI/front-proxy-client.crt --proxy-client-key-file=$PKI/front-proxy-client.key \
  --service-cluster-ip-range="$SVC_CIDR" --profiling=false "$PF"
unit kube-controller-manager kube-apiserver.service /usr/local/bin/kube-controller-manager \
  --kubeconfig=$K/controller-manager.conf --authentication-kubeconfig=$K/controller-manager.conf \
  --authorization-kubeconfig=$K/controller-manager.conf --bind-address=127.0.0.1 \
  --service-account-private-key-file=$PKI/sa.key --root-ca-file=$PKI/ca.crt \
  --cluster-signing-cert-file=$PKI/ca.crt --cluster-signing-key-file=$PKI/ca.key \
  --use-service-account-credentials=true --profiling=false "$PF"
unit kube-scheduler kube-apiserver.service /usr/local/bin/kube-scheduler \
  --kubeconfig=$K/scheduler.conf --authentication-kubeconfig=$K/scheduler.conf \
  --authorization-kubeconfig=$K/scheduler.conf --bind-address=127.0.0.1 --profiling=false "$PF"
unit kubelet "containerd.service kn-sandbox-shims.service" /usr/local/bin/kubelet \
  --config=$K/kubelet.yaml --kubeconfig=$K/kubelet.conf --hostname-override="$NODE" \
  --node-ip="$NODE_IP" "$PF"
unit kube-proxy "kn-sandbox-shims.service" /usr/local/bin/kube-proxy --config=$K/kube-proxy.yaml "$PF"
systemctl daemon-reload
systemctl enable kn-sandbox-shims.service containerd.service kube-etcd.service kube-apiserver.service \
  kube-controller-manager.service kube-scheduler.service kubelet.service kube-proxy.service >/dev/null 2>&1
systemctl start kn-sandbox-shims.service

# ---------------------------------------------------------------- images (containerd, k8s.io)
systemctl restart containerd
for _ in $(seq 50); do ctr version >/dev/null 2>&1 && break; sleep 0.2; done
for tarball in "$KN"/images/*.tar; do
  [ -e "$tarball" ] || continue
  stamp=/var/lib/kn/imported.$(basename "$tarball").$(sha256sum <"$tarball" | cut -c1-16)
  [ -e "$stamp" ] && continue
  log "ctr -n k8s.io images import $(basename "$tarball")"
  ctr -n k8s.io images import --no-unpack "$tarball" >/dev/null
  touch "$stamp"
done

# ---------------------------------------------------------------- (re)start and wait for Ready
# The binaries were copied in by "docker cp": their page cache was read, and charged, by the
# HOST's dockerd. Drop it (fadvise DONTNEED, this node's files only) so that the pages the
# processes fault in are charged to this node's memory cgroup, as on a VM.
systemctl stop containerd
for f in /usr/local/bin/kube* /usr/bin/etcd /usr/bin/containerd* /usr/sbin/runc; do
  sync "$f" # dirty pages (a fresh docker cp) are not dropped
  dd if="$f" iflag=nocache count=0 status=none 2>/dev/null || true
done
systemctl start containerd
# KN_FRESH=1: a new cluster (etcd data wiped; the kubelet registers the node again and removes
# the pods of the old one), so that the Ready time includes the bootstrap of an empty cluster.
[ "${KN_FRESH:-0}" != 1 ] || rm -rf /var/lib/etcd
first_start=true
[ -e /var/lib/etcd/member ] && first_start=false
# Peak memory from here on (cgroup v1: writing 0 resets max_usage_in_bytes).
echo 0 >/sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || true
log "starting ${KUBE_UNITS[*]} (profile $PROFILE)"
# Peak working set of the first 45 s (usage - inactive_file every 0.2 s; the cgroup's own peak
# counts page cache too: readahead of the ~480 MB of binaries alone is ~500 MiB of it).
rm -f /var/lib/kn/startup-peak
peak_sampler() {
  local M=/sys/fs/cgroup/memory max=0 ws
  for _ in $(seq 225); do
    ws=$(awk -v u="$(cat $M/memory.usage_in_bytes)" \
      '$1 == "total_inactive_file" {print int((u - $2) / 1048576)}' $M/memory.stat)
    [ "$ws" -gt "$max" ] && max=$ws
    sleep 0.2
  done
  echo "$max" >/var/lib/kn/startup-peak
}
peak_sampler </dev/null >/dev/null 2>&1 &
t0=$(now)
systemctl start "${KUBE_UNITS[@]/%/.service}"
kc() { /usr/local/bin/kubectl --kubeconfig=$K/admin.conf "$@"; }
t_api=""
t_ready=""
for _ in $(seq 600); do
  if [ -z "$t_api" ] && kc get --raw /readyz >/dev/null 2>&1; then t_api=$(now); fi
  # Ready, and reported by the kubelet started now (after a restart the old Ready stays True
  # until the node lifecycle controller notices, 40 s later).
  if [ -n "$t_api" ] && st=$(kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}' 2>/dev/null) &&
    [ "${st%% *}" = True ] && [ "$(date -d "${st#* }" +%s)" -ge "${t0%.*}" ]; then
    t_ready=$(now)
    break
  fi
  sleep 0.25
done
if [ -z "$t_ready" ]; then
  log "node $NODE not Ready after 150 s"
  for u in "${KUBE_UNITS[@]}" containerd; do
    echo "---- $u: $(systemctl is-active "$u")"
    journalctl -u "$u" -n 15 --no-pager -o cat
  done >&2
  exit 1
fi
cat >/var/lib/kn/ready.json <<EOF
{"profile": "$PROFILE", "first_start": $first_start, "apiserver_ready_s": $(awk "BEGIN {printf \"%.1f\", $t_api - $t0}"), "node_ready_s": $(awk "BEGIN {printf \"%.1f\", $t_ready - $t0}")}
EOF
log "node $NODE Ready: $(cat /var/lib/kn/ready.json)"
