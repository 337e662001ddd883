#!/usr/bin/env bash
# ansible-test sanity needs the collection at .../ansible_collections/<ns>/<name>: run it on a
# copy of the tracked files (the collections/ link back to the checkout is left out).
. "$(dirname "$0")/lib.sh"
use_venv
# ansible-test bootstraps pip in its venvs with a script from ci-files.testing.ansible.com, which
# is not reachable: give it an offline equivalent built on the pip wheel from PyPI.
pip_version=$(python - <<'PY'
import re, ansible_test, pathlib
src = (pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py").read_text()
print(re.search(r"\bpip='([^']+)'", src).group(1))
PY
)
# The wheel is pinned by sha256 (as PyPI publishes it) for each pip that ansible-test asks for.
declare -A pip_sha256=(
  [24.2]=2cd581cf58ab7fcfca4ce8efa6dcacd0de5bf8d0a3eb9ec927e07405f4d9e2a2
)
[ -n "${pip_sha256[$pip_version]:-}" ] || {
  echo "ansible-test wants pip $pip_version: add the sha256 of its wheel to pip_sha256 in $0" >&2
  exit 1
}
get_pip="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
wheel="$(dirname "$get_pip")/pip.whl"
if [ ! -s "$get_pip" ] || ! echo "${pip_sha256[$pip_version]}  $wheel" | sha256sum -c --status 2>/dev/null; then
  mkdir -p "$(dirname "$get_pip")"
  echo "pip==$pip_version --hash=sha256:${pip_sha256[$pip_version]}" >"$(dirname "$get_pip")/pip-requirements.txt"
  pip download -q --no-deps --require-hashes -d "$(dirname "$get_pip")" -r "$(dirname "$get_pip")/pip-requirements.txt"
  cp "$(dirname "$get_pip")/pip-$pip_version-py3-none-any.whl" "$wheel"
  cp "$IO_ROOT/scripts/ansible-test/get_pip.py" "$get_pip"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dst="$work/ansible_collections/investment/orchestration"
mkdir -p "$dst"
(cd "$IO_ROOT" && git ls-files -co --exclude-standard | grep -v '^collections/' | tar -cT - -f -) | tar -C "$dst" -xf -
cd "$dst" || exit 1
ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --requirements --color no "$@"
