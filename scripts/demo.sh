#!/usr/bin/env bash
# The sandbox demo: the four-host fleet of inventories/sandbox as local 1 GiB systemd
# containers on the io-fleet network, first on the status quo (every stack on Docker Compose),
# then taken to plan 2 with the same playbook and command an operator runs in prod: a
# single-node Kubernetes per region, the app and the edge moved to theirs by a checked cutover,
# Flux in every cluster. Ends with the fleet: host, region, runtime, stacks, memory headroom.
#   bash scripts/demo.sh          bring the fleet up, converge the status quo, then plan 2
#   bash scripts/demo.sh down     remove the fleet
. "$(dirname "$0")/lib.sh"
cd "$IO_ROOT" || exit 1
bash scripts/setup-host.sh
use_venv
if [ "${1:-up}" = down ]; then
  molecule destroy -s plan2
  exit 0
fi
bash sandbox/build-images.sh
bash sandbox/prepare-kube.sh >/dev/null
log "creating the sandbox fleet on the status quo (molecule create -s plan2: playbooks/compose.yml)"
molecule create -s plan2 >"$IO_CACHE/demo-create.log" 2>&1 || { tail -40 "$IO_CACHE/demo-create.log"; exit 1; }
log "ansible-playbook playbooks/plan2.yml -i inventories/sandbox"
ansible-playbook playbooks/plan2.yml -i inventories/sandbox
domain=sandbox.test
cat <<EOT

Try it (the edge host aws-seoul is the public entry, like app./api. in production):
  docker exec aws-seoul curl -si -H 'Host: api.$domain' http://172.29.10.14/api/quotes
  docker exec aws-seoul curl -s -H 'Host: app.$domain' http://172.29.10.14/
  KUBECONFIG=$IO_CACHE/kubeconfigs/korea.conf $IO_CACHE/kube/v1.34.4/kubectl get pods -A
  docker exec oracle2 ls -R /LOG
Re-run the playbook: nothing changes (changed=0). Back to Compose in a region:
  ansible-playbook playbooks/rollback.yml -i inventories/sandbox --limit region_korea
Remove the fleet: bash scripts/demo.sh down
EOT
