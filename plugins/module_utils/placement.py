# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where each stack runs under each plan (behind the fleet_placement filter).

Input: every host's inventory facts (role, region, provider, memory) and the plan options.
Output, per host: the stacks it runs on Compose, the stacks it runs on Kubernetes, its runtime
(compose, k3s or none) and its cluster. Invalid choices raise PlacementError naming the variable
and the host, before anything changes.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

PLANS = ("compose", "plan1", "plan2", "plan3")
ROLES = ("data", "app", "macro", "edge")
PLAN1_TARGETS = {"korea": "app", "seoul": "edge"}
LOW_MEMORY_MB = 1024
# The inventory variables of a host that placement reads.
HOST_FACTS = ("fleet_role", "fleet_region", "fleet_memory_mb")


class PlacementError(ValueError):
    pass


def _bool(value, name):
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "yes", "1", "on"):
        return True
    if str(value).lower() in ("false", "no", "0", "off"):
        return False
    raise PlacementError("%s must be true or false, got %r" % (name, value))


def _check_hosts(hosts):
    by_region = {}
    for name, h in sorted(hosts.items()):
        for key in HOST_FACTS:
            if h.get(key) in (None, ""):
                raise PlacementError("%s: %s is not set" % (name, key))
        if h["fleet_role"] not in ROLES:
            raise PlacementError("%s: fleet_role %r is not one of %s"
                                 % (name, h["fleet_role"], ", ".join(ROLES)))
        try:
            mem = int(h["fleet_memory_mb"])
        except (TypeError, ValueError):
            raise PlacementError("%s: fleet_memory_mb %r is not a number of MiB"
                                 % (name, h["fleet_memory_mb"]))
        if mem <= 0:
            raise PlacementError("%s: fleet_memory_mb must be positive, got %d" % (name, mem))
        if h["fleet_region"] in by_region:
            raise PlacementError("%s: fleet_region %r is also the region of %s; the plans place one "
                                 "host per region" % (name, h["fleet_region"], by_region[h["fleet_region"]]))
        by_region[h["fleet_region"]] = name
    return by_region


def place(hosts, plan, plan1_target="korea", plan2_data_on_k3s=False, plan2_macro_on_k3s=False,
          k3s_footprint_mib=None, stack_demand_mib=None, os_reserve_mib=228):
    """Return {host: {runtime, compose_stacks, k8s_stacks, front_stacks, cluster, k3s_profile}}.

    ``front_stacks``: the Compose stacks of the host that front its Kubernetes stacks (plan 1-B:
    the edge beside the app's pods); the cutover, not the Compose plays, renders them.

    ``hosts`` maps a host to its inventory facts (fleet_role, fleet_region, fleet_memory_mb).
    With ``k3s_footprint_mib`` and ``stack_demand_mib`` (stack -> MiB), a host given k3s must
    hold the footprint, its stacks and ``os_reserve_mib`` (OS reserve + eviction threshold).
    """
    if plan not in PLANS:
        raise PlacementError("fleet_plan %r is not one of %s" % (plan, ", ".join(PLANS)))
    if not hosts:
        raise PlacementError("the inventory has no host in group fleet")
    by_region = _check_hosts(hosts)
    out = {}
    for name, h in hosts.items():
        out[name] = {"runtime": "compose", "compose_stacks": [h["fleet_role"]], "k8s_stacks": [],
                     "front_stacks": [], "cluster": None, "region": h["fleet_region"], "role": h["fleet_role"]}
    if plan == "plan1":
        targets = plan1_target if isinstance(plan1_target, (list, tuple)) else [plan1_target]
        if len(targets) != 1:
            raise PlacementError("fleet_plan1_target: plan 1 runs Kubernetes in one region; it names %d (%s)"
                                 % (len(targets), ", ".join(map(str, targets))))
        target = targets[0]
        if target not in PLAN1_TARGETS:
            raise PlacementError("fleet_plan1_target %r is not one of %s"
                                 % (target, ", ".join(sorted(PLAN1_TARGETS))))
        if target not in by_region:
            raise PlacementError("fleet_plan1_target %r: no host of the inventory is in region %r"
                                 % (target, target))
        host = by_region[target]
        app_hosts = [n for n, h in hosts.items() if h["fleet_role"] == "app"]
        out[host].update(runtime="k3s", cluster=target, k8s_stacks=["app"])
        out[host]["compose_stacks"] = [s for s in out[host]["compose_stacks"] if s != "app"]
        # 1-B: the edge stays on Compose beside the app's pods and is pointed at them by the
        # cutover, once they answer (the Compose plays leave it to the cutover).
        out[host]["front_stacks"] = [s for s in out[host]["compose_stacks"] if s == "edge"]
        for n in app_hosts:
            if n != host:  # 1-B: the app moves to the AWS host; its old Compose stack retires
                out[n].update(runtime="none", compose_stacks=[])
    elif plan == "plan2":
        data_k3s = _bool(plan2_data_on_k3s, "fleet_plan2_data_on_k3s")
        macro_k3s = _bool(plan2_macro_on_k3s, "fleet_plan2_macro_on_k3s")
        for name, p in out.items():
            role = p["role"]
            on_k3s = role in ("app", "edge") or (role == "data" and data_k3s) or (role == "macro" and macro_k3s)
            p.update(runtime="k3s", cluster=p["region"])
            if on_k3s:
                p.update(k8s_stacks=[role], compose_stacks=[])
    elif plan == "plan3":
        raise PlacementError("fleet_plan 'plan3' (managed OKE/EKS) is placed by the managed_cluster "
                             "role, not on the fleet's hosts")
    for name in sorted(out):
        p = out[name]
        mem = int(hosts[name]["fleet_memory_mb"])
        p["k3s_profile"] = None
        if p["runtime"] == "k3s":
            p["k3s_profile"] = "low-memory" if mem <= LOW_MEMORY_MB else "default"
            if k3s_footprint_mib is not None and stack_demand_mib is not None:
                stacks = p["k8s_stacks"] + p["compose_stacks"]
                stacks_mib = sum(stack_demand_mib.get(s, 0) for s in stacks)
                need = k3s_footprint_mib + os_reserve_mib + stacks_mib
                if need > mem:
                    raise PlacementError(
                        "%s: fleet_memory_mb is %d MiB but k3s with its stacks needs %d MiB (k3s %d + "
                        "%s %d + reserve %d); choose a 2 GB host, keep this stack on Compose without "
                        "k3s, or keep Compose" % (name, mem, need, k3s_footprint_mib,
                                                  "+".join(stacks) or "no stack", stacks_mib, os_reserve_mib))
    return out
