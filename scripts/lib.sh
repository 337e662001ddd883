# shellcheck shell=bash
# Shared settings of the harness scripts. Sourced, never run.
# Caches live OUTSIDE the repository so a clean clone reuses them; every script rebuilds what is
# missing, so a fresh machine works too.
set -euo pipefail
IO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IO_CACHE=${IO_CACHE:-/var/cache/io-orch}
IO_VENV=${IO_VENV:-$IO_CACHE/venv}
export IO_ROOT IO_CACHE IO_VENV
mkdir -p "$IO_CACHE"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Content key of files/dirs: changes when any input changes.
content_key() {
  (cd "$IO_ROOT" && find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | sha256sum | cut -c1-16
}

# The image NAME carries label io.orch.key=KEY?
image_has_key() {
  [ "$(docker image inspect -f '{{ index .Config.Labels "io.orch.key" }}' "$1" 2>/dev/null)" = "$2" ]
}

use_venv() {
  # shellcheck disable=SC1091
  . "$IO_VENV/bin/activate"
  export ANSIBLE_CONFIG="$IO_ROOT/ansible.cfg"
}
