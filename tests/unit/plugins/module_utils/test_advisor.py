import copy
import os

import pytest
import yaml

from ansible_collections.investment.orchestration.plugins.module_utils import adr, advisor
from ansible_collections.investment.orchestration.plugins.module_utils.pricing import fleet_cost

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
MiB = 1024 * 1024
with open(os.path.join(ROOT, "roles", "preflight", "files", "footprints.yml")) as f:
    FOOTPRINTS = {"table": yaml.safe_load(f), "default": "kube-single-node", "lowmem": "kube-single-node-lowmem"}
LOWMEM = 350 * MiB  # the table's kube-single-node-lowmem entry (checked below)

HOSTS = {
    "oracle1": dict(fleet_role="data", fleet_region="osaka", fleet_memory_mb=1024, fleet_shape="VM.Standard.E2.1.Micro", fleet_provider="oci"),
    "oracle2": dict(fleet_role="app", fleet_region="korea", fleet_memory_mb=1024, fleet_shape="VM.Standard.E2.1.Micro", fleet_provider="oci"),
    "oracle3": dict(fleet_role="macro", fleet_region="mumbai", fleet_memory_mb=1024, fleet_shape="VM.Standard.E2.1.Micro", fleet_provider="oci"),
    "aws-seoul": dict(fleet_role="edge", fleet_region="seoul", fleet_memory_mb=2048, fleet_shape="t3.small", fleet_provider="aws"),
}


def m(cap, used, stack, links=None):
    return dict(capacity_bytes=cap * MiB, used_bytes=used * MiB, stack_bytes=stack * MiB,
                headroom_bytes=(cap - 228 - used) * MiB, services=["svc"], k8s=False, links=links or {})


MEASURED = {"oracle1": m(1024, 250, 200, {"oracle2": {"reachable": True, "rtt_ms": 31.0, "port": 80}}),
            "oracle2": m(1024, 200, 150, {"oracle1": {"reachable": True, "rtt_ms": 30.5, "port": 5432}}),
            "oracle3": m(1024, 300, 250), "aws-seoul": m(2048, 100, 60)}
OPTIONS = {"plan1_target": "korea", "plan3_provider": "oke", "plan3_stage": 1}


def run(priorities, measured=None, options=None, **kw):
    return advisor.assess(HOSTS, MEASURED if measured is None else measured, priorities,
                          OPTIONS if options is None else options, FOOTPRINTS, **kw)


def by_plan(result):
    return dict((r["plan"], r) for r in result["options"])


def test_footprint_is_the_measured_one():
    assert advisor._footprint(HOSTS, "oracle1", FOOTPRINTS) == (LOWMEM, "kube-single-node-lowmem")
    assert advisor._footprint(HOSTS, "aws-seoul", FOOTPRINTS)[1] == "kube-single-node"


@pytest.mark.parametrize("priorities,choice", [
    ({"stability": 1}, "compose"),                      # stability first, no need to unify
    ({"stability": 1, "unification": 1}, "plan1"),      # try Kubernetes in one region
    ({"unification": 3, "cost": 2}, "plan2"),           # unify without control-plane cost
    ({"managed": 3, "stability": 1}, "plan3"),          # a managed platform, cost accepted
])
def test_decision_guide(priorities, choice):
    assert run(priorities)["choice"] == choice


def test_costs_come_from_the_price_table():
    r = by_plan(run({"cost": 1}))
    assert r["compose"]["monthly_cost"] == fleet_cost("compose", HOSTS)["monthly"]
    assert r["plan3"]["monthly_cost"] == fleet_cost("plan3", HOSTS, {"provider": "oke", "stage": 1})["monthly"]
    assert r["plan3"]["monthly_cost"] > r["compose"]["monthly_cost"]
    span = 100.0
    expected = round(10 - 10 * (r["plan3"]["monthly_cost"] - r["compose"]["monthly_cost"]) / span, 1)
    assert r["plan3"]["scores"]["cost"] == expected and r["compose"]["scores"]["cost"] == 10


def test_projection_plan1_korea_and_seoul():
    r = by_plan(run({"stability": 1}))
    p = r["plan1"]["projected"]
    assert p["oracle2"]["headroom_bytes"] == MEASURED["oracle2"]["headroom_bytes"] - LOWMEM
    assert p["oracle1"]["headroom_bytes"] == MEASURED["oracle1"]["headroom_bytes"]
    r = by_plan(run({"stability": 1}, options=dict(OPTIONS, plan1_target="seoul")))
    p = r["plan1"]["projected"]
    footprint = advisor._footprint(HOSTS, "aws-seoul", FOOTPRINTS)[0]
    assert p["oracle2"]["headroom_bytes"] == MEASURED["oracle2"]["headroom_bytes"] + 150 * MiB
    assert p["aws-seoul"]["headroom_bytes"] == MEASURED["aws-seoul"]["headroom_bytes"] - 150 * MiB - footprint
    # plan 3 stage 1 moves the app stack off oracle2 to the managed cluster
    p3 = r["plan3"]["projected"]
    assert p3["oracle2"]["headroom_bytes"] == MEASURED["oracle2"]["headroom_bytes"] + 150 * MiB


def test_an_option_that_does_not_fit_is_never_chosen():
    tight = copy.deepcopy(MEASURED)
    tight["oracle3"] = m(1024, 600, 550)   # 196 MiB headroom: a k3s node (350 MiB) does not fit
    r = run({"unification": 5}, measured=tight)
    plans = by_plan(r)
    assert not plans["plan2"]["fits"] and "oracle3" in plans["plan2"]["refusal"]
    assert plans["plan2"]["scores"]["node_fit"] == 0
    assert r["choice"] != "plan2" and r["ranking"][-1] == "plan2"
    full = dict((h, m(1024, 900, 800)) for h in HOSTS)
    with pytest.raises(advisor.AdvisorError, match="no option fits"):
        run({"stability": 1}, measured=full)


def test_plan3_topology_names_the_provider():
    r = run({"managed": 3, "stability": 1}, options={"plan3_provider": "eks", "plan3_stage": 1})
    assert r["choice"] == "plan3"
    body = advisor.sections(r, HOSTS, MEASURED)[-1]["body"]
    assert 'managed["managed cluster (EKS, stage 1)<br/>app"]' in body
    assert "managed -->|PostgreSQL, Redis over public IP| oracle1" in body
    assert "oracle2 (oci korea)<br/>retired" in body


def test_plan3_options_from_the_inventory():
    opts = dict(OPTIONS, plan3_provider="eks", plan3_shape="t3.small", plan3_workers=2, plan3_ocpus="", plan3_memory_gb="")
    r = by_plan(run({"cost": 1}, options=opts))
    expected = fleet_cost("plan3", HOSTS, {"provider": "eks", "stage": 1, "shape": "t3.small", "workers": 2})
    assert r["plan3"]["monthly_cost"] == expected["monthly"]


def test_refusals():
    with pytest.raises(advisor.AdvisorError, match="not one of"):
        run({"speed": 1})
    with pytest.raises(advisor.AdvisorError, match="above 0"):
        run({"stability": 0})
    with pytest.raises(advisor.AdvisorError, match="nothing was measured"):
        run({"stability": 1}, measured={"oracle1": MEASURED["oracle1"]})
    with pytest.raises(advisor.AdvisorError, match="fleet_plan1_target"):
        run({"stability": 1}, options=dict(OPTIONS, plan1_target="mumbai"))
    with pytest.raises(advisor.AdvisorError, match="plan3"):
        run({"stability": 1}, options={"plan3_provider": "gke"})


def test_stabilize_keeps_numbers_within_tolerance():
    prev = advisor.recorded(MEASURED)
    new = copy.deepcopy(MEASURED)
    new["oracle1"]["headroom_bytes"] += 20 * MiB           # within 32 MiB: recorded value kept
    new["oracle2"]["headroom_bytes"] -= 40 * MiB           # beyond: new value
    new["oracle1"]["links"]["oracle2"]["rtt_ms"] = 33.0    # within max(2 ms, 50 %)
    new["oracle2"]["links"]["oracle1"]["reachable"] = False  # state changed: new
    s = advisor.stabilize(new, prev)
    assert s["oracle1"]["headroom_bytes"] == MEASURED["oracle1"]["headroom_bytes"]
    assert s["oracle2"]["headroom_bytes"] == MEASURED["oracle2"]["headroom_bytes"] - 40 * MiB
    assert s["oracle1"]["links"]["oracle2"]["rtt_ms"] == 31.0
    assert s["oracle2"]["links"]["oracle1"]["reachable"] is False
    s = advisor.stabilize(new, {})
    assert s["oracle1"]["headroom_bytes"] == new["oracle1"]["headroom_bytes"]


def test_sections_round_trip_through_the_adr_file():
    with open(os.path.join(ROOT, "docs", "decisions.md")) as f:
        original = f.read()
    result = run({"stability": 3, "cost": 2, "unification": 1})
    secs = advisor.sections(result, HOSTS, MEASURED)
    assert [s["title"] for s in secs] == ["Context", "Options", "Decision", "Consequences", "Measured", "Topology"]
    text, info = adr.upsert(original, "fleet-plan", "Fleet plan", "proposed", secs, today="2026-11-25")
    assert adr.validate(text) == [] and text.startswith(original.rstrip("\n"))
    assert advisor.previous_data(text, "fleet-plan") == advisor.recorded(MEASURED)
    assert advisor.previous_data(text, "other") == {}
    body = text.split("<!-- adr-id: fleet-plan -->")[1]
    assert "| oracle1 | 1024 MiB | 250 MiB | 200 MiB | 546 MiB | svc | no |" in body
    assert "| oracle2 | oracle1 | yes | 5432 | 30.50 ms |" in body
    assert "```mermaid\nflowchart LR\n" in body and "oracle2 -->|PostgreSQL, Redis over public IP| oracle1" in body
    # same numbers again, after stabilisation against what was written: identical entry
    again = advisor.sections(run({"stability": 3, "cost": 2, "unification": 1},
                                 measured=advisor.stabilize(MEASURED, advisor.previous_data(text, "fleet-plan"))),
                             HOSTS, MEASURED)
    text2, info2 = adr.upsert(text, "fleet-plan", "Fleet plan", "proposed", again, today="2027-01-01")
    assert info2["action"] == "unchanged" and text2 == text
    lines = advisor.table(result)
    assert lines[0].startswith("OPTION") and lines[1].startswith(result["choice"])
