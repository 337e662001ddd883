#!/usr/bin/env bash
# Memory each sandbox host uses once converged: the node container's cgroup usage less its
# inactive file cache (what the kernel cannot simply drop), and each Compose service's share.
# Needs the fleet up (bash scripts/demo.sh). Writes benchmarks/results/fleet_memory.json.
. "$(dirname "$0")/../scripts/lib.sh"
out="$IO_ROOT/benchmarks/results/fleet_memory.json"
hosts=(oracle1 oracle2 oracle3 aws-seoul)
{
  printf '{"date": "%s", "machine": "%s, %s vCPU", "hosts": {' "$(date -u +%FT%TZ)" "$(uname -m)" "$(nproc)"
  sep=""
  for h in "${hosts[@]}"; do
    node=$(docker exec "$h" sh -c '
      u=$(cat /sys/fs/cgroup/memory/memory.usage_in_bytes)
      i=$(awk "/^total_inactive_file /{print \$2}" /sys/fs/cgroup/memory/memory.stat)
      l=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
      echo "$u $i $l"')
    read -r usage inactive limit <<<"$node"
    svcs=$(docker exec "$h" docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | awk '{print $1, $2}' |
      python3 -c '
import sys, json, re
units = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
out = {}
for line in sys.stdin:
    name, use = line.split()
    m = re.match(r"([0-9.]+)([A-Za-z]+)", use)
    out[name] = round(float(m.group(1)) * units[m.group(2)] / 1048576, 1)
print(json.dumps(out))')
    printf '%s"%s": {"limit_mib": %d, "working_set_mib": %d, "usage_with_cache_mib": %d, "containers_mib": %s}' \
      "$sep" "$h" $((limit / 1048576)) $(((usage - inactive) / 1048576)) $((usage / 1048576)) "$svcs"
    sep=", "
  done
  printf '}}\n'
} | python3 -m json.tool >"$out"
cat "$out"
