#!/usr/bin/env bash
# All tests, from a fresh Debian bookworm machine (as root): installs what it needs, starts
# dockerd, builds the sandbox images (cached by content), then runs
#   1. in the background: the Go builds (Kubernetes, CoreDNS, Flux, Traefik)
#   2. unit tests (pytest, tests/unit); playbook tests without hosts (bad input refused before
#      any change, syntax checks); the EE context; EKS against moto
#   3. lint: ansible-lint (production profile), antsibull-changelog lint, ansible-test sanity
#   4. molecule scenarios that need no Go build (compose, headroom)
#   5. after the builds: integration tests against a real API server (tests/integration_k8s) and
#      a real single node (tests/integration_node); the other molecule scenarios, plan3 (its own
#      containers and network) in the background beside plan1 and plan2
#   (${IO_SCENARIOS:-all under molecule/} selects the scenarios)
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

declare -A bg_pid bg_start
bg_start() { # NAME COMMAND...: a step in the background; bg_wait NAME records its result
  local name=$1; shift
  log "$name (in the background, log: $logs/$name.log)"
  bg_start[$name]=$(date +%s)
  rm -f "$logs/$name.end"
  # the job's own time, not the time until bg_wait
  rm -f "$logs/$name.rc"
  ( rc=0; "$@" || rc=$?; date +%s >"$logs/$name.end"; echo "$rc" >"$logs/$name.rc"; exit "$rc" ) \
    >"$logs/$name.log" 2>&1 &
  bg_pid[$name]=$!
}
bg_wait() { # NAME
  local name=$1 rc
  log "waiting for $name"
  set +e; wait "${bg_pid[$name]}"; rc=$?; set -e
  # the whole end of a failed step: CI shows only this output
  tail -n "$([ "$rc" = 0 ] && echo 20 || echo 400)" "$logs/$name.log"
  results+=("$(printf '%-22s %-6s %4ss' "$name" "$([ "$rc" = 0 ] && echo ok || echo FAIL)" \
    "$(( $(cat "$logs/$name.end" 2>/dev/null || date +%s) - ${bg_start[$name]} ))")")
  [ "$rc" = 0 ] || failed=$((failed + 1))
  return 0
}
scenarios=${IO_SCENARIOS:-$(find molecule -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tr '\n' ' ')}
# Scenarios that need none of the Go builds run while those build.
early=() late=()
for s in $scenarios; do
  case $s in compose|headroom) early+=("$s") ;; *) late+=("$s") ;; esac
done

step setup-host bash scripts/setup-host.sh
# The Go builds: upstream Kubernetes v1.34.4 (for a real API server on loopback and the
# single-node Kubernetes of the plans, etcd from Debian), CoreDNS, the Flux controllers and
# Traefik from the Go module proxy. About 30 min on two cold cores, seconds when cached; niced,
# in the background from here on (the sandbox images build beside them), while the steps that
# need none of them run.
# Traefik (plan 3's scenario only) builds last, while the integration steps and the plan 1 and 2
# scenarios run: bg_wait build-traefik comes just before the scenarios that need it.
bg_start build-go bash -c 'bash scripts/build-kube-apiserver.sh &&
  bash scripts/build-go-images.sh coredns flux-source-controller flux-kustomize-controller'
step build-images bash sandbox/build-images.sh
use_venv
# module_utils (the logic) must stay >= 90 % covered by the unit tests (whole directory, as imported
# through the collections/ link); the data file stays out of the checkout.
step unit env COVERAGE_FILE="$IO_CACHE/unit.coverage" python -m pytest -q -p no:cacheprovider tests/unit \
  --cov=collections/ansible_collections/investment/orchestration/plugins/module_utils \
  --cov-report=term-missing --cov-fail-under=90
step playbooks python -m pytest -q -p no:cacheprovider tests/playbooks
step ee python -m pytest -q -p no:cacheprovider tests/ee
step cloud-integration python -m pytest -q -p no:cacheprovider tests/integration_cloud
step ansible-lint ansible-lint --profile production
step changelog-lint antsibull-changelog lint
step sanity bash scripts/sanity.sh
# headroom has hosts and a network of its own (hr-*, io-headroom): in the background beside compose
for s in "${early[@]}"; do
  [ "$s" = headroom ] && bg_start molecule-headroom molecule test -s headroom
done
for s in "${early[@]}"; do
  [ "$s" = headroom ] || step "molecule-$s" molecule test -s "$s"
done
if [ -n "${bg_pid[molecule-headroom]:-}" ]; then bg_wait molecule-headroom; fi
bg_wait build-go
bg_start build-traefik bash scripts/build-go-images.sh traefik
# A real Kubernetes API server on loopback: manifest_apply and k8s_app_stack against it.
step k8s-integration python -m pytest -q -p no:cacheprovider tests/integration_k8s
# A real 1 GiB single node (tools/kube-node) with CoreDNS and Flux.
step node-integration python -m pytest -q -p no:cacheprovider tests/integration_node
# plan3 has containers and a network of its own (plan3-data, plan3-worker on io-plan3): it runs
# in the background beside the other scenarios, once Traefik is built (it waits for that build's
# result file; a failed build fails it). plan1b (p1b-* on io-plan1b) runs in the background
# beside plan2, the last of the others.
for s in "${late[@]}"; do
  [ "$s" = plan3 ] || continue
  # shellcheck disable=SC2016  # expanded by the inner bash
  bg_start molecule-plan3 bash -c 'while [ ! -e "$1/build-traefik.rc" ]; do sleep 5; done
    [ "$(cat "$1/build-traefik.rc")" = 0 ] || { echo "the Traefik build failed"; exit 1; }
    exec molecule test -s plan3' _ "$logs"
done
selected() { [[ " ${late[*]} " == *" $1 "* ]]; }
for s in "${late[@]}"; do
  case $s in
    plan3) ;;
    plan1b) selected plan2 || step molecule-plan1b molecule test -s plan1b ;;
    plan2) if selected plan1b; then bg_start molecule-plan1b molecule test -s plan1b; fi
      step molecule-plan2 molecule test -s plan2 ;;
    *) step "molecule-$s" molecule test -s "$s" ;;
  esac
done
bg_wait build-traefik
for s in plan3 plan1b; do
  if [ -n "${bg_pid[molecule-$s]:-}" ]; then bg_wait "molecule-$s"; fi
done

printf '\nSummary\n'; printf '  %s\n' "${results[@]}"
total=${#results[@]}
echo "$((total - failed)) passed, $failed failed"
[ "$failed" = 0 ]
