#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node_memory_headroom
short_description: Check that a host has the memory for what the plan puts on it
version_added: 0.1.0
author: investment platform team (!UNKNOWN)
description:
  - Reads the host's memory capacity, what already runs there and what the plan will run, and
    says whether it fits. Changes nothing.
  - Capacity is the smaller of C(MemTotal) from C(/proc/meminfo) and the cgroup memory limit of
    the module's own process (cgroup v1 C(memory.limit_in_bytes) under
    C(/sys/fs/cgroup/memory), else cgroup v2 C(memory.max) under C(/sys/fs/cgroup)), read at the
    mount root, where a container with a private cgroup namespace sees its own limit, and at
    every visible ancestor of its cgroup. Inside a container limited to 1 GiB on a 24 GB host
    the capacity is 1024 MiB, from the cgroup.
  - Used memory is measured, for things that already run and keep running, from the resident
    memory (C(VmRSS)) of the O(processes) and, with O(measure_compose), the cgroup memory of the
    running Docker containers.
  - Demand is what the plan will run, from the measured O(footprints) of O(components), the
    Compose files, the Kubernetes manifests and O(extra_demand).
  - A component that is both used and demanded (e.g. k3s already installed) is counted once, at
    the larger value. Used and demand items are matched by name; a footprint's C(covers) lists
    the process or container names that are that component.
  - "Headroom = capacity - O(os_reserve) - O(eviction_threshold) - committed, where committed
    sums, per name, the larger of used and demand. The verdict is C(fail) below O(min_free),
    C(warn) below O(warn_free), else C(ok)."
  - Quantities in options are in Kubernetes notation (C(512Mi), C(1Gi), C(100M)); the milli
    suffix C(m) is refused there. Compose files use Docker notation, where C(m) means MiB.
options:
  footprints:
    description:
      - Measured memory of components, name to entry. No number is built in.
      - Each entry has C(source) (where the measurement comes from; required, an entry without
        it is refused), and either C(bytes) (an integer) or C(quantity) (Kubernetes notation).
      - Optional C(covers) lists the measured process or container names that are this
        component (default its own name), so that a component already running is not counted
        twice.
      - Usually loaded from a file on the controller, for example
        C({{ lookup('ansible.builtin.file', 'footprints.yml') | from_yaml }}).
    type: dict
    default: {}
  components:
    description: Names of the O(footprints) the plan puts on this host.
    type: list
    elements: str
    default: []
  compose_files:
    description:
      - Paths on the target of Compose files the plan runs, merged in order like
        C(docker compose -f a -f b).
      - A service counts its limit (C(mem_limit) or C(deploy.resources.limits.memory)), else its
        reservation (C(deploy.resources.reservations.memory) or C(mem_reservation)), times
        C(scale) or C(deploy.replicas); a service with no limit is reported as unbounded.
      - Needs PyYAML on the target.
    type: list
    elements: path
    default: []
  manifests:
    description:
      - Kubernetes objects the plan runs on this node. Deployments, StatefulSets and ReplicaSets
        count their replicas, Jobs their parallelism, DaemonSets, Pods and CronJobs one pod;
        other kinds are ignored.
      - A pod counts like the scheduler counts it, the larger of the sum of its containers
        (with sidecars) and the peak of its init containers, plus C(spec.overhead); per
        workload the limit is used when every container has one, else the request.
    type: list
    elements: dict
    default: []
  extra_demand:
    description: Further demand, name to quantity (Kubernetes notation or bytes).
    type: dict
    default: {}
  processes:
    description: Names (C(/proc/<pid>/comm)) of running processes whose memory is measured.
    type: list
    elements: str
    default: [k3s, k3s-server, k3s-agent, containerd, dockerd, kubelet]
  measure_compose:
    description:
      - Measure the memory in use by running Docker containers from the cgroup file system,
        C(memory.usage_in_bytes) (cgroup v1, C(memory/docker/<id>)) or C(memory.current)
        (cgroup v2, C(system.slice/docker-<id>.scope)) less inactive file cache. Best effort;
        each container reports the file it was read from.
      - Containers are named by their Compose service label, so a service already running and
        planned again is counted once.
    type: bool
    default: false
  docker_root:
    description: Docker's data directory, where O(measure_compose) reads the containers' names.
    type: path
    default: /var/lib/docker
  os_reserve:
    description: Memory kept for the kernel and the system's own services.
    type: str
    default: 128Mi
  eviction_threshold:
    description: The kubelet's hard eviction threshold (C(memory.available)), kept free.
    type: str
    default: 100Mi
  warn_free:
    description: The verdict is C(warn) when the headroom is below this.
    type: str
    default: 128Mi
  min_free:
    description: The verdict is C(fail) when the headroom is below this.
    type: str
    default: "0"
  fail_on:
    description: With C(fail), the module fails when the verdict is C(fail); with C(never) it
      only returns the verdict.
    type: str
    choices: [fail, never]
    default: fail
  proc_root:
    description: Where procfs is mounted (for tests).
    type: path
    default: /proc
  sys_root:
    description: Where sysfs is mounted (for tests).
    type: path
    default: /sys
attributes:
  check_mode:
    support: full
    description: Read only; check mode runs the same checks.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  platform:
    support: full
    platforms: posix
    description: Reads Linux procfs and cgroup files.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
requirements:
  - PyYAML on the target, for O(compose_files)
notes:
  - Process memory is resident memory summed per process, so pages shared between processes
    are counted more than once and the figure errs high.
"""

EXAMPLES = r"""
- name: Will k3s and the region's services fit on this host?
  investment.orchestration.node_memory_headroom:
    footprints: "{{ lookup('ansible.builtin.file', 'files/footprints.yml') | from_yaml }}"
    components: [k3s]
    manifests: "{{ lookup('ansible.builtin.template', 'region.yml.j2') | from_yaml_all | list }}"
  register: memory

- name: Report the headroom of a Compose host without failing
  investment.orchestration.node_memory_headroom:
    compose_files: [/opt/investment/data/compose.yml]
    measure_compose: true
    fail_on: never
  register: memory

- name: Show it
  ansible.builtin.debug:
    msg: "{{ memory.message }}"
"""

RETURN = r"""
verdict:
  description: C(ok), C(warn) or C(fail).
  returned: always
  type: str
  sample: fail
message:
  description: The numbers in MiB and, on C(fail), what to change.
  returned: always
  type: str
  sample: >-
    FAIL: capacity 1024 MiB (from the cgroup limit) - OS reserve 128 MiB - eviction threshold
    100 MiB - committed 900 MiB (running 0 MiB, planned 900 MiB, each component counted once)
    = headroom -104 MiB, below the minimum of 0 MiB. ...
capacity_source:
  description: Where the capacity comes from, C(cgroup) (the cgroup limit is lower) or C(meminfo).
  returned: always
  type: str
  sample: cgroup
headroom:
  description: The facts behind the verdict, sizes in bytes.
  returned: always
  type: dict
  contains:
    capacity:
      description: C(bytes), C(source), C(meminfo_total_bytes), C(cgroup_limit_bytes) and
        C(cgroup_file) (the file the limit was read from).
      type: dict
    meminfo:
      description: C(MemTotal), C(MemAvailable), C(SwapTotal) and C(SwapFree) from
        C(/proc/meminfo), in bytes.
      type: dict
    capacity_bytes:
      description: The capacity.
      type: int
    os_reserve_bytes:
      description: O(os_reserve).
      type: int
    eviction_bytes:
      description: O(eviction_threshold).
      type: int
    used:
      description: Measured memory of what runs, C(total_bytes) and C(items) (name to bytes).
      type: dict
    demand:
      description: Memory the plan needs, C(total_bytes) and C(items) (name to bytes).
      type: dict
    committed:
      description: Per name, the larger of used and demand (C(bytes), C(used_bytes),
        C(demand_bytes), C(counted)), and their C(total_bytes).
      type: dict
    headroom_bytes:
      description: Capacity less reserve, eviction threshold and committed memory.
      type: int
    headroom_mib:
      description: The headroom in MiB, rounded toward zero to 0.1.
      type: float
    min_free_bytes:
      description: O(min_free).
      type: int
    warn_free_bytes:
      description: O(warn_free).
      type: int
    unbounded:
      description: Demand items without a memory limit (counted at their reservation or 0).
      type: list
      elements: str
    details:
      description: Where every figure comes from (C(footprints), C(compose), C(manifests),
        C(processes), C(containers)).
      type: dict
    verdict:
      description: As RV(verdict).
      type: str
    message:
      description: As RV(message).
      type: str
"""

import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.investment.orchestration.plugins.module_utils.memory import (
    DEFAULT_PROCESSES,
    capacity,
    compose_demand,
    headroom,
    manifest_demand,
    merge_compose,
    parse_quantity,
    process_rss,
    read_meminfo,
    scan_cgroup_limit,
    scan_compose_containers,
    scan_proc,
    validate_footprints,
)

try:
    import yaml
    HAS_YAML = True
    YAML_IMPORT_ERROR = None
except ImportError:
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()


def _add(items, origin, name, value, where):
    if name in items:
        raise ValueError("demand item %r comes from both %s and %s" % (name, origin[name], where))
    items[name] = value
    origin[name] = where


def _read_compose(paths):
    docs = []
    for path in paths:
        try:
            with open(path) as f:
                docs.append(yaml.safe_load(f))
        except (IOError, OSError) as exc:
            raise ValueError("cannot read Compose file %s: %s" % (path, exc))
        except yaml.YAMLError as exc:
            raise ValueError("Compose file %s is not valid YAML: %s" % (path, exc))
    try:
        return merge_compose(docs)
    except ValueError as exc:
        raise ValueError("%s: %s" % (", ".join(paths), exc))


def evaluate(params):
    """The module's work, from its parameters; returns (result dict, warnings)."""
    sizes = {}
    for option in ("os_reserve", "eviction_threshold", "warn_free", "min_free"):
        try:
            sizes[option] = parse_quantity(params[option], "k8s", allow_milli=False)
        except ValueError as exc:
            raise ValueError("%s: %s" % (option, exc))
    footprints = validate_footprints(params["footprints"])
    warnings = []
    demand, origin, aliases, unbounded = {}, {}, {}, []
    details = {"footprints": {}, "compose": {}, "manifests": {}}
    for name in params["components"]:
        if name not in footprints:
            raise ValueError("component %r has no measured footprint (known: %s)"
                             % (name, ", ".join(sorted(footprints)) or "none"))
        _add(demand, origin, name, footprints[name]["bytes"], "footprints")
        details["footprints"][name] = footprints[name]
        for covered in footprints[name]["covers"]:
            aliases[covered] = name
    if params["compose_files"]:
        services = compose_demand(_read_compose(params["compose_files"]))
        details["compose"] = services
        for name, svc in services.items():
            _add(demand, origin, name, svc["bytes"], "compose_files")
            if svc["unbounded"]:
                unbounded.append(name)
    workloads = manifest_demand(params["manifests"])
    details["manifests"] = workloads
    for name, wl in workloads.items():
        _add(demand, origin, name, wl["bytes"], "manifests")
        if wl["unbounded"]:
            unbounded.append(name)
        warnings.extend(wl["warnings"])
    for name, value in (params["extra_demand"] or {}).items():
        try:
            _add(demand, origin, name, parse_quantity(value, "k8s", allow_milli=False), "extra_demand")
        except ValueError as exc:
            raise ValueError("extra_demand %r: %s" % (name, exc))

    proc_root, sys_root = params["proc_root"], params["sys_root"]
    used = process_rss(scan_proc(proc_root, params["processes"]), params["processes"])
    details["processes"] = dict(used)
    details["containers"] = []
    if params["measure_compose"]:
        containers = scan_compose_containers(sys_root, params["docker_root"])
        details["containers"] = containers["containers"]
        for name, value in containers["items"].items():
            used[name] = used.get(name, 0) + value
        if not containers["containers"]:
            warnings.append("measure_compose: no running Docker container found in the cgroup file system")

    meminfo_path = os.path.join(proc_root, "meminfo")
    try:
        with open(meminfo_path) as f:
            meminfo = read_meminfo(f.read())
    except (IOError, OSError) as exc:
        raise ValueError("cannot read %s: %s" % (meminfo_path, exc))
    limit, limit_file = scan_cgroup_limit(sys_root, proc_root)
    cap = capacity(meminfo, limit)
    cap["cgroup_file"] = limit_file

    result = headroom(cap["bytes"], used, demand, sizes["os_reserve"], sizes["eviction_threshold"],
                      sizes["min_free"], sizes["warn_free"], aliases=aliases, capacity_source=cap["source"])
    result["capacity"] = cap
    result["meminfo"] = meminfo
    result["unbounded"] = sorted(unbounded)
    result["details"] = details
    if unbounded:
        note = " Without a memory limit (counted at their reservation, or 0): %s." % ", ".join(sorted(unbounded))
        result["message"] += note
        warnings.append(note.strip())
    return result, warnings


def main():
    module = AnsibleModule(
        argument_spec=dict(
            footprints=dict(type="dict", default={}),
            components=dict(type="list", elements="str", default=[]),
            compose_files=dict(type="list", elements="path", default=[]),
            manifests=dict(type="list", elements="dict", default=[]),
            extra_demand=dict(type="dict", default={}),
            processes=dict(type="list", elements="str", default=list(DEFAULT_PROCESSES)),
            measure_compose=dict(type="bool", default=False),
            docker_root=dict(type="path", default="/var/lib/docker"),
            os_reserve=dict(type="str", default="128Mi"),
            eviction_threshold=dict(type="str", default="100Mi"),
            warn_free=dict(type="str", default="128Mi"),
            min_free=dict(type="str", default="0"),
            fail_on=dict(type="str", choices=["fail", "never"], default="fail"),
            proc_root=dict(type="path", default="/proc"),
            sys_root=dict(type="path", default="/sys"),
        ),
        supports_check_mode=True,
    )
    if module.params["compose_files"] and not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML", reason="to read compose_files"),
                         exception=YAML_IMPORT_ERROR)
    try:
        result, warnings = evaluate(module.params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    for warning in warnings:
        module.warn(warning)
    facts = dict(changed=False, headroom=result, verdict=result["verdict"], message=result["message"],
                 capacity_source=result["capacity"]["source"])
    if result["verdict"] == "fail" and module.params["fail_on"] == "fail":
        module.fail_json(msg=result["message"], **facts)
    module.exit_json(**facts)


if __name__ == "__main__":
    main()
