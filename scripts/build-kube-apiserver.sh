#!/usr/bin/env bash
# Builds a real Kubernetes control plane for the tests from upstream sources served by the Go
# module proxy (k3s is not served here): kube-apiserver, kube-controller-manager and kubectl from
# k8s.io/kubernetes with its staging modules pinned (tools/kube-apiserver/go.mod), plus etcd, and
# the node components kube-scheduler, kubelet and kube-proxy (tools/kube-node).
#
# Output: $IO_CACHE/kube/<version>/{kube-apiserver,kube-controller-manager,kubectl,kube-scheduler,
# kubelet,kube-proxy} and, when etcd is built from source, etcd. Skips each binary that already
# exists. The last line printed is that directory. KUBE_CMDS="kubectl kubelet" builds only those.
#
# All are static (CGO_ENABLED=0), with upstream's release tags (hack/lib/golang.sh:
# selinux,notest,grpcnotrace). Upstream releases build kubelet with cgo (the only one); here it is
# static too (pure-Go DNS resolver and user lookup), so it runs on any glibc/musl node.
#
# etcd: ETCD_FROM=auto (default) uses an etcd on PATH, else Debian's etcd-server package when apt
# has one (bookworm: 3.4.23), else builds go.etcd.io/etcd/server/v3 (the version that
# k8s.io/kubernetes uses, pinned in the same go.mod). ETCD_FROM=apt or ETCD_FROM=source force one.
# Cold: ~20 s of module downloads (~750 MB in $IO_CACHE/go/mod), then the compile (see README).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SRC=$IO_ROOT/tools/kube-apiserver
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOMODCACHE=${GOMODCACHE:-$IO_CACHE/go/mod}
export GOCACHE=${GOCACHE:-$IO_CACHE/go/build}
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0
ETCD_FROM=${ETCD_FROM:-auto}

KUBE_VERSION=$(awk '{sub(/^require /, "")} $1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$SRC/go.mod")
[[ $KUBE_VERSION =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || {
  echo "cannot read the k8s.io/kubernetes version from $SRC/go.mod" >&2
  exit 1
}
KUBE_MAJOR=${BASH_REMATCH[1]}
KUBE_MINOR=${BASH_REMATCH[2]}
OUT=$IO_CACHE/kube/$KUBE_VERSION
mkdir -p "$OUT" "$GOMODCACHE" "$GOCACHE"

# The same -X flags as upstream's hack/lib/version.sh (component-base and client-go versions).
# buildDate is fixed, so the binaries depend only on the sources.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$KUBE_MAJOR"
  ldflags+=" -X $pkg.gitMinor=$KUBE_MINOR -X $pkg.gitTreeState=clean"
  ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

gotags=${KUBE_GO_TAGS:-selinux,notest,grpcnotrace}

build() { # build OUTPUT-NAME PACKAGE...: go build into $OUT atomically
  local name=$1 tmp
  shift
  tmp=$(mktemp -d "$OUT/.build.XXXXXX")
  (cd "$SRC" && nice -n 19 "$GO" build -trimpath -tags "$gotags" -ldflags "$ldflags" -o "$tmp/" "$@")
  for f in "$tmp"/*; do mv -f "$f" "$OUT/"; done
  rmdir "$tmp"
  log "built $name in $OUT"
}

read -ra cmds <<<"${KUBE_CMDS:-kube-apiserver kube-controller-manager kubectl kube-scheduler kubelet kube-proxy}"
missing=()
for c in "${cmds[@]}"; do [ -x "$OUT/$c" ] || missing+=("k8s.io/kubernetes/cmd/$c"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "go mod download for k8s.io/kubernetes $KUBE_VERSION (GOMODCACHE=$GOMODCACHE)"
  t0=$SECONDS
  (cd "$SRC" && nice -n 19 "$GO" mod download)
  log "modules ready in $((SECONDS - t0)) s; go build ${missing[*]##*/} ($KUBE_VERSION)"
  t0=$SECONDS
  build "${missing[*]##*/}" "${missing[@]}"
  log "compiled in $((SECONDS - t0)) s"
else
  log "kube binaries $KUBE_VERSION already in $OUT"
fi

apt_has_etcd() {
  apt-cache policy etcd-server 2>/dev/null | awk '$1 == "Candidate:" {print $2}' | grep -qv '(none)'
}
install_etcd_apt() {
  # No service may start: this is a container/CI host, etcd is started by the tests.
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends etcd-server >/dev/null
  [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
}
build_etcd_source() {
  local v
  v=$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v/ {print $2; exit}' "$SRC/go.mod")
  log "go build etcd $v (go.etcd.io/etcd/server/v3)"
  (cd "$SRC" && nice -n 19 "$GO" build -trimpath -ldflags "-s -w" -o "$OUT/.etcd.tmp" go.etcd.io/etcd/server/v3)
  mv -f "$OUT/.etcd.tmp" "$OUT/etcd"
}

case $ETCD_FROM in
  source) [ -x "$OUT/etcd" ] || build_etcd_source ;;
  apt) command -v etcd >/dev/null || install_etcd_apt ;;
  auto)
    if [ -x "$OUT/etcd" ] || command -v etcd >/dev/null; then
      :
    else
      if ! apt_has_etcd; then apt-get update -q >/dev/null || true; fi
      if apt_has_etcd; then
        log "apt-get install etcd-server"
        install_etcd_apt
      else
        build_etcd_source
      fi
    fi
    ;;
  *) echo "ETCD_FROM must be auto, apt or source (got $ETCD_FROM)" >&2; exit 1 ;;
esac

etcd_bin=$OUT/etcd
[ -x "$etcd_bin" ] || etcd_bin=$(command -v etcd)
log "etcd: $etcd_bin ($("$etcd_bin" --version 2>/dev/null | sed -n 1p))"
for c in "${cmds[@]}"; do
  if [ "$c" = kubectl ]; then v=$("$OUT/$c" version --client | sed -n 1p); else v=$("$OUT/$c" --version); fi
  log "$c: $v"
done
echo "$OUT"
