#!/usr/bin/env bash
# All tests, from a fresh Debian bookworm machine (as root): installs what it needs, starts
# dockerd, builds the sandbox images (cached by content), then runs
#   1. in the background, one after the other: the Go builds of plan 1 (Kubernetes, CoreDNS;
#      sandbox/prepare-kube.sh core), of plan 2 (the Flux controllers) and of plan 3 (Traefik)
#   2. unit tests (pytest, tests/unit); playbook tests without hosts (bad input refused before
#      any change, syntax checks); the EE context; EKS against moto
#   3. lint: ansible-lint (production profile), antsibull-changelog lint, ansible-test sanity
#   4. molecule scenarios that need no Go build (compose, headroom)
#   5. once plan 1's builds are done: integration tests against a real API server
#      (tests/integration_k8s), the plan1 scenario; once Flux is built: a real single node
#      (tests/integration_node) and the other scenarios; plan3 (its own containers and network)
#      in the background once Traefik is built, beside plan1 or plan2
#   (${IO_SCENARIOS:-all under molecule/ but plan1b} selects the scenarios)
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
  # the job's own time, not the time until bg_wait
  rm -f "$logs/$name.end" "$logs/$name.rc"
  ( rc=0; "$@" || rc=$?; date +%s >"$logs/$name.end"; echo "$rc" >"$logs/$name.rc"; exit "$rc" ) \
    >"$logs/$name.log" 2>&1 &
  bg_pid[$name]=$!
}
after() { # NAME COMMAND...: waits for the background step NAME, runs COMMAND if NAME passed
  local name=$1; shift
  while [ ! -e "$logs/$name.rc" ]; do sleep 5; done
  [ "$(cat "$logs/$name.rc")" = 0 ] || { echo "$name failed"; return 1; }
  echo "$name done; running $*"
  "$@"
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
# plan1b (plan 1-B and the interrupted upgrade, rollback and uninstall, about 25 min) runs only when
# named (IO_SCENARIOS="plan1b"): beside plan2 it made plan2's nodes miss their Ready wait, and after
# it the run would pass CI's 90 minutes.
scenarios=${IO_SCENARIOS:-$(find molecule -mindepth 1 -maxdepth 1 -type d ! -name plan1b -printf '%f\n' | sort | tr '\n' ' ')}
# Scenarios that need none of the Go builds run while those build.
early=() late=()
for s in $scenarios; do
  case $s in compose|headroom) early+=("$s") ;; *) late+=("$s") ;; esac
done

step setup-host bash scripts/setup-host.sh
# The Go builds, about 35 min on two cold cores, seconds when cached; niced, in the background
# from here on, while the steps that need none of them run. In order of need: plan 1's
# (upstream Kubernetes v1.34.4, for a real API server on loopback and the single-node Kubernetes
# of the plans, etcd from Debian; CoreDNS), plan 2's (the Flux controllers; git's .debs) and
# plan 3's (Traefik). Each waits for the one before it (after), so they never compete.
bg_start build-kube bash sandbox/prepare-kube.sh core
step build-images bash sandbox/build-images.sh
# (git's .debs are read from the node image just built)
bg_start build-flux after build-kube bash sandbox/prepare-kube.sh flux
bg_start build-traefik after build-flux bash scripts/build-go-images.sh traefik
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
bg_wait build-kube
# A real Kubernetes API server on loopback: manifest_apply and k8s_app_stack against it.
step k8s-integration python -m pytest -q -p no:cacheprovider tests/integration_k8s
# plan3 has containers and a network of its own (plan3-data, plan3-worker on io-plan3): in the
# background once Traefik is built (a failed build fails it), beside plan1 or plan2.
# plan1b (p1b-* on io-plan1b) too, from here: beside plan2 it made plan2's nodes miss their
# Ready wait.
for s in "${late[@]}"; do
  case $s in
    plan3) bg_start molecule-plan3 after build-traefik molecule test -s plan3 ;;
    plan1b) bg_start molecule-plan1b molecule test -s plan1b ;;
  esac
done
# plan 1 needs no Flux: it runs while the Flux controllers build.
for s in "${late[@]}"; do
  [ "$s" = plan1 ] && step molecule-plan1 molecule test -s plan1
done
bg_wait build-flux
# A real 1 GiB single node (tools/kube-node) with CoreDNS and Flux.
step node-integration python -m pytest -q -p no:cacheprovider tests/integration_node
for s in "${late[@]}"; do
  case $s in plan1|plan1b|plan3) ;; *) step "molecule-$s" molecule test -s "$s" ;; esac
done
bg_wait build-traefik
for s in plan3 plan1b; do
  if [ -n "${bg_pid[molecule-$s]:-}" ]; then bg_wait "molecule-$s"; fi
done

printf '\nSummary\n'; printf '  %s\n' "${results[@]}"
total=${#results[@]}
echo "$((total - failed)) passed, $failed failed"
[ "$failed" = 0 ]
