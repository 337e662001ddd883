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
get_pip="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -s "$get_pip" ]; then
  mkdir -p "$(dirname "$get_pip")"
  pip download -q --no-deps -d "$(dirname "$get_pip")" "pip==$pip_version"
  cp "$(dirname "$get_pip")/pip-$pip_version-py3-none-any.whl" "$(dirname "$get_pip")/pip.whl"
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
