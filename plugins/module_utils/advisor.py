# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan advisor: scores keep-Compose and plans 1-3 on measured facts (behind the
plan_assessment and plan_adr_sections filters of the assess role).

Inputs
------
``hosts``: host -> inventory facts (fleet_role, fleet_region, fleet_memory_mb, fleet_shape,
fleet_provider, fleet_public_ip). ``measured``: host -> what the assess role measured there:
``capacity_bytes``, ``used_bytes`` (running containers and processes), ``stack_bytes`` (the
containers alone), ``headroom_bytes`` (node_memory_headroom, nothing planned), ``services``
(running Compose services), ``k8s`` (a Kubernetes node is installed) and ``links`` (peer ->
{reachable, rtt_ms, port}, from fleet_probe).

The criteria (../shared/seed/README.md sections 7-8), each scored 0-10 (higher is better):
- ``scope``: how little changes (GUIDE, from the plan's comparison table; plan 2 loses a point
  for each of data and macro moved to k3s);
- ``ops``: how simple it is to operate (GUIDE: low / medium / medium-high);
- ``node_fit``: measured: the smallest projected headroom of the hosts after the plan, 10 at
  ``comfort_bytes`` or more, 0 at or below zero; an option where a host would go below zero
  does not fit and is never chosen;
- ``cost``: monthly cost from the price table (module_utils/pricing.py): 10 for the cheapest
  option, minus 10 per ``cost_span`` USD above it;
- ``unification``: the share of the four stacks that run on Kubernetes;
- ``managed``: a managed control plane (plan 3) 10, else 0.
The operator's priorities weigh four groups: ``stability`` (mean of scope, ops and node_fit),
``cost``, ``unification``, ``managed``. The total is the weighted mean; ties go to the smaller
change (compose, plan1, plan2, plan3).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.investment.orchestration.plugins.module_utils.memory import validate_footprints
from ansible_collections.investment.orchestration.plugins.module_utils.placement import PlacementError, place
from ansible_collections.investment.orchestration.plugins.module_utils.pricing import fleet_cost

MiB = 1024 * 1024
OPTIONS = ("compose", "plan1", "plan2", "plan3")
LABELS = {"compose": "Keep Docker Compose", "plan1": "Plan 1: Kubernetes in one region",
          "plan2": "Plan 2: k3s per region with GitOps", "plan3": "Plan 3: managed Kubernetes"}
# Scores read off the decision guide's comparison table (seed README section 7).
GUIDE = {
    "compose": {"scope": 10, "ops": 9, "scope_text": "none: today's fleet",
                "ops_text": "today's (strengthen monitoring)"},
    "plan1": {"scope": 7, "ops": 8, "scope_text": "one region on Kubernetes, the rest Compose",
              "ops_text": "low"},
    "plan2": {"scope": 4, "ops": 3, "scope_text": "k3s in every region, data/macro optional",
              "ops_text": "medium-high (several clusters, GitOps)"},
    "plan3": {"scope": 5, "ops": 5, "scope_text": "one managed cluster, then grow",
              "ops_text": "medium"},
}
PRIORITIES = ("stability", "cost", "unification", "managed")
CRITERIA = ("scope", "ops", "node_fit", "cost", "unification", "managed")
ADR_DATA = re.compile(r"<!-- assess-data: (?P<json>\{.*?\}) -->", re.S)


class AdvisorError(ValueError):
    pass


def _num(value, name):
    if isinstance(value, bool):
        raise AdvisorError("%s must be a number, got %r" % (name, value))
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AdvisorError("%s must be a number, got %r" % (name, value))


def _clamp(x, lo=0.0, hi=10.0):
    return max(lo, min(hi, x))


def _footprint(hosts, name, footprints):
    """k3s footprint (bytes, footprint name) for a host: low-memory profile up to 1 GB.

    ``footprints``: {"table": the preflight footprints, "default": name, "lowmem": name}.
    """
    mem = int(hosts[name]["fleet_memory_mb"])
    key = footprints["lowmem"] if mem <= 1024 else footprints["default"]
    try:
        table = validate_footprints(footprints["table"])
    except ValueError as exc:
        raise AdvisorError("footprints: %s" % exc)
    if key not in table:
        raise AdvisorError("footprint %r is not in the measured footprints (%s)" % (key, ", ".join(sorted(table))))
    return int(table[key]["bytes"]), key


def project(plan, hosts, measured, options, footprints):
    """Projected headroom per host after ``plan``: {host: {headroom_bytes, change}}, placement."""
    if plan == "plan3":
        placement = {}
        for name, h in hosts.items():
            on_cluster = h["fleet_role"] == "app" or (h["fleet_role"] == "edge" and int(options.get("stage", 1)) >= 3)
            placement[name] = {"runtime": "none" if on_cluster else "compose",
                               "compose_stacks": [] if on_cluster else [h["fleet_role"]],
                               "k8s_stacks": [], "cluster": None, "region": h["fleet_region"],
                               "role": h["fleet_role"], "managed_stacks": [h["fleet_role"]] if on_cluster else []}
    else:
        try:
            placement = place(hosts, plan, options.get("plan1_target", "korea"),
                              options.get("plan2_data_on_k3s", False), options.get("plan2_macro_on_k3s", False))
        except PlacementError as exc:
            raise AdvisorError(str(exc))
    out = {}
    stack_of_role = {}
    for name, h in hosts.items():
        stack_of_role[h["fleet_role"]] = int(measured[name].get("stack_bytes", 0))
    for name, p in placement.items():
        m = measured[name]
        head = int(m["headroom_bytes"])
        change = []
        own = p["role"]
        runs = set(p["compose_stacks"]) | set(p["k8s_stacks"])
        if own not in runs:
            head += stack_of_role.get(own, 0)
            change.append("%s stack leaves (+%d MiB)" % (own, stack_of_role.get(own, 0) // MiB))
        for stack in sorted(runs - {own}):
            head -= stack_of_role.get(stack, 0)
            change.append("%s stack arrives (-%d MiB)" % (stack, stack_of_role.get(stack, 0) // MiB))
        if p["runtime"] == "k3s" and not m.get("k8s"):
            fp, key = _footprint(hosts, name, footprints)
            head -= fp
            change.append("k3s node, footprint %s (-%d MiB)" % (key, fp // MiB))
        out[name] = {"headroom_bytes": head, "change": change or ["no change"]}
    return out, placement


def assess(hosts, measured, priorities, plan_options=None, footprints=None, comfort_bytes=256 * MiB,
           cost_span=100.0, options=OPTIONS):
    """Score every option; see the module docstring. Returns a dict (JSON-safe)."""
    plan_options = dict(plan_options or {})
    if not hosts:
        raise AdvisorError("no host to assess")
    for name in hosts:
        if name not in measured:
            raise AdvisorError("%s: nothing was measured on this host" % name)
        for key in ("headroom_bytes", "capacity_bytes"):
            if key not in measured[name]:
                raise AdvisorError("%s: %s was not measured" % (name, key))
    weights = {}
    for key, value in (priorities or {}).items():
        if key not in PRIORITIES:
            raise AdvisorError("assess_priorities: %r is not one of %s" % (key, ", ".join(PRIORITIES)))
        weights[key] = _num(value, "assess_priorities.%s" % key)
        if weights[key] < 0:
            raise AdvisorError("assess_priorities.%s must not be negative" % key)
    if sum(weights.values()) <= 0:
        raise AdvisorError("assess_priorities: at least one priority must be above 0")
    comfort_bytes = int(comfort_bytes)
    if comfort_bytes <= 0:
        raise AdvisorError("comfort must be positive")
    cost_span = _num(cost_span, "cost_span")
    if cost_span <= 0:
        raise AdvisorError("cost_span must be positive")
    for plan in options:
        if plan not in OPTIONS:
            raise AdvisorError("option %r is not one of %s" % (plan, ", ".join(OPTIONS)))
    plan3 = dict((k, v) for k, v in plan_options.items() if k.startswith("plan3_"))
    plan3 = dict((k[len("plan3_"):], v) for k, v in plan3.items() if v not in (None, ""))
    plan3.setdefault("provider", "oke")  # the free OKE basic control plane, unless told otherwise
    plan3.setdefault("stage", 1)
    results = []
    for plan in options:
        opts = dict(plan_options)
        if plan == "plan3":
            opts = plan3
        projected, placement = project(plan, hosts, measured, opts, footprints)
        try:
            cost = fleet_cost(plan, hosts, plan3 if plan == "plan3" else None)
        except ValueError as exc:
            raise AdvisorError("%s: %s" % (plan, exc))
        low_host = min(projected, key=lambda n: (projected[n]["headroom_bytes"], n))
        low = projected[low_host]["headroom_bytes"]
        k8s = set()
        for p in placement.values():
            k8s |= set(p["k8s_stacks"]) | set(p.get("managed_stacks", []))
        roles = set(h["fleet_role"] for h in hosts.values())
        scope = GUIDE[plan]["scope"]
        if plan == "plan2":
            scope -= sum(1 for k in ("plan2_data_on_k3s", "plan2_macro_on_k3s") if plan_options.get(k) in (True, "true", "yes"))
        results.append({
            "plan": plan, "label": LABELS[plan], "fits": low >= 0,
            "refusal": None if low >= 0 else "%s would have %d MiB headroom" % (low_host, low // MiB),
            "monthly_cost": cost["monthly"], "currency": cost["currency"], "prices_as_of": cost["as_of"],
            "min_headroom_bytes": low, "min_headroom_host": low_host,
            "projected": projected, "placement": placement,
            "k8s_stacks": sorted(k8s),
            "plan_options": (dict(plan3) if plan == "plan3" else
                             dict((k, v) for k, v in plan_options.items() if k.startswith(plan + "_"))),
            "scores": {"scope": scope, "ops": GUIDE[plan]["ops"],
                       "node_fit": round(_clamp(10.0 * low / comfort_bytes), 1),
                       "unification": round(10.0 * len(k8s & roles) / max(len(roles), 1), 1),
                       "managed": 10 if plan == "plan3" else 0},
        })
    cheapest = min(r["monthly_cost"] for r in results)
    for r in results:
        s = r["scores"]
        s["cost"] = round(_clamp(10.0 - 10.0 * (r["monthly_cost"] - cheapest) / cost_span), 1)
        groups = {"stability": round((s["scope"] + s["ops"] + s["node_fit"]) / 3.0, 2), "cost": s["cost"],
                  "unification": s["unification"], "managed": s["managed"]}
        r["groups"] = groups
        total = sum(weights.get(k, 0) * groups[k] for k in PRIORITIES) / sum(weights.values())
        r["total"] = round(total, 2)
    order = dict((p, i) for i, p in enumerate(OPTIONS))
    ranking = sorted(results, key=lambda r: (not r["fits"], -r["total"], order[r["plan"]]))
    choice = ranking[0]
    if not choice["fits"]:
        raise AdvisorError("no option fits the measured memory: %s"
                           % "; ".join("%s: %s" % (r["plan"], r["refusal"]) for r in results))
    return {"choice": choice["plan"], "ranking": [r["plan"] for r in ranking], "options": results,
            "weights": dict((k, weights.get(k, 0)) for k in PRIORITIES),
            "comfort_bytes": comfort_bytes, "cost_span": cost_span}


def table(assessment):
    """The comparison as text lines (fixed width), best first."""
    head = "%-8s %5s %4s %6s %5s %4s %5s %6s %6s %9s  %s" % (
        "OPTION", "TOTAL", "FITS", "SCOPE", "OPS", "FIT", "COST", "UNIFY", "MANAGED", "USD/MONTH", "LOWEST HEADROOM")
    lines = [head]
    by_plan = dict((r["plan"], r) for r in assessment["options"])
    for plan in assessment["ranking"]:
        r = by_plan[plan]
        s = r["scores"]
        lines.append("%-8s %5.2f %4s %6s %5s %4s %5s %6s %6s %9.2f  %s %d MiB" % (
            plan, r["total"], "yes" if r["fits"] else "NO", s["scope"], s["ops"], s["node_fit"], s["cost"],
            s["unification"], s["managed"], r["monthly_cost"], r["min_headroom_host"],
            r["min_headroom_bytes"] // MiB))
    lines.append("choice: %s (weights %s)" % (assessment["choice"], ", ".join(
        "%s %g" % (k, assessment["weights"][k]) for k in PRIORITIES)))
    return lines


# ------------------------------------------------------------------ measured numbers, stabilised

def previous_data(text, entry_id):
    """The numbers recorded in the ADR entry ``entry_id`` of ``text`` (or {})."""
    from ansible_collections.investment.orchestration.plugins.module_utils.adr import marker
    if not text:
        return {}
    start = text.find(marker(entry_id))
    if start < 0:
        return {}
    nxt = text.find("\n## ", start)
    m = ADR_DATA.search(text[start:nxt if nxt >= 0 else len(text)])
    if not m:
        return {}
    try:
        return json.loads(m.group("json"))
    except ValueError:
        return {}


def stabilize(measured, previous, memory_tolerance_bytes=32 * MiB, rtt_tolerance_ms=2.0, rtt_tolerance_ratio=0.5):
    """Keep the recorded number where the new measurement is within tolerance of it.

    Memory and round trips move a little on every run; the ADR changes only when a number moved
    beyond tolerance (or a link went up or down). Returns a new ``measured``.
    """
    out = {}
    for host, m in measured.items():
        old = (previous or {}).get(host) or {}
        new = dict(m)
        for key in ("capacity_bytes", "used_bytes", "stack_bytes", "headroom_bytes"):
            if key in m and isinstance(old.get(key), int) and abs(int(m[key]) - old[key]) <= memory_tolerance_bytes:
                new[key] = old[key]
        links = {}
        for peer, link in (m.get("links") or {}).items():
            o = (old.get("links") or {}).get(peer) or {}
            link = dict(link)
            if (o.get("reachable") == link.get("reachable") and link.get("rtt_ms") is not None
                    and o.get("rtt_ms") is not None and o.get("port") == link.get("port")):
                tol = max(rtt_tolerance_ms, rtt_tolerance_ratio * float(o["rtt_ms"]))
                if abs(float(link["rtt_ms"]) - float(o["rtt_ms"])) <= tol:
                    link["rtt_ms"] = o["rtt_ms"]
            links[peer] = link
        new["links"] = links
        out[host] = new
    return out


def recorded(measured):
    """The subset of ``measured`` written into the ADR (JSON-safe, sorted)."""
    out = {}
    for host in sorted(measured):
        m = measured[host]
        out[host] = dict((k, int(m[k])) for k in ("capacity_bytes", "used_bytes", "stack_bytes", "headroom_bytes") if k in m)
        out[host]["services"] = sorted(m.get("services") or [])
        out[host]["k8s"] = bool(m.get("k8s"))
        out[host]["links"] = dict((peer, {"reachable": bool(l.get("reachable")), "port": l.get("port"),
                                          "rtt_ms": None if l.get("rtt_ms") is None else round(float(l["rtt_ms"]), 2)})
                                  for peer, l in sorted((m.get("links") or {}).items()))
    return out


# ------------------------------------------------------------------ the ADR entry

def _mermaid(choice, hosts, placement, options=None):
    lines = ["```mermaid", "flowchart LR"]
    by_role = dict((h["fleet_role"], n) for n, h in hosts.items())
    clusters = {}
    for name in sorted(hosts):
        p = placement[name]
        h = hosts[name]
        node = re.sub(r"[^A-Za-z0-9_]", "_", name)
        runs = []
        if p["compose_stacks"]:
            runs.append("Compose: " + ", ".join(p["compose_stacks"]))
        if p["k8s_stacks"]:
            runs.append("k3s: " + ", ".join(p["k8s_stacks"]))
        if not runs:
            runs.append("retired")
        label = "%s (%s %s)<br/>%s" % (name, h.get("fleet_provider", ""), h["fleet_region"], "<br/>".join(runs))
        lines.append('  %s["%s"]' % (node, label.replace('"', "'")))
        for stack in p.get("managed_stacks", []):
            clusters.setdefault("managed", []).append(stack)
    if clusters:
        provider = str((options or {}).get("provider", "oke")).upper()
        lines.append('  managed["managed cluster (%s, stage %s)<br/>%s"]' % (
            provider, (options or {}).get("stage", 1), ", ".join(sorted(clusters["managed"]))))
    where = {}
    for name in sorted(hosts):
        p = placement[name]
        for stack in p["compose_stacks"] + p["k8s_stacks"]:
            where[stack] = re.sub(r"[^A-Za-z0-9_]", "_", name)
        for stack in p.get("managed_stacks", []):
            where[stack] = "managed"
    edges = (("edge", "app", "api. over public IP"), ("app", "data", "PostgreSQL, Redis over public IP"),
             ("macro", "data", "public IP"))
    for a, b, text in edges:
        if a in where and b in where and a in by_role and b in by_role and where[a] != where[b]:
            lines.append("  %s -->|%s| %s" % (where[a], text, where[b]))
    lines.append("```")
    return "\n".join(lines)


def sections(assessment, hosts, measured, context_note=""):
    """ADR sections (list of {title, body}) for the adr_entry module."""
    by_plan = dict((r["plan"], r) for r in assessment["options"])
    choice = by_plan[assessment["choice"]]
    w = assessment["weights"]

    def mib(value):
        return "%d MiB" % (int(value) // MiB)
    ctx = [
        "Four hosts in four regions, each with its own network and a public IP; the decision guide "
        "(docs/plans.md, sections 7-8) weighs keeping Compose against plans 1-3 by change scope, "
        "node size, operational complexity and monthly cost. This entry is written by "
        "`playbooks/assess.yml` from numbers measured on the fleet; a re-run updates it in place.",
        "",
        "Operator priorities (weights): " + ", ".join("%s %g" % (k, w[k]) for k in PRIORITIES) + ".",
    ]
    if context_note:
        ctx += ["", context_note.strip()]
    opts = ["| option | total | fits | scope | ops | node fit | cost | unification | managed | USD/month | lowest headroom after |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for plan in assessment["ranking"]:
        r = by_plan[plan]
        s = r["scores"]
        opts.append("| %s | %.2f | %s | %s | %s | %s | %s | %s | %s | %.2f | %s: %s |" % (
            r["label"], r["total"], "yes" if r["fits"] else "no", s["scope"], s["ops"], s["node_fit"], s["cost"],
            s["unification"], s["managed"], r["monthly_cost"], r["min_headroom_host"], mib(r["min_headroom_bytes"])))
    opts += ["", "Scores 0-10, higher is better; stability = mean of scope, ops and node fit. Prices: "
             "module_utils/pricing.py as of %s (%s)." % (choice["prices_as_of"], choice["currency"])]
    decision = ["**%s** (score %.2f)." % (choice["label"], choice["total"])]
    runner_up = [by_plan[p] for p in assessment["ranking"][1:] if by_plan[p]["fits"]]
    if runner_up:
        decision.append("Next: %s (%.2f)." % (runner_up[0]["label"], runner_up[0]["total"]))
    unfit = [r for r in assessment["options"] if not r["fits"]]
    if unfit:
        decision.append("Does not fit the measured memory: %s." % "; ".join("%s (%s)" % (r["label"], r["refusal"]) for r in unfit))
    cons = []
    for name in sorted(choice["projected"]):
        p = choice["projected"][name]
        cons.append("- %s: %s; headroom after: %s." % (name, ", ".join(p["change"]), mib(p["headroom_bytes"])))
    cons.append("- Monthly cost: %.2f %s." % (choice["monthly_cost"], choice["currency"]))
    down = ["%s -> %s" % (h, peer) for h in sorted(measured) for peer, l in sorted((measured[h].get("links") or {}).items())
            if not l.get("reachable")]
    if down:
        cons.append("- Unreachable links to fix first: %s." % ", ".join(down))
    meas = ["| host | capacity | running | of which containers | headroom | runs now | Kubernetes node |",
            "|---|---|---|---|---|---|---|"]
    for name in sorted(measured):
        m = measured[name]
        meas.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, mib(m["capacity_bytes"]), mib(m.get("used_bytes", 0)), mib(m.get("stack_bytes", 0)),
            mib(m["headroom_bytes"]), ", ".join(sorted(m.get("services") or [])) or "-", "yes" if m.get("k8s") else "no"))
    meas += ["", "| from | to | reachable | port | round trip (TCP connect) |", "|---|---|---|---|---|"]
    for name in sorted(measured):
        for peer, l in sorted((measured[name].get("links") or {}).items()):
            meas.append("| %s | %s | %s | %s | %s |" % (
                name, peer, "yes" if l.get("reachable") else "no", l.get("port") or "-",
                "-" if l.get("rtt_ms") is None else "%.2f ms" % float(l["rtt_ms"])))
    data = json.dumps(recorded(measured), sort_keys=True, separators=(",", ":"))
    meas += ["", "<!-- assess-data: %s -->" % data]
    return [
        {"title": "Context", "body": "\n".join(ctx)},
        {"title": "Options", "body": "\n".join(opts)},
        {"title": "Decision", "body": " ".join(decision)},
        {"title": "Consequences", "body": "\n".join(cons)},
        {"title": "Measured", "body": "\n".join(meas)},
        {"title": "Topology", "body": _mermaid(choice["plan"], hosts, choice["placement"], choice["plan_options"])},
    ]
