#!/usr/bin/env bash
# Everything the sandbox's single-node Kubernetes (roles/kube_node) needs on the controller,
# built or fetched once and cached under $IO_CACHE:
#   sandbox/prepare-kube.sh [core|flux|all]     (default: all)
#     core  what plan 1 needs: the Kubernetes binaries (Go module proxy), the pause and CoreDNS
#           images (built here), the etcd and CNI plugin .debs (Debian)
#     flux  what plan 2 adds: the Flux controllers' images (Go module proxy) and git's .debs for
#           the fleet's repository (roles/gitops_repo; needs the node image of
#           sandbox/build-images.sh)
# CI builds core first, so that plan 1's scenario runs while the Flux controllers build.
. "$(dirname "$0")/../scripts/lib.sh"
part=${1:-all}
case $part in core|flux|all) ;; *) echo "usage: $0 [core|flux|all]" >&2; exit 2 ;; esac
if [ "$part" != flux ]; then
  bash "$IO_ROOT/scripts/build-kube-apiserver.sh" >/dev/null
  bash "$IO_ROOT/tools/pause/build.sh" >/dev/null
  bash "$IO_ROOT/scripts/build-go-images.sh" coredns >/dev/null
  debdir=$IO_CACHE/debs/kube-node
  if ! ls "$debdir"/etcd-server_*.deb "$debdir"/containernetworking-plugins_*.deb >/dev/null 2>&1; then
    log "apt-get download etcd-server containernetworking-plugins"
    mkdir -p "$debdir"
    (cd "$debdir" && apt-get download etcd-server containernetworking-plugins >/dev/null)
  fi
  ls "$IO_CACHE"/kube/*/kubelet "$IO_CACHE"/images/pause-*.tar "$IO_CACHE"/images/coredns-*.tar "$debdir"/*.deb
fi
if [ "$part" != core ]; then
  # (Traefik serves plan 3's sandbox only: scripts/build-go-images.sh traefik)
  bash "$IO_ROOT/scripts/build-go-images.sh" flux-source-controller flux-kustomize-controller
  bash "$IO_ROOT/tools/flux/git-debs.sh"
fi
