#!/usr/bin/env bash
# Brings up a single-node UPSTREAM Kubernetes (v1.34.x from k8s.io/kubernetes, not k3s) inside a
# sandbox node container (local/io-node:bookworm, see container.sh): etcd (Debian), containerd
# and runc (Debian, already in the node image), CNI bridge/host-local/loopback/portmap (Debian),
# and kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy built by
# scripts/build-kube-apiserver.sh, as systemd units. Waits until the node is Ready.
#
#   tools/kube-node/up.sh NODE_CONTAINER [PROFILE]      PROFILE: default (upstream defaults,
#                                                       the default) or lowmem
# Re-running with another profile rewrites the flags and restarts every unit (etcd data, PKI and
# pods are kept). Prints the Ready timings as JSON (also in the node: /var/lib/kn/ready.json).
# Env: KUBE_BIN_DIR (skip the build), KN_EXTRA_IMAGES (docker image refs to import as well,
# e.g. local/standin-backend:sandbox), KN_EXTRA_TARBALLS (image tarballs to import as well, e.g.
# scripts/build-go-images.sh's), KN_CLUSTER_DNS (the kubelet's clusterDNS, default 10.96.0.10,
# empty: none; roles/cluster_dns serves it), KN_KEEP_DOCKER=1 (leave the node's dockerd running),
# KN_FRESH=1 (wipe etcd first: a new, empty cluster).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NODE=${1:?usage: up.sh NODE_CONTAINER [default|lowmem]}
PROFILE=${2:-default}
IO_CACHE=${IO_CACHE:-/var/cache/io-orch}
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

[ "$(docker inspect -f '{{.State.Running}}' "$NODE" 2>/dev/null)" = true ] || {
  echo "container $NODE is not running (tools/kube-node/container.sh create $NODE)" >&2
  exit 1
}
NODE_IP=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$NODE" | awk '{print $1}')

# --- inputs on the host (each step is cached)
if [ -z "${KUBE_BIN_DIR:-}" ]; then
  KUBE_BIN_DIR=$("$ROOT/scripts/build-kube-apiserver.sh" | tail -n 1)
fi
bins=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
for b in "${bins[@]}"; do [ -x "$KUBE_BIN_DIR/$b" ] || { echo "missing $KUBE_BIN_DIR/$b" >&2; exit 1; }; done
images=("$("$ROOT/tools/pause/build.sh")" "$("$HERE/busybox-image.sh")")
debdir=$IO_CACHE/debs/kube-node
if ! ls "$debdir"/etcd-server_*.deb "$debdir"/containernetworking-plugins_*.deb >/dev/null 2>&1; then
  log "apt-get download etcd-server containernetworking-plugins"
  mkdir -p "$debdir"
  (cd "$debdir" && apt-get download etcd-server containernetworking-plugins >/dev/null)
fi

# --- copy into the node (binaries only when they differ)
docker exec "$NODE" mkdir -p /opt/kn/images
docker exec "$NODE" sh -c 'rm -f /opt/kn/*.deb'
for d in "$debdir"/*.deb; do docker cp -q "$d" "$NODE:/opt/kn/"; done
# (compared with a stamp: reading the binaries in the node would fill its page cache)
for b in "${bins[@]}"; do
  want=$(sha256sum "$KUBE_BIN_DIR/$b" | cut -c1-64)
  have=$(docker exec "$NODE" cat "/usr/local/bin/.$b.sha256" 2>/dev/null || true)
  if [ "$want" != "$have" ] || ! docker exec "$NODE" test -x "/usr/local/bin/$b"; then
    log "docker cp $b"
    docker cp -q "$KUBE_BIN_DIR/$b" "$NODE:/usr/local/bin/$b"
    docker exec "$NODE" sh -c "echo $want >/usr/local/bin/.$b.sha256"
  fi
done
for t in "${images[@]}"; do docker cp -q "$t" "$NODE:/opt/kn/images/"; done
if [ -n "${KN_EXTRA_IMAGES:-}" ]; then
  # shellcheck disable=SC2086 # a list of image refs
  docker save -o "$IO_CACHE/images/kn-extra-$NODE.tar" $KN_EXTRA_IMAGES
  docker cp -q "$IO_CACHE/images/kn-extra-$NODE.tar" "$NODE:/opt/kn/images/kn-extra.tar"
  rm -f "$IO_CACHE/images/kn-extra-$NODE.tar"
fi
for t in ${KN_EXTRA_TARBALLS:-}; do docker cp -q "$t" "$NODE:/opt/kn/images/"; done
docker cp -q "$HERE/node-setup.sh" "$NODE:/opt/kn/node-setup.sh"

log "node-setup.sh $PROFILE $NODE_IP in $NODE"
docker exec -e KN_KEEP_DOCKER="${KN_KEEP_DOCKER:-0}" -e KN_FRESH="${KN_FRESH:-0}" \
  -e KN_CLUSTER_DNS="${KN_CLUSTER_DNS-10.96.0.10}" "$NODE" bash /opt/kn/node-setup.sh "$PROFILE" "$NODE_IP"
docker exec "$NODE" cat /var/lib/kn/ready.json
