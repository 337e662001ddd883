#!/usr/bin/env bash
# The sandbox demo: the four-host fleet of inventories/sandbox as local 1 GiB systemd
# containers on the io-fleet network, brought to the plan of the inventory (now: the status quo,
# every host on Docker Compose) with the same playbook and command an operator runs in prod.
#   bash scripts/demo.sh          bring the fleet up and converge it
#   bash scripts/demo.sh down     remove the fleet
. "$(dirname "$0")/lib.sh"
cd "$IO_ROOT" || exit 1
bash scripts/setup-host.sh
use_venv
if [ "${1:-up}" = down ]; then
  molecule destroy -s compose
  exit 0
fi
bash sandbox/build-images.sh
log "creating the sandbox fleet (molecule create -s compose)"
molecule create -s compose >"$IO_CACHE/demo-create.log" 2>&1 || { tail -40 "$IO_CACHE/demo-create.log"; exit 1; }
log "ansible-playbook playbooks/compose.yml -i inventories/sandbox"
ansible-playbook playbooks/compose.yml -i inventories/sandbox
domain=sandbox.test
edge=aws-seoul
log "the fleet"
printf '%-10s %-8s %-6s %-14s %-10s %s\n' HOST REGION ROLE ADDRESS MEM-USED SERVICES
for h in oracle1 oracle2 oracle3 aws-seoul; do
  vars=$(ansible-inventory -i inventories/sandbox --host "$h")
  region=$(jq -r .fleet_region <<<"$vars"); role=$(jq -r .fleet_role <<<"$vars")
  ip=$(jq -r .fleet_public_ip <<<"$vars")
  mem=$(docker exec "$h" sh -c 'echo $(( $(cat /sys/fs/cgroup/memory/memory.usage_in_bytes) - $(awk "/^total_inactive_file /{print \$2}" /sys/fs/cgroup/memory/memory.stat) ))')
  svcs=$(docker exec "$h" docker compose -p "investment-$role" ps --format '{{.Service}}({{.Health}})' | tr '\n' ' ')
  printf '%-10s %-8s %-6s %-14s %-10s %s\n' "$h" "$region" "$role" "$ip" "$((mem / 1048576))MiB" "$svcs"
done
cat <<EOT

Try it (the edge host aws-seoul is the public entry, like app./api. in production):
  docker exec $edge curl -s -H 'Host: api.$domain' http://127.0.0.1/api/quotes
  docker exec $edge curl -s -H 'Host: app.$domain' http://127.0.0.1/
  docker exec oracle2 curl -s -H 'Host: api.$domain' http://127.0.0.1/predict
  docker exec oracle2 ls -R /LOG
Re-run the playbook: nothing changes (changed=0). Remove the fleet: bash scripts/demo.sh down
EOT
