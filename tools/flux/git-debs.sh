#!/usr/bin/env bash
# Downloads (apt-get download, on this controller) git and the packages it needs that the
# sandbox node image local/io-node:bookworm lacks or has in another version (the controller's
# candidate is taken, e.g. perl needs the perl-base of its own version), for roles/gitops_repo's gitops_repo_package_dir
# (the sandbox fleet has no apt access). Prints the directory. Cached: a second run downloads
# nothing.
set -euo pipefail
IO_CACHE=${IO_CACHE:-/var/cache/io-orch}
dir=$IO_CACHE/debs/gitops-repo
image=${NODE_IMAGE:-local/io-node:bookworm}
if ! ls "$dir"/git_*.deb >/dev/null 2>&1; then
  mkdir -p "$dir.tmp"
  installed=$(docker run --rm "$image" dpkg-query -W -f '${Package}=${Version}\n' | sort -u)
  wanted=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances git | awk '/^[a-z0-9]/ {print $1}' | sort -u |
    xargs apt-cache policy | awk '/^[^ ]/ {sub(/:$/, ""); p = $1} /Candidate:/ {print p "=" $2}' | sort -u)
  need=$(comm -23 <(echo "$wanted") <(echo "$installed") | cut -d= -f1)
  # shellcheck disable=SC2086 # a list of package names
  (cd "$dir.tmp" && apt-get download $need >/dev/null)
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir"
