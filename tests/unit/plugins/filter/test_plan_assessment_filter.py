import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.investment.orchestration.plugins.filter.advisor import FilterModule
from ansible_collections.investment.orchestration.plugins.module_utils import adr

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
MiB = 1024 * 1024
plan_assessment = FilterModule().filters()["plan_assessment"]
with open(os.path.join(ROOT, "roles", "preflight", "files", "footprints.yml")) as f:
    FOOTPRINTS = yaml.safe_load(f)


def hosts():
    out = {}
    for name in ("oracle1", "oracle2", "oracle3", "aws-seoul"):
        with open(os.path.join(ROOT, "inventories", "prod", "host_vars", name + ".yml")) as f:
            out[name] = yaml.safe_load(f)
    return out


def measured(delta=0):
    return dict((h, {"capacity_bytes": 1024 * MiB, "used_bytes": 300 * MiB, "stack_bytes": 250 * MiB,
                     "headroom_bytes": (496 + delta) * MiB, "services": ["a"], "k8s": False, "links": {}})
                for h in hosts())


def test_prod_inventory_assessed_and_rerun_is_stable():
    r = plan_assessment(measured(), hosts(), {"stability": 3, "cost": 2, "unification": 1}, footprints=FOOTPRINTS)
    assert r["assessment"]["choice"] in ("compose", "plan1", "plan2", "plan3")
    text = adr.upsert("", "fleet-plan", "x", "proposed", r["sections"], today="2026-11-25")[0]
    r2 = plan_assessment(measured(delta=10), hosts(), {"stability": 3, "cost": 2, "unification": 1},
                         footprints=FOOTPRINTS, previous=text)
    assert r2["previous"] == r["recorded"] and r2["recorded"] == r["recorded"]
    assert r2["sections"] == r["sections"]
    r3 = plan_assessment(measured(delta=100), hosts(), {"stability": 3, "cost": 2, "unification": 1},
                         footprints=FOOTPRINTS, previous=text)
    assert r3["recorded"] != r["recorded"]


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match="plan_assessment: .*not one of"):
        plan_assessment(measured(), hosts(), {"speed": 1}, footprints=FOOTPRINTS)
    with pytest.raises(AnsibleFilterError, match="footprint"):
        plan_assessment(measured(), hosts(), {"stability": 1}, footprints=FOOTPRINTS, footprint_lowmem="nope")
