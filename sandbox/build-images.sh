#!/usr/bin/env bash
# Builds every image the sandbox needs, without a registry, and caches them by content:
#   local/io-node:bookworm      systemd host (a stand-in for an OCI/AWS VM) with Docker preinstalled
#   local/io-runtime:bookworm   Debian runtime with PostgreSQL 15, Redis 7, nginx, Python
#   local/standin-<svc>:sandbox one per service, each with the interface of the real image
# and writes $IO_CACHE/images/standin.tar (docker save of the stand-ins) for the nodes to load.
# An image is rebuilt only when its inputs (this script, its folder) changed.
. "$(dirname "$0")/../scripts/lib.sh"
mirror=${IO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
key=$(content_key sandbox/build-images.sh sandbox/images)

bootstrap_image() { # NAME PACKAGES [PATHS TO DROP] [OVERLAY DIR]
  local name=$1 pkgs=$2 drop=${3:-} overlay=${4:-} root
  if image_has_key "$name" "$key"; then log "$name is current"; return; fi
  log "debootstrap $name"
  root=$(mktemp -d "$IO_CACHE/rootfs.XXXXXX")
  # --force-check-gpg: the Release file must carry a valid signature of the Debian archive
  # keyring (installed by scripts/setup-host.sh); the packages are then checked against its sha256.
  debootstrap --force-check-gpg --variant=minbase --include="$pkgs" bookworm "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/*
  # shellcheck disable=SC2086 # $p is a glob on purpose
  for p in $drop; do rm -rf "${root:?}"/$p; done
  [ -z "$overlay" ] || cp -a "$IO_ROOT/sandbox/images/$overlay/." "$root/"
  tar -C "$root" -c . | docker import -c "LABEL io.orch.key=$key" -c 'CMD ["/sbin/init"]' - "$name" >/dev/null
  rm -rf "$root" "$root.log"
}

# Nodes: what an E2.1.Micro/t3.small image has, plus docker.io (installing it from the mirror on
# four nodes at every test run costs minutes; the docker role still ensures it is present).
bootstrap_image local/io-node:bookworm \
  systemd,systemd-sysv,dbus,python3,python3-apt,python3-requests,sudo,iproute2,iptables,nftables,procps,ca-certificates,curl,kmod,conntrack,docker.io \
  "usr/share/locale/*" node-overlay &
node_pid=$!
bootstrap_image local/io-runtime:bookworm \
  postgresql-15,postgresql-client-15,redis-server,nginx-light,python3,python3-psycopg2,python3-redis,curl,procps,ca-certificates \
  "usr/share/locale/* usr/lib/x86_64-linux-gnu/libLLVM-* usr/lib/x86_64-linux-gnu/libz3.so.* usr/lib/postgresql/15/lib/bitcode usr/lib/postgresql/15/lib/llvmjit*" &
rt_pid=$!
wait $node_pid; wait $rt_pid

services=(timescaledb redis nginx backend prediction-service data-collector jenkins frontend)
tar="$IO_CACHE/images/standin.tar"
if ! image_has_key local/standin-backend:sandbox "$key" || [ ! -s "$tar" ] \
   || [ "$(cat "$tar.key" 2>/dev/null)" != "$key" ]; then
  for svc in "${services[@]}"; do
    case $svc in
      timescaledb) ep='["/usr/local/bin/postgres-entrypoint"]'; cmd='[]' ;;
      redis) ep='[]'; cmd='["redis-server"]' ;;
      nginx) ep='[]'; cmd='["nginx","-g","daemon off;"]' ;;
      backend) ep='["python3","/usr/local/bin/standin","backend"]'; cmd='[]' ;;
      prediction-service) ep='["python3","/usr/local/bin/standin","prediction"]'; cmd='[]' ;;
      data-collector) ep='["python3","/usr/local/bin/standin","collector"]'; cmd='[]' ;;
      jenkins) ep='["python3","/usr/local/bin/standin","jenkins"]'; cmd='[]' ;;
      frontend) ep='["python3","/usr/local/bin/standin","frontend"]'; cmd='[]' ;;
    esac
    log "image local/standin-$svc:sandbox"
    { cat "$IO_ROOT/sandbox/images/Dockerfile.standin"
      echo "ENTRYPOINT $ep"; echo "CMD $cmd"; echo "LABEL io.orch.key=$key io.orch.standin=$svc"
    } | docker build -q --network none --build-arg RUNTIME=local/io-runtime:bookworm \
          -t "local/standin-$svc:sandbox" -f - "$IO_ROOT/sandbox/images" >/dev/null 2>"$IO_CACHE/build.log" \
      || { cat "$IO_CACHE/build.log" >&2; exit 1; }
  done
  mkdir -p "$(dirname "$tar")"
  refs=(); for svc in "${services[@]}"; do refs+=("local/standin-$svc:sandbox"); done
  docker save -o "$tar" "${refs[@]}"
  echo "$key" >"$tar.key"
fi
log "images ready ($(du -h "$tar" | cut -f1) stand-in archive)"
