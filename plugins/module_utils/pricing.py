# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monthly cost of the fleet under each plan, from a documented price table.

The table
---------
``PRICES`` holds list prices in USD (``PRICES["currency"]``), compiled on ``PRICES["as_of"]``
from the public pricing pages named in each item's ``source``. This machine cannot reach those
pages: the figures are the published on-demand list prices as known when the table was compiled.
Re-check them before a decision, and change ``as_of`` with them. Per-hour items are turned into
months with ``HOURS_PER_MONTH`` (730, the figure AWS and OCI use). Taxes, data transfer and
support plans are not included.

Public functions (stable signatures; other roles and the AWX assessment call them)
-----------------------------------------------------------------------------------
``monthly_cost(items)``
    ``items``: a list of ``{"item": <PRICES key>, "quantity": <number>}`` (optional ``"note"``).
    A per-hour item's quantity is the number of units running all month (2 nodes, 4 OCPUs);
    a per-GB-month item's quantity is GB. Returns ``{"lines": [{"item", "quantity",
    "unit_price", "monthly", "unit", "note"}], "monthly": total, "as_of", "currency"}``; the
    ``unit_price`` is per month for one unit (hourly price x 730). Amounts are rounded to cents.
    ``"table"`` holds the same as printable lines (item, quantity, unit price, monthly, note).

``plan3_stage_cost(provider, stage, workers=1, shape=None, ocpus=None, memory_gb=None,
                   stage3="pool", second_workers=None, oke_cluster_type="BASIC_CLUSTER",
                   load_balancer=True, alb_lcu=ALB_ASSUMED_LCU, disk_gb=None,
                   a1_free_allowance=True, second_shape=None, second_ocpus=None,
                   second_memory_gb=None)``
    The managed cluster of plan 3 at a stage (1, 2 or 3): control plane, workers (compute,
    disk, public IPv4 on AWS; a flex shape without ocpus/memory_gb is priced as 1 OCPU and
    4 GB), load balancer; stage 3 adds a second node pool
    (``stage3="pool"``) or a second cluster (``stage3="cluster"``) of ``second_workers``
    workers (of ``second_shape`` etc., the first pool's when not set). Stage 2 keeps the data tier outside the cluster: it costs what stage 1 costs (the
    data hosts are counted by ``fleet_cost``). Same return shape as ``monthly_cost``.

``fleet_cost(plan, hosts, options=None)``
    ``plan``: ``compose`` (``keep-compose`` accepted), ``plan1``, ``plan2`` or ``plan3``.
    ``hosts``: host name -> inventory facts; ``fleet_shape`` is required (``fleet_provider``
    optional). The existing hosts are paid under every plan (plans 1 and 2 run k3s on them;
    OCI ``VM.Standard.E2.1.Micro`` hosts are always free, ``t3.small`` is paid). Plan 3 adds
    ``plan3_stage_cost`` of ``options`` (keys of its arguments, bare or prefixed
    ``fleet_plan3_``: ``provider``, ``stage``, ``workers``, ``shape``, ...) and may retire hosts
    (``options["retire_hosts"]``). Returns the ``monthly_cost`` shape plus ``plan`` and
    ``hosts`` (host -> its monthly cost). For plan 3, ``hosts`` may be empty (the cluster alone).

Errors raise ``PricingError`` (a ``ValueError``) naming the argument.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

HOURS_PER_MONTH = 730

# Average Load Balancer Capacity Units an ALB is assumed to use, for a low-traffic API and app
# (1 LCU = 25 new connections/s, 3000 active connections, 1 GB/h processed, 1000 rule
# evaluations/s). An assumption, not a measurement: pass alb_lcu to change it.
ALB_ASSUMED_LCU = 1.0

# The OCI Always Free Ampere allowance: 3000 OCPU-hours and 18000 GB-hours a month (4 OCPUs and
# 24 GB running all month), per tenancy, in the home region.
A1_FREE_OCPU_HOURS = 3000
A1_FREE_GB_HOURS = 18000

_AWS_EKS = "https://aws.amazon.com/eks/pricing/"
_AWS_EC2 = "https://aws.amazon.com/ec2/pricing/on-demand/ (Asia Pacific (Seoul), Linux)"
_AWS_ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/ (Asia Pacific (Seoul))"
_AWS_EBS = "https://aws.amazon.com/ebs/pricing/ (Asia Pacific (Seoul))"
_AWS_VPC = "https://aws.amazon.com/vpc/pricing/ (Public IPv4 addresses)"
_OCI_OKE = "https://www.oracle.com/cloud/cloud-native/kubernetes-engine/pricing/"
_OCI_COMPUTE = "https://www.oracle.com/cloud/compute/pricing/"
_OCI_FREE = "https://www.oracle.com/cloud/free/ (Always Free resources)"
_OCI_LB = "https://www.oracle.com/cloud/networking/load-balancing/pricing/"
_OCI_BLOCK = "https://www.oracle.com/cloud/storage/pricing/ (Block Volume)"

PRICES = {
    "as_of": "2026-11-25",
    "currency": "USD",
    "hours_per_month": HOURS_PER_MONTH,
    "items": {
        # AWS, ap-northeast-2 (Seoul)
        "eks_control_plane": {"price": 0.10, "per": "hour", "unit": "cluster",
                              "description": "EKS cluster, standard support", "source": _AWS_EKS},
        "ec2_t3_micro": {"price": 0.013, "per": "hour", "unit": "instance",
                         "description": "EC2 t3.micro on-demand, ap-northeast-2", "source": _AWS_EC2},
        "ec2_t3_small": {"price": 0.026, "per": "hour", "unit": "instance",
                         "description": "EC2 t3.small on-demand, ap-northeast-2", "source": _AWS_EC2},
        "ec2_t3_medium": {"price": 0.052, "per": "hour", "unit": "instance",
                          "description": "EC2 t3.medium on-demand, ap-northeast-2", "source": _AWS_EC2},
        "ebs_gp3": {"price": 0.0912, "per": "gb-month", "unit": "GB",
                    "description": "EBS gp3 volume, ap-northeast-2", "source": _AWS_EBS},
        "aws_public_ipv4": {"price": 0.005, "per": "hour", "unit": "address",
                            "description": "public IPv4 address in use", "source": _AWS_VPC},
        "alb": {"price": 0.0225, "per": "hour", "unit": "load balancer",
                "description": "Application Load Balancer, ap-northeast-2", "source": _AWS_ELB},
        "alb_lcu": {"price": 0.008, "per": "hour", "unit": "LCU",
                    "description": "ALB capacity units (assumed average, ALB_ASSUMED_LCU)",
                    "source": _AWS_ELB},
        # OCI
        "oke_basic_control_plane": {"price": 0.0, "per": "hour", "unit": "cluster",
                                    "description": "OKE basic cluster control plane (free)",
                                    "source": _OCI_OKE},
        "oke_enhanced_control_plane": {"price": 0.10, "per": "hour", "unit": "cluster",
                                       "description": "OKE enhanced cluster", "source": _OCI_OKE},
        "oci_e4_flex_ocpu": {"price": 0.025, "per": "hour", "unit": "OCPU",
                             "description": "VM.Standard.E4.Flex OCPU", "source": _OCI_COMPUTE},
        "oci_e4_flex_memory": {"price": 0.0015, "per": "hour", "unit": "GB",
                               "description": "VM.Standard.E4.Flex memory", "source": _OCI_COMPUTE},
        "oci_a1_flex_ocpu": {"price": 0.01, "per": "hour", "unit": "OCPU",
                             "description": "VM.Standard.A1.Flex OCPU (Ampere)", "source": _OCI_COMPUTE},
        "oci_a1_flex_memory": {"price": 0.0015, "per": "hour", "unit": "GB",
                               "description": "VM.Standard.A1.Flex memory (Ampere)",
                               "source": _OCI_COMPUTE},
        "oci_a1_flex_ocpu_free": {"price": -0.01, "per": "hour", "unit": "OCPU",
                                  "description": "Always Free A1 allowance (3000 OCPU-hours/month)",
                                  "source": _OCI_FREE},
        "oci_a1_flex_memory_free": {"price": -0.0015, "per": "hour", "unit": "GB",
                                    "description": "Always Free A1 allowance (18000 GB-hours/month)",
                                    "source": _OCI_FREE},
        "oci_e2_1_micro": {"price": 0.0, "per": "hour", "unit": "instance",
                           "description": "VM.Standard.E2.1.Micro (Always Free, 2 per tenancy)",
                           "source": _OCI_FREE},
        "oci_flexible_lb_10mbps_free": {"price": 0.0, "per": "hour", "unit": "load balancer",
                                        "description": "OCI flexible load balancer 10 Mbps "
                                                       "(Always Free, 1 per tenancy)",
                                        "source": _OCI_FREE},
        "oci_flexible_lb": {"price": 0.0113, "per": "hour", "unit": "load balancer",
                            "description": "OCI flexible load balancer base (beyond the free one)",
                            "source": _OCI_LB},
        "oci_flexible_lb_mbps": {"price": 0.0001, "per": "hour", "unit": "Mbps",
                                 "description": "OCI flexible load balancer bandwidth",
                                 "source": _OCI_LB},
        "oci_block_volume": {"price": 0.0255, "per": "gb-month", "unit": "GB",
                             "description": "OCI block/boot volume (balanced)", "source": _OCI_BLOCK},
    },
}

# Host and worker shapes: compute items, memory (GiB) and vCPU/OCPU. Flex shapes are priced per
# OCPU and GB; their memory comes from the node pool's shape config (memory_in_gbs).
SHAPES = {
    "t3.micro": {"provider": "aws", "items": [("ec2_t3_micro", 1)], "memory_gb": 1},
    "t3.small": {"provider": "aws", "items": [("ec2_t3_small", 1)], "memory_gb": 2},
    "t3.medium": {"provider": "aws", "items": [("ec2_t3_medium", 1)], "memory_gb": 4},
    "VM.Standard.E2.1.Micro": {"provider": "oci", "items": [("oci_e2_1_micro", 1)], "memory_gb": 1},
    "VM.Standard.E4.Flex": {"provider": "oci", "flex": ("oci_e4_flex_ocpu", "oci_e4_flex_memory")},
    "VM.Standard.A1.Flex": {"provider": "oci", "flex": ("oci_a1_flex_ocpu", "oci_a1_flex_memory")},
}

PROVIDERS = {"eks": "aws", "oke": "oci"}
DEFAULT_SHAPE = {"eks": "t3.small", "oke": "VM.Standard.E4.Flex"}
# A flexible worker without ocpus/memory_gb is priced as 1 OCPU and 4 GB.
FLEX_DEFAULT = {"ocpus": 1, "memory_gb": 4}
DEFAULT_DISK_GB = {"eks": 20, "oke": 50}  # eks_nodegroup disk_size default; OCI minimum boot volume
PLANS = ("compose", "plan1", "plan2", "plan3")


class PricingError(ValueError):
    pass


def _price(key):
    try:
        return PRICES["items"][key]
    except KeyError:
        raise PricingError("unknown price item %r; known: %s" % (key, ", ".join(sorted(PRICES["items"]))))


def _number(value, name, minimum=0):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PricingError("%s must be a number, got %r" % (name, value))
    if number < minimum:
        raise PricingError("%s must be at least %s, got %r" % (name, minimum, value))
    return int(number) if number.is_integer() else number


def monthly_cost(items):
    """Price a list of {"item", "quantity"[, "note"]} (or (item, quantity) pairs) for a month."""
    lines = []
    total = 0.0
    for entry in items or []:
        if isinstance(entry, (list, tuple)):
            entry = {"item": entry[0], "quantity": entry[1]}
        if not isinstance(entry, dict) or "item" not in entry:
            raise PricingError("each item must be a dict with item and quantity, got %r" % (entry,))
        price = _price(entry["item"])
        quantity = _quantity(entry)
        unit_price = price["price"] * (HOURS_PER_MONTH if price["per"] == "hour" else 1)
        monthly = unit_price * quantity
        total += monthly
        lines.append({"item": entry["item"], "quantity": quantity, "unit": price["unit"],
                      "unit_price": round(unit_price, 4), "monthly": round(monthly, 2),
                      "note": entry.get("note", price["description"])})
    row = "%-28s %9s x %9.4f = %8.2f  %s"
    table = [row % (line["item"], line["quantity"], line["unit_price"], line["monthly"], line["note"])
             for line in lines]
    table.append("%-28s %9s   %9s   %8.2f  %s a month, prices as of %s"
                 % ("total", "", "", round(total, 2), PRICES["currency"], PRICES["as_of"]))
    return {"lines": lines, "monthly": round(total, 2), "as_of": PRICES["as_of"],
            "currency": PRICES["currency"], "table": table}


def _quantity(entry):
    try:
        quantity = float(entry.get("quantity", 1))
    except (TypeError, ValueError):
        raise PricingError("quantity of %s must be a number, got %r" % (entry["item"], entry.get("quantity")))
    if quantity < 0:
        raise PricingError("quantity of %s must not be negative, got %r" % (entry["item"], entry.get("quantity")))
    return int(quantity) if quantity.is_integer() else quantity


def _shape(shape, name="shape"):
    if shape not in SHAPES:
        raise PricingError("%s %r has no price; known shapes: %s" % (name, shape, ", ".join(sorted(SHAPES))))
    return SHAPES[shape]


def _node_items(provider, count, shape, ocpus, memory_gb, disk_gb, label):
    """Items of ``count`` workers of ``shape``, as (item, quantity, note) dicts."""
    spec = _shape(shape)
    if spec["provider"] != PROVIDERS[provider]:
        raise PricingError("shape %r is not a %s shape" % (shape, provider))
    items = []
    if count == 0:
        return items
    if "flex" in spec:
        ocpus = _number(FLEX_DEFAULT["ocpus"] if ocpus is None else ocpus, "ocpus", minimum=1)
        memory_gb = _number(FLEX_DEFAULT["memory_gb"] if memory_gb is None else memory_gb, "memory_gb", minimum=1)
        items.append({"item": spec["flex"][0], "quantity": count * ocpus,
                      "note": "%s: %d x %s OCPU" % (label, count, ocpus)})
        items.append({"item": spec["flex"][1], "quantity": count * memory_gb,
                      "note": "%s: %d x %s GB memory" % (label, count, memory_gb)})
    else:
        for item, per_node in spec["items"]:
            items.append({"item": item, "quantity": count * per_node,
                          "note": "%s: %d x %s" % (label, count, shape)})
    disk = DEFAULT_DISK_GB[provider] if disk_gb is None else _number(disk_gb, "disk_gb", minimum=1)
    if provider == "eks":
        items.append({"item": "ebs_gp3", "quantity": count * disk,
                      "note": "%s: %d x %s GB root volume" % (label, count, disk)})
        items.append({"item": "aws_public_ipv4", "quantity": count,
                      "note": "%s: public IPv4 per node (public subnets, no NAT gateway)" % label})
    else:
        items.append({"item": "oci_block_volume", "quantity": count * disk,
                      "note": "%s: %d x %s GB boot volume" % (label, count, disk)})
    return items


def _cluster_items(provider, oke_cluster_type, load_balancer, alb_lcu, lb_index, label):
    items = []
    if provider == "eks":
        items.append({"item": "eks_control_plane", "quantity": 1, "note": "%s: EKS control plane" % label})
        if load_balancer:
            items.append({"item": "alb", "quantity": 1, "note": "%s: ALB for api./app." % label})
            items.append({"item": "alb_lcu", "quantity": alb_lcu,
                          "note": "%s: ALB, %s LCU assumed on average" % (label, alb_lcu)})
    else:
        if oke_cluster_type == "BASIC_CLUSTER":
            items.append({"item": "oke_basic_control_plane", "quantity": 1,
                          "note": "%s: OKE basic control plane (free)" % label})
        elif oke_cluster_type == "ENHANCED_CLUSTER":
            items.append({"item": "oke_enhanced_control_plane", "quantity": 1,
                          "note": "%s: OKE enhanced control plane" % label})
        else:
            raise PricingError("oke_cluster_type must be BASIC_CLUSTER or ENHANCED_CLUSTER, got %r"
                               % (oke_cluster_type,))
        if load_balancer:
            if lb_index == 0:
                items.append({"item": "oci_flexible_lb_10mbps_free", "quantity": 1,
                              "note": "%s: flexible LB 10 Mbps (Always Free)" % label})
            else:
                items.append({"item": "oci_flexible_lb", "quantity": 1,
                              "note": "%s: flexible LB (the free one is taken)" % label})
                items.append({"item": "oci_flexible_lb_mbps", "quantity": 10,
                              "note": "%s: flexible LB 10 Mbps" % label})
    return items


def _a1_allowance(items):
    ocpus = sum(i["quantity"] for i in items if i["item"] == "oci_a1_flex_ocpu")
    memory = sum(i["quantity"] for i in items if i["item"] == "oci_a1_flex_memory")
    out = []
    if ocpus:
        out.append({"item": "oci_a1_flex_ocpu_free",
                    "quantity": round(min(ocpus, A1_FREE_OCPU_HOURS / float(HOURS_PER_MONTH)), 4),
                    "note": "Always Free A1: up to 3000 OCPU-hours a month"})
    if memory:
        out.append({"item": "oci_a1_flex_memory_free",
                    "quantity": round(min(memory, A1_FREE_GB_HOURS / float(HOURS_PER_MONTH)), 4),
                    "note": "Always Free A1: up to 18000 GB-hours a month"})
    return out


def plan3_stage_cost(provider, stage, workers=1, shape=None, ocpus=None, memory_gb=None,
                     stage3="pool", second_workers=None, oke_cluster_type="BASIC_CLUSTER",
                     load_balancer=True, alb_lcu=ALB_ASSUMED_LCU, disk_gb=None,
                     a1_free_allowance=True, second_shape=None, second_ocpus=None, second_memory_gb=None):
    """Monthly cost of the plan 3 managed cluster at ``stage``; see the module docstring."""
    if provider not in PROVIDERS:
        raise PricingError("provider must be one of %s, got %r" % (", ".join(sorted(PROVIDERS)), provider))
    try:
        stage = int(stage)
    except (TypeError, ValueError):
        raise PricingError("stage must be 1, 2 or 3, got %r" % (stage,))
    if stage not in (1, 2, 3):
        raise PricingError("stage must be 1, 2 or 3, got %r" % (stage,))
    shape = shape or DEFAULT_SHAPE[provider]
    workers = _number(workers, "workers", minimum=1)
    alb_lcu = _number(alb_lcu, "alb_lcu")
    items = _cluster_items(provider, oke_cluster_type, load_balancer, alb_lcu, 0, "cluster 1")
    items += _node_items(provider, workers, shape, ocpus, memory_gb, disk_gb, "pool 1")
    if stage == 3:
        if stage3 not in ("pool", "cluster"):
            raise PricingError("stage3 must be pool or cluster, got %r" % (stage3,))
        second = workers if second_workers is None else _number(second_workers, "second_workers", minimum=1)
        shape2 = second_shape or shape
        ocpus2 = ocpus if second_ocpus is None else second_ocpus
        memory2 = memory_gb if second_memory_gb is None else second_memory_gb
        if stage3 == "cluster":
            items += _cluster_items(provider, oke_cluster_type, load_balancer, alb_lcu, 1, "cluster 2")
            items += _node_items(provider, second, shape2, ocpus2, memory2, disk_gb, "cluster 2 pool")
        else:
            items += _node_items(provider, second, shape2, ocpus2, memory2, disk_gb, "pool 2")
    if provider == "oke" and a1_free_allowance:
        items += _a1_allowance(items)
    result = monthly_cost(items)
    result.update({"provider": provider, "stage": stage})
    return result


_STAGE_ARGS = ("provider", "stage", "workers", "shape", "ocpus", "memory_gb", "stage3", "second_workers",
               "oke_cluster_type", "load_balancer", "alb_lcu", "disk_gb", "a1_free_allowance",
               "second_shape", "second_ocpus", "second_memory_gb")


def _plan3_options(options):
    out = {}
    for key, value in (options or {}).items():
        bare = key[len("fleet_plan3_"):] if key.startswith("fleet_plan3_") else key
        if bare in _STAGE_ARGS and value is not None:
            out[bare] = value
    if "provider" not in out:
        raise PricingError("plan3 needs options provider (eks or oke) and stage")
    out.setdefault("stage", 1)
    return out


def _host_items(name, facts):
    shape = facts.get("fleet_shape")
    if not shape:
        raise PricingError("%s: fleet_shape is not set" % name)
    spec = _shape(shape, "%s: fleet_shape" % name)
    if "flex" in spec:
        raise PricingError("%s: fleet_shape %s is a flexible shape; host pricing knows fixed shapes only"
                           % (name, shape))
    items = [{"item": item, "quantity": q, "note": "%s: %s" % (name, shape)} for item, q in spec["items"]]
    if spec["provider"] == "aws":
        items.append({"item": "aws_public_ipv4", "quantity": 1, "note": "%s: public IPv4" % name})
    return items


def fleet_cost(plan, hosts, options=None):
    """Monthly cost of the fleet ``hosts`` under ``plan``; see the module docstring."""
    if plan == "keep-compose":
        plan = "compose"
    if plan not in PLANS:
        raise PricingError("plan must be one of %s, got %r" % (", ".join(PLANS), plan))
    if not hosts and plan != "plan3":
        raise PricingError("hosts is empty")
    hosts = hosts or {}
    options = dict(options or {})
    retire = options.get("retire_hosts") or options.get("fleet_plan3_retire_hosts") or []
    if plan != "plan3":
        retire = []
    for name in retire:
        if name not in hosts:
            raise PricingError("retire_hosts names %r, which is not in hosts" % (name,))
    items, per_host = [], {}
    for name in sorted(hosts):
        if name in retire:
            continue
        host_items = _host_items(name, hosts[name] or {})
        per_host[name] = monthly_cost(host_items)["monthly"]
        items += host_items
    if plan == "plan3":
        stage = plan3_stage_cost(**_plan3_options(options))
        items += [{"item": line["item"], "quantity": line["quantity"], "note": line["note"]}
                  for line in stage["lines"]]
    result = monthly_cost(items)
    result.update({"plan": plan, "hosts": per_host})
    return result
