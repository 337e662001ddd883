#!/usr/bin/env bash
# Builds local/busybox:latest without a registry from Debian's busybox-static (installed on the
# host when missing) and saves it as an image tarball for containerd. The applet links are
# RELATIVE (busybox --install -s writes absolute ones that point outside the image's rootfs).
# Rebuilt only when the busybox binary or this script changed. Prints the tarball path.
set -euo pipefail
IO_CACHE=${IO_CACHE:-/var/cache/io-orch}
IMAGE=${BUSYBOX_IMAGE:-local/busybox:latest}
OUT=$IO_CACHE/images/busybox.tar

if [ ! -x /bin/busybox ] || ! /bin/busybox --list >/dev/null 2>&1 || ! dpkg -s busybox-static >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends busybox-static >/dev/null
fi
key=$(cat /bin/busybox "$0" | sha256sum | cut -c1-16)
if [ -s "$OUT" ] && [ "$(cat "$OUT.key" 2>/dev/null)" = "$key" ] \
  && [ "$(docker image inspect -f '{{ index .Config.Labels "io.orch.key" }}' "$IMAGE" 2>/dev/null)" = "$key" ]; then
  echo "$OUT"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/www" "$root/LOG"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
  [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
echo 'busybox image of the kube-node smoke test' >"$root/www/index.html"
tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -c . |
  docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' -c "LABEL io.orch.key=$key" - "$IMAGE" >/dev/null
mkdir -p "$(dirname "$OUT")"
docker save -o "$OUT.tmp" "$IMAGE"
mv -f "$OUT.tmp" "$OUT"
echo "$key" >"$OUT.key"
echo "$OUT"
