#!/usr/bin/env bash
# Everything the sandbox's single-node Kubernetes (roles/kube_node) needs on the controller,
# built or fetched once and cached under $IO_CACHE: the Kubernetes binaries (Go module proxy),
# the pause and CoreDNS images (built here), the etcd and CNI plugin .debs (Debian).
. "$(dirname "$0")/../scripts/lib.sh"
bash "$IO_ROOT/scripts/build-kube-apiserver.sh" >/dev/null
bash "$IO_ROOT/tools/pause/build.sh" >/dev/null
# the images of plans 1 and 2 (Traefik serves plan 3's sandbox only)
bash "$IO_ROOT/scripts/build-go-images.sh" coredns flux-source-controller flux-kustomize-controller >/dev/null
debdir=$IO_CACHE/debs/kube-node
if ! ls "$debdir"/etcd-server_*.deb "$debdir"/containernetworking-plugins_*.deb >/dev/null 2>&1; then
  log "apt-get download etcd-server containernetworking-plugins"
  mkdir -p "$debdir"
  (cd "$debdir" && apt-get download etcd-server containernetworking-plugins >/dev/null)
fi
ls "$IO_CACHE"/kube/*/kubelet "$IO_CACHE"/images/pause-*.tar "$IO_CACHE"/images/coredns-*.tar "$debdir"/*.deb
