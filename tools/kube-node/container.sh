#!/usr/bin/env bash
# Creates/removes a sandbox node container for the kube-node experiment: local/io-node:bookworm
# with the options of molecule/compose/molecule.yml (1 GiB, every capability but SYS_RESOURCE,
# seccomp/apparmor unconfined, private cgroupns, tmpfs /run and /run/lock) plus named volumes
# for /var/lib/docker, /var/lib/containerd and /var/lib/kubelet (overlayfs snapshots need a
# real filesystem underneath, not the container's overlay root).
#
#   tools/kube-node/container.sh create [NAME] [IP]   # default kn-test-1 172.29.20.11
#   tools/kube-node/container.sh rm [NAME]            # container, its volumes, and the network
#                                                     # when no container uses it any more
# Network: KN_NET (kn-net), KN_SUBNET (172.29.20.0/24). Memory: KN_MEMORY (1g).
set -euo pipefail
cmd=${1:?create or rm}
name=${2:-kn-test-1}
ip=${3:-172.29.20.11}
net=${KN_NET:-kn-net}
subnet=${KN_SUBNET:-172.29.20.0/24}
mem=${KN_MEMORY:-1g}
caps=(AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER
  FSETID IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN
  NET_BIND_SERVICE NET_BROADCAST NET_RAW SETFCAP SETGID SETPCAP SETUID SYS_ADMIN SYS_BOOT
  SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_TIME SYS_TTY_CONFIG SYSLOG
  WAKE_ALARM)

case $cmd in
  create)
    docker network inspect "$net" >/dev/null 2>&1 || docker network create --subnet "$subnet" "$net" >/dev/null
    args=(--detach --name "$name" --hostname "$name" --network "$net" --ip "$ip"
      --cgroupns private --cap-drop ALL --security-opt seccomp=unconfined
      --security-opt apparmor=unconfined --tmpfs /run --tmpfs /run/lock
      --memory "$mem" --memory-swap "$mem"
      -v "$name-docker:/var/lib/docker" -v "$name-containerd:/var/lib/containerd"
      -v "$name-kubelet:/var/lib/kubelet")
    for c in "${caps[@]}"; do args+=(--cap-add "$c"); done
    docker run "${args[@]}" local/io-node:bookworm /sbin/init >/dev/null
    for _ in $(seq 60); do
      s=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
      case $s in running | degraded) break ;; esac
      sleep 1
    done
    echo "$name: systemd $s"
    ;;
  rm)
    docker rm -f -v "$name" >/dev/null 2>&1 || true
    for v in docker containerd kubelet; do docker volume rm "$name-$v" >/dev/null 2>&1 || true; done
    if docker network inspect "$net" >/dev/null 2>&1 \
      && [ "$(docker network inspect -f '{{len .Containers}}' "$net")" = 0 ]; then
      docker network rm "$net" >/dev/null
    fi
    ;;
  *) echo "usage: $0 create|rm [NAME] [IP]" >&2; exit 2 ;;
esac
