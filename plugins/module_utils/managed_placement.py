# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placement for plan 3: a managed cluster (EKS or OKE) in one region, grown in stages.

``managed_place(options, hosts=None, prefix="fleet_plan3_")`` checks the plan 3 choices and
returns the clusters to build and where every stack runs. ``options`` keys (bare names; errors
name them with ``prefix``, so the inventory's ``fleet_plan3_*`` or the role's
``managed_cluster_*`` variables are named as the user wrote them):

- ``provider``: ``eks`` or ``oke``; ``region``: the cloud region (``ap-northeast-2``,
  ``ap-chuncheon-1``...); ``stage``: 1, 2 or 3; ``cluster_name``.
- ``workers``, ``shape``, ``ocpus``, ``memory_gb``: the first node pool when ``node_pools`` is
  not given. ``node_pools``: a list of ``{name, shape, size (or count), ocpus, memory_gb}``;
  the result gives every pool as ``{name, shape, size, memory_gb[, ocpus]}``.
- ``stage3``: ``pool`` (a second node pool in the cluster) or ``cluster`` (a second cluster,
  ``second_cluster``: ``{name, region, node_pools}``); ``stage3_stacks``: the stacks the stage 3
  pool or cluster takes over (``macro``, ``edge``).
- ``api_allowed_cidrs``: who may reach the cluster's public API endpoint.
- ``stacks``: the stacks the cluster runs from stage 1 (default ``["app"]``; ``app`` always, and
  ``edge`` for the frontend that the ingress serves as ``app.``); ``egress_addresses``: the
  addresses the cluster's pods leave from (NAT gateway or worker public IPs), which the data
  tier's firewall admits: IPv4 addresses or networks no wider than /8.

Refused, before any change (``ManagedPlacementError`` naming the variable, and the host when one
is concerned): an unknown provider or stage, a worker shape under 2 GB of memory (from
``SHAPE_MEMORY_GB``, or ``memory_gb`` of a flexible shape), a shape of the other cloud, stage 3
without a second pool or cluster, more than one pool before stage 3, an API allow-list that is
empty or contains ``0.0.0.0/0`` or ``::/0``, a malformed CIDR or region, a stack the cluster cannot
run (``data`` stays outside) or one named twice, an egress address that is not IPv4 or wider than
/8.

Result: ``{"provider", "region", "stage", "clusters": [{"name", "region", "role", "node_pools"}],
"hosts": {host: {"runtime", "compose_stacks", "k8s_stacks", "cluster", "region", "role",
"k3s_profile"}}, "k8s_stacks", "compose_stacks"}``; per host the same shape as the
``fleet_placement`` filter (runtime ``compose`` or ``none``: plan 3 runs no k3s on the fleet).
The data tier always stays outside on Compose (stage 2 makes it explicit).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

PROVIDERS = {"eks": "aws", "oke": "oci"}
STAGES = (1, 2, 3)
MIN_WORKER_GB = 2
DEFAULT_SHAPE = {"eks": "t3.small", "oke": "VM.Standard.E4.Flex"}

# Memory of fixed shapes in GiB (AWS instance types, OCI fixed VM shapes).
SHAPE_MEMORY_GB = {
    "t3.nano": ("aws", 0.5), "t3.micro": ("aws", 1), "t3.small": ("aws", 2), "t3.medium": ("aws", 4),
    "t3.large": ("aws", 8), "t3.xlarge": ("aws", 16),
    "t3a.micro": ("aws", 1), "t3a.small": ("aws", 2), "t3a.medium": ("aws", 4),
    "t4g.micro": ("aws", 1), "t4g.small": ("aws", 2), "t4g.medium": ("aws", 4),
    "m5.large": ("aws", 8),
    "VM.Standard.E2.1.Micro": ("oci", 1), "VM.Standard.E2.1": ("oci", 8), "VM.Standard.E2.2": ("oci", 16),
}
# OCI flexible shapes: memory comes from the pool's memory_gb (shape_config.memory_in_gbs);
# (max OCPUs, max GB per OCPU).
FLEX_SHAPES = {
    "VM.Standard.E3.Flex": (64, 64), "VM.Standard.E4.Flex": (64, 64), "VM.Standard.E5.Flex": (94, 64),
    "VM.Standard.A1.Flex": (80, 64), "VM.Standard3.Flex": (32, 64),
}
STACKS_STAGE3 = ("macro", "edge")
STACKS_STAGE1 = ("app", "edge", "macro")
_REGION = {"eks": re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"), "oke": re.compile(r"^[a-z]{2}-[a-z]+-[0-9]$")}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


class ManagedPlacementError(ValueError):
    pass


def _int(value, name, minimum):
    if isinstance(value, bool):
        raise ManagedPlacementError("%s must be a number, got %r" % (name, value))
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise ManagedPlacementError("%s must be a whole number, got %r" % (name, value))
    if number < minimum:
        raise ManagedPlacementError("%s must be at least %d, got %d" % (name, minimum, number))
    return number


def _float(value, name):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ManagedPlacementError("%s must be a number, got %r" % (name, value))
    return int(number) if number.is_integer() else number


def shape_memory_gb(provider, shape, memory_gb=None, ocpus=None, name="shape"):
    """Memory in GB of one worker of ``shape`` (flexible shapes: ``memory_gb``); checks the cloud."""
    if shape in FLEX_SHAPES:
        if PROVIDERS[provider] != "oci":
            raise ManagedPlacementError("%s %r is an OCI shape, not a %s one" % (name, shape, provider))
        max_ocpus, max_gb_per_ocpu = FLEX_SHAPES[shape]
        if memory_gb in (None, ""):
            raise ManagedPlacementError("%s %s is flexible: set its memory_gb (shape_config memory_in_gbs)"
                                        % (name, shape))
        ocpus = _float(1 if ocpus in (None, "") else ocpus, "%s ocpus" % name)
        if not 1 <= ocpus <= max_ocpus:
            raise ManagedPlacementError("%s ocpus of %s must be 1 to %d, got %s" % (name, shape, max_ocpus, ocpus))
        memory = _float(memory_gb, "%s memory_gb" % name)
        if memory > ocpus * max_gb_per_ocpu:
            raise ManagedPlacementError("%s memory_gb %s exceeds %d GB per OCPU of %s"
                                        % (name, memory, max_gb_per_ocpu, shape))
        return memory
    if shape not in SHAPE_MEMORY_GB:
        raise ManagedPlacementError("%s %r is not a known worker shape; known: %s"
                                    % (name, shape, ", ".join(sorted(list(SHAPE_MEMORY_GB) + list(FLEX_SHAPES)))))
    cloud, memory = SHAPE_MEMORY_GB[shape]
    if cloud != PROVIDERS[provider]:
        raise ManagedPlacementError("%s %r is an %s shape, not a %s one" % (name, shape, cloud.upper(), provider))
    return memory


def _pool(provider, pool, name, default_name, shape_var=None, count_var=None):
    if not isinstance(pool, dict):
        raise ManagedPlacementError("%s must be a dict with name, shape and size, got %r" % (name, pool))
    pool_name = str(pool.get("name") or default_name)
    if not _NAME.match(pool_name):
        raise ManagedPlacementError("%s name %r must be letters, digits, - or _ (up to 63)" % (name, pool_name))
    shape = pool.get("shape") or DEFAULT_SHAPE[provider]
    label = "%s (%s)" % (name, pool_name)
    shape_label = shape_var or "%s shape" % label
    memory = shape_memory_gb(provider, shape, pool.get("memory_gb"), pool.get("ocpus"), shape_label)
    if memory < MIN_WORKER_GB:
        raise ManagedPlacementError("%s %s has %s GB of memory; plan 3 workers need at least %d GB"
                                    % (shape_label, shape, memory, MIN_WORKER_GB))
    out = {"name": pool_name, "shape": shape, "memory_gb": memory,
           "size": _int(pool.get("size", pool.get("count", 1)), count_var or "%s size" % label, 1)}
    if shape in FLEX_SHAPES:
        out["ocpus"] = _float(pool.get("ocpus") or 1, "%s ocpus" % label)
    return out


def _pools(provider, pools, name):
    if not isinstance(pools, (list, tuple)) or not pools:
        raise ManagedPlacementError("%s must be a non-empty list of node pools" % name)
    out = [_pool(provider, p, "%s[%d]" % (name, i), "pool%d" % (i + 1)) for i, p in enumerate(pools)]
    names = [p["name"] for p in out]
    for pool_name in names:
        if names.count(pool_name) > 1:
            raise ManagedPlacementError("%s names node pool %r twice" % (name, pool_name))
    return out


def _networks(values, name, what, strict):
    """Each entry of VALUES with its ipaddress network; a malformed one is refused, naming NAME."""
    for value in values:
        try:
            yield value, ipaddress.ip_network(str(value), strict=strict)
        except ValueError as exc:
            raise ManagedPlacementError("%s: %r is not %s (%s)" % (name, value, what, exc))


def _cidrs(value, name):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise ManagedPlacementError("%s must list the CIDRs allowed to reach the cluster API endpoint "
                                    "(an empty list leaves it open to the internet)" % name)
    out = []
    for cidr, net in _networks(value, name, "a CIDR", strict=True):
        if net.prefixlen == 0:
            raise ManagedPlacementError("%s contains %s: the cluster API endpoint must not be open to the "
                                        "whole internet; list the admin and AWX addresses" % (name, cidr))
        out.append(str(net))
    return out


def _egress(value, name):
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ManagedPlacementError("%s must be a list of IPv4 addresses or networks" % name)
    out = []
    for address, net in _networks(value, name, "an IPv4 address or network", strict=False):
        if net.version != 4 or net.prefixlen < 8:
            raise ManagedPlacementError("%s contains %s: the data tier's firewall admits IPv4 sources no wider "
                                        "than /8 (the cluster's NAT gateway or worker addresses)" % (name, address))
        out.append(str(address))
    return out


def _stage1_stacks(value, name):
    stacks = list(value or ["app"])
    for stack in stacks:
        if stack not in STACKS_STAGE1:
            raise ManagedPlacementError("%s names %r; the cluster runs %s (the data tier stays outside)"
                                        % (name, stack, ", ".join(STACKS_STAGE1)))
        if stacks.count(stack) > 1:
            raise ManagedPlacementError("%s names %r twice" % (name, stack))
    if "app" not in stacks:
        raise ManagedPlacementError("%s %r must include app: plan 3 moves the API stack first" % (name, stacks))
    return stacks


def managed_place(options, hosts=None, prefix="fleet_plan3_"):
    """Check the plan 3 choices and return clusters and per-host placement; see the module docstring."""
    o = dict(options or {})

    def var(key):
        return prefix + key

    provider = o.get("provider")
    if provider not in PROVIDERS:
        raise ManagedPlacementError("%s %r is not one of %s" % (var("provider"), provider, ", ".join(sorted(PROVIDERS))))
    region = o.get("region")
    if not region or not _REGION[provider].match(str(region)):
        raise ManagedPlacementError("%s %r is not a %s region name (e.g. %s)"
                                    % (var("region"), region, provider,
                                       "ap-northeast-2" if provider == "eks" else "ap-chuncheon-1"))
    stage = o.get("stage", 1)
    if isinstance(stage, bool) or str(stage) not in ("1", "2", "3"):
        raise ManagedPlacementError("%s %r is not one of 1, 2, 3" % (var("stage"), stage))
    stage = int(str(stage))
    cluster_name = str(o.get("cluster_name") or "investment-plan3")
    if not _NAME.match(cluster_name):
        raise ManagedPlacementError("%s %r must be letters, digits, - or _ (up to 63)" % (var("cluster_name"), cluster_name))

    if o.get("node_pools"):
        pools = _pools(provider, o["node_pools"], var("node_pools"))
    else:
        pools = [_pool(provider, {"name": "pool1", "shape": o.get("shape"), "count": o.get("workers", 1),
                                  "ocpus": o.get("ocpus"), "memory_gb": o.get("memory_gb")},
                       var("shape"), "pool1", shape_var=var("shape"), count_var=var("workers"))]
    allowed = _cidrs(o.get("api_allowed_cidrs"), var("api_allowed_cidrs"))
    stacks = _stage1_stacks(o.get("stacks"), var("stacks"))
    egress = _egress(o.get("egress_addresses"), var("egress_addresses"))

    stage3 = o.get("stage3") or "pool"
    if stage3 not in ("pool", "cluster"):
        raise ManagedPlacementError("%s %r is not one of pool, cluster" % (var("stage3"), stage3))
    stage3_stacks = list(o.get("stage3_stacks") or [])
    for stack in stage3_stacks:
        if stack not in STACKS_STAGE3:
            raise ManagedPlacementError("%s names %r; stage 3 can take over %s"
                                        % (var("stage3_stacks"), stack, ", ".join(STACKS_STAGE3)))
        if stack in stacks:
            raise ManagedPlacementError("%s names %r, which %s already puts in the cluster from stage 1"
                                        % (var("stage3_stacks"), stack, var("stacks")))
    clusters = [{"name": cluster_name, "region": region, "role": "primary", "node_pools": pools,
                 "api_allowed_cidrs": allowed}]
    if stage < 3:
        if len(pools) > 1:
            raise ManagedPlacementError("%s has %d node pools at stage %d; a second pool is stage 3 (set %s: 3)"
                                        % (var("node_pools"), len(pools), stage, var("stage"), ))
        if stage3_stacks:
            raise ManagedPlacementError("%s is set at stage %d; it applies to stage 3" % (var("stage3_stacks"), stage))
    elif stage3 == "pool":
        if len(pools) < 2:
            raise ManagedPlacementError("%s: stage 3 needs a second node pool (%s with two pools) or a second "
                                        "cluster (%s: cluster and %s)"
                                        % (var("stage"), var("node_pools"), var("stage3"), var("second_cluster")))
    else:
        second = o.get("second_cluster")
        if not isinstance(second, dict) or not second:
            raise ManagedPlacementError("%s: stage 3 with %s: cluster needs %s ({name, region, node_pools})"
                                        % (var("stage"), var("stage3"), var("second_cluster")))
        name2 = str(second.get("name") or cluster_name + "-2")
        if name2 == cluster_name or not _NAME.match(name2):
            raise ManagedPlacementError("%s name %r must differ from %s and be letters, digits, - or _"
                                        % (var("second_cluster"), name2, var("cluster_name")))
        region2 = second.get("region") or region
        if not _REGION[provider].match(str(region2)):
            raise ManagedPlacementError("%s region %r is not a %s region name" % (var("second_cluster"), region2, provider))
        pools2 = _pools(provider, second.get("node_pools") or [{"name": "pool1", "shape": pools[0]["shape"],
                                                                "size": 1, "ocpus": pools[0].get("ocpus"),
                                                                "memory_gb": pools[0]["memory_gb"]}],
                        var("second_cluster") + ".node_pools")
        clusters.append({"name": name2, "region": region2, "role": "stage3", "node_pools": pools2,
                         "api_allowed_cidrs": allowed})

    k8s_stacks = stacks + stage3_stacks
    moved_to = dict((stack, cluster_name) for stack in stacks)
    for stack in stage3_stacks:
        moved_to[stack] = clusters[-1]["name"]
    result = {"provider": provider, "region": region, "stage": stage, "stage3": stage3 if stage == 3 else None,
              "clusters": clusters, "k8s_stacks": k8s_stacks, "egress_addresses": egress, "hosts": {}}
    for name, facts in sorted((hosts or {}).items()):
        role = (facts or {}).get("fleet_role")
        if role in (None, ""):
            raise ManagedPlacementError("%s: fleet_role is not set" % name)
        if role == "data":
            compose, k8s, runtime = ["data"], [], "compose"
        elif role in k8s_stacks:
            compose, k8s, runtime = [], [], "none"
        else:
            compose, k8s, runtime = [role], [], "compose"
        result["hosts"][name] = {"runtime": runtime, "compose_stacks": compose, "k8s_stacks": k8s,
                                 "cluster": None, "region": facts.get("fleet_region"), "role": role,
                                 "k3s_profile": None, "moved_to": moved_to.get(role)}
    result["compose_stacks"] = sorted({s for h in result["hosts"].values() for s in h["compose_stacks"]})
    return result
