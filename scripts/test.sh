#!/usr/bin/env bash
# All tests, from a fresh Debian bookworm machine (as root): installs what it needs, starts
# dockerd, builds the sandbox images (cached by content), then runs
#   1. unit tests (pytest, tests/unit)
#   2. playbook tests without hosts: bad input refused before any change, syntax checks;
#      integration tests against a real API server (tests/integration_k8s)
#   3. lint: ansible-lint (production profile), antsibull-changelog lint, ansible-test sanity
#   4. molecule scenarios: ${IO_SCENARIOS:-all under molecule/}
# Each step's log is under $IO_CACHE/logs; the summary at the end gives times and results.
. "$(dirname "$0")/lib.sh"
cd "$IO_ROOT"
logs="$IO_CACHE/logs"; mkdir -p "$logs"
results=()
failed=0
step() { # NAME COMMAND...
  local name=$1 start rc; shift
  log "$name"
  start=$(date +%s)
  set +e; "$@" 2>&1 | tee "$logs/$name.log"; rc=${PIPESTATUS[0]}; set -e
  results+=("$(printf '%-22s %-6s %4ss' "$name" "$([ "$rc" = 0 ] && echo ok || echo FAIL)" "$(( $(date +%s) - start ))")")
  [ "$rc" = 0 ] || failed=$((failed + 1))
}

step setup-host bash scripts/setup-host.sh
step build-images bash sandbox/build-images.sh
use_venv
# module_utils (the logic) must stay >= 90 % covered by the unit tests (whole directory, as imported
# through the collections/ link); the data file stays out of the checkout.
step unit env COVERAGE_FILE="$IO_CACHE/unit.coverage" python -m pytest -q -p no:cacheprovider tests/unit \
  --cov=collections/ansible_collections/investment/orchestration/plugins/module_utils \
  --cov-report=term-missing --cov-fail-under=90
step playbooks python -m pytest -q -p no:cacheprovider tests/playbooks
step ee python -m pytest -q -p no:cacheprovider tests/ee
# A real Kubernetes API server (upstream v1.34.4 built from the Go module proxy, etcd from
# Debian) on loopback: manifest_apply and k8s_app_stack against it.
step build-kube bash scripts/build-kube-apiserver.sh
step k8s-integration python -m pytest -q -p no:cacheprovider tests/integration_k8s
# A real 1 GiB single node (tools/kube-node) with CoreDNS built from the Go module proxy.
step build-go-images bash scripts/build-go-images.sh
step node-integration python -m pytest -q -p no:cacheprovider tests/integration_node
step cloud-integration python -m pytest -q -p no:cacheprovider tests/integration_cloud
step ansible-lint ansible-lint --profile production
step changelog-lint antsibull-changelog lint
step sanity bash scripts/sanity.sh
scenarios=${IO_SCENARIOS:-$(find molecule -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tr '\n' ' ')}
for s in $scenarios; do
  step "molecule-$s" molecule test -s "$s"
done

printf '\nSummary\n'; printf '  %s\n' "${results[@]}"
total=${#results[@]}
echo "$((total - failed)) passed, $failed failed"
[ "$failed" = 0 ]
