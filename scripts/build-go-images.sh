#!/usr/bin/env bash
# Builds container images of Go programs without a registry: each program is built from the Go
# module proxy as a static binary (CGO_ENABLED=0, -trimpath, -ldflags "-s -w"; its version pinned
# in a go.mod under tools/<name>/ with a `tool` directive), put alone into a rootfs tarball,
# imported into the local Docker engine (docker import, no base image) and saved as an image
# tarball that containerd imports (ctr -n k8s.io images import; tools/kube-node/up.sh
# KN_EXTRA_IMAGES or docker cp + ctr).
#
#   scripts/build-go-images.sh [NAME...]     NAME: coredns, flux-source-controller,
#                                            flux-kustomize-controller, traefik (default: all)
#
# Cached in $IO_CACHE/go-images (binaries, by a content key of tools/<name>/ and the Go version)
# and $IO_CACHE/images (image tarballs, by the binary and this script): a warm run only checks
# the keys. The last lines printed are the image tarballs, one per image.
# Adding an image: a tools/<name>/go.mod (go get -tool <pkg>@<version>) and a function
# image_<name> below that calls go_binary and scratch_image.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOMODCACHE=${GOMODCACHE:-$IO_CACHE/go/mod}
export GOCACHE=${GOCACHE:-$IO_CACHE/go/build}
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64
BIN_CACHE=$IO_CACHE/go-images
IMG_CACHE=$IO_CACHE/images
mkdir -p "$BIN_CACHE" "$IMG_CACHE" "$GOMODCACHE" "$GOCACHE"
tarballs=()

mod_version() { # MODDIR MODULE: the version go.mod requires
  awk -v m="$2" '{sub(/^require /, "")} $1 == m && $2 ~ /^v/ {print $2; exit}' "$IO_ROOT/$1/go.mod"
}

go_binary() { # MODDIR PACKAGE NAME: builds (or finds) the static binary, prints its path
  local moddir=$1 pkg=$2 name=$3 key out tmp start
  key=$( (content_key "$moddir"; "$GO" version; echo "$GOOS/$GOARCH -trimpath -s -w") | sha256sum | cut -c1-16)
  out=$BIN_CACHE/$name-$key
  if [ ! -x "$out" ]; then
    log "go build $pkg ($moddir)"
    start=$(date +%s)
    tmp=$(mktemp -d "$BIN_CACHE/.build.XXXXXX")
    (cd "$IO_ROOT/$moddir" && nice -n 19 "$GO" build -trimpath -ldflags "-s -w" -o "$tmp/$name" "$pkg") \
      || { rm -rf "$tmp"; return 1; }
    mv -f "$tmp/$name" "$out"
    rmdir "$tmp"
    # older builds of this binary
    find "$BIN_CACHE" -maxdepth 1 -name "$name-*" ! -name "$name-$key" -delete
    log "built $name in $(($(date +%s) - start)) s: $(du -m "$out" | cut -f1) MiB"
  fi
  echo "$out"
}

scratch_image() { # IMAGE TARBALL BINARY ENTRYPOINT USER: image with only BINARY at ENTRYPOINT
  local image=$1 tarball=$2 binary=$3 entry=$4 user=$5 key tmp
  key=$( (sha256sum <"$binary"; echo "$image $entry $user"; sed -n '/^scratch_image()/,/^}/p' "$0") \
    | sha256sum | cut -c1-16)
  if [ -s "$tarball" ] && [ "$(cat "$tarball.key" 2>/dev/null)" = "$key" ] && image_has_key "$image" "$key"; then
    tarballs+=("$tarball")
    return 0
  fi
  log "image $image"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/rootfs/tmp"
  chmod 1777 "$tmp/rootfs/tmp"
  mkdir -p "$tmp/rootfs$(dirname "$entry")"
  cp "$binary" "$tmp/rootfs$entry"
  chmod 0755 "$tmp/rootfs$entry"
  # Owned by root, no timestamps from the build machine: the image depends only on the binary.
  tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tmp/rootfs" -c . |
    docker import -c "ENTRYPOINT [\"$entry\"]" -c "USER $user" -c "LABEL io.orch.key=$key" - "$image" >/dev/null
  rm -rf "$tmp"
  docker save -o "$tarball.$$.tmp" "$image"
  mv -f "$tarball.$$.tmp" "$tarball"
  echo "$key" >"$tarball.key"
  log "$image: $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MiB", $1 / 1048576}')"
  tarballs+=("$tarball")
}

# --- images

image_coredns() { # local/coredns:<version>, as the upstream image: non-root (65532), no shell
  local version bin
  version=$(mod_version tools/coredns github.com/coredns/coredns)
  [ -n "$version" ] || { echo "no github.com/coredns/coredns version in tools/coredns/go.mod" >&2; return 1; }
  bin=$(go_binary tools/coredns github.com/coredns/coredns coredns)
  [[ $("$bin" -version) == *"CoreDNS-${version#v}"* ]] || { echo "$bin is not CoreDNS ${version#v}" >&2; return 1; }
  scratch_image "${COREDNS_IMAGE:-local/coredns:${version#v}}" "$IMG_CACHE/coredns-${version#v}.tar" \
    "$bin" /coredns 65532:65532
}

image_flux() { # NAME: local/flux-<name>:<version>, as upstream's image: non-root (65534), one binary
  local name=$1 module version bin
  module=github.com/fluxcd/$name
  version=$(mod_version "tools/flux-$name" "$module")
  [ -n "$version" ] || { echo "no $module version in tools/flux-$name/go.mod" >&2; return 1; }
  bin=$(go_binary "tools/flux-$name" "$module" "$name")
  # the build info names the module version the binary was built from (there is no --version flag)
  "$GO" version -m "$bin" | grep -Eq "^[[:space:]]+(mod|dep)[[:space:]]+${module}[[:space:]]+${version}([[:space:]]|\$)" \
    || { echo "$bin is not $module $version" >&2; return 1; }
  scratch_image "local/flux-$name:${version#v}" "$IMG_CACHE/flux-$name-${version#v}.tar" \
    "$bin" "/usr/local/bin/$name" 65534:65534
}
image_flux-source-controller() { image_flux source-controller; }
image_flux-kustomize-controller() { image_flux kustomize-controller; }

image_traefik() { # local/traefik:<version>: the ingress controller k3s bundles (roles/traefik)
  local module=github.com/traefik/traefik/v3 version bin
  version=$(mod_version tools/traefik "$module")
  [ -n "$version" ] || { echo "no $module version in tools/traefik/go.mod" >&2; return 1; }
  bin=$(go_binary tools/traefik "$module/cmd/traefik" traefik)
  "$GO" version -m "$bin" | grep -Eq "^[[:space:]]+(mod|dep)[[:space:]]+${module}[[:space:]]+${version}([[:space:]]|\$)" \
    || { echo "$bin is not $module $version" >&2; return 1; }
  scratch_image "local/traefik:${version#v}" "$IMG_CACHE/traefik-${version#v}.tar" \
    "$bin" /usr/local/bin/traefik 65532:65532
}

all=(coredns flux-source-controller flux-kustomize-controller traefik)
for name in "${@:-${all[@]}}"; do
  declare -F "image_$name" >/dev/null || { echo "unknown image $name (known: ${all[*]})" >&2; exit 2; }
  "image_$name"
done
printf '%s\n' "${tarballs[@]}"
