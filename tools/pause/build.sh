#!/usr/bin/env bash
# Builds the pod sandbox ("pause") image without a registry: tools/pause/pause.c compiled static
# (musl-gcc when installed, else glibc's static libc), a rootfs holding only /pause, imported
# into the local Docker engine as local/pause:3.10 and saved as an image tarball that containerd
# can import (ctr -n k8s.io images import). Rebuilt only when pause.c or this script changed.
#
#   tools/pause/build.sh            # prints the tarball path: $IO_CACHE/images/pause-3.10.tar
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
IO_CACHE=${IO_CACHE:-/var/cache/io-orch}
IMAGE=${PAUSE_IMAGE:-local/pause:3.10}
OUT=$IO_CACHE/images/pause-3.10.tar
key=$(cat "$HERE/pause.c" "$HERE/build.sh" | sha256sum | cut -c1-16)

if [ -s "$OUT" ] && [ "$(cat "$OUT.key" 2>/dev/null)" = "$key" ] \
  && [ "$(docker image inspect -f '{{ index .Config.Labels "io.orch.key" }}' "$IMAGE" 2>/dev/null)" = "$key" ]; then
  echo "$OUT"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/rootfs"
CC=${CC:-$(command -v musl-gcc || command -v gcc)}
"$CC" -static -Os -s -Wall -Wextra -Werror -o "$tmp/rootfs/pause" "$HERE/pause.c"
"$tmp/rootfs/pause" -v >/dev/null
# Owned by root, no timestamps from the build machine: the image depends only on the binary.
tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tmp/rootfs" -c . |
  docker import -c 'ENTRYPOINT ["/pause"]' -c 'USER 65535:65535' -c "LABEL io.orch.key=$key" - "$IMAGE" >/dev/null
mkdir -p "$(dirname "$OUT")"
docker save -o "$OUT.tmp" "$IMAGE"
mv -f "$OUT.tmp" "$OUT"
echo "$key" >"$OUT.key"
echo "$OUT"
