#!/usr/bin/env bash
# Regenerates roles/gitops_flux/files/crds/ from the Go module cache: the CustomResourceDefinitions
# (config/crd/bases) of the source-controller and kustomize-controller versions that
# tools/flux-*/go.mod pin (the versions scripts/build-go-images.sh builds), so the CRDs always
# match the controllers. Downloads the two modules from the Go module proxy when missing.
#
#   tools/flux/update-crds.sh            # then review `git diff roles/gitops_flux/files/crds`
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IO_CACHE=${IO_CACHE:-/var/cache/io-orch}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOMODCACHE=${GOMODCACHE:-$IO_CACHE/go/mod} GOFLAGS=-mod=readonly
dest=$ROOT/roles/gitops_flux/files/crds
mkdir -p "$dest"
rm -f "$dest"/*.yaml
for name in source-controller kustomize-controller; do
  module=github.com/fluxcd/$name
  version=$(awk -v m="$module" '{sub(/^require /, "")} $1 == m && $2 ~ /^v/ {print $2; exit}' \
    "$ROOT/tools/flux-$name/go.mod")
  [ -n "$version" ] || { echo "no $module in tools/flux-$name/go.mod" >&2; exit 1; }
  dir=$(cd "$ROOT/tools/flux-$name" && "$GO" mod download -json "$module@$version" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  for f in "$dir"/config/crd/bases/*.yaml; do
    { echo "# From $module $version, config/crd/bases/$(basename "$f") (tools/flux/update-crds.sh)"
      cat "$f"; } | python3 "$ROOT/tools/flux/yaml-indent.py" >"$dest/$(basename "$f")"
  done
  echo "$module $version: $(cd "$dir/config/crd/bases" && echo *.yaml)"
done
