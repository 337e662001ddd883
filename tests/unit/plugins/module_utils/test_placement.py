import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.placement import (
    PlacementError,
    place,
)


def fleet(**changes):
    hosts = {
        "oracle1": {"fleet_role": "data", "fleet_region": "osaka", "fleet_memory_mb": 1024},
        "oracle2": {"fleet_role": "app", "fleet_region": "korea", "fleet_memory_mb": 1024},
        "oracle3": {"fleet_role": "macro", "fleet_region": "mumbai", "fleet_memory_mb": 1024},
        "aws-seoul": {"fleet_role": "edge", "fleet_region": "seoul", "fleet_memory_mb": 2048},
    }
    for host, facts in changes.items():
        if facts is None:
            hosts.pop(host.replace("_", "-"))
        else:
            hosts[host.replace("_", "-")].update(facts)
    return hosts


def summary(result):
    return {h: (p["runtime"], tuple(p["compose_stacks"]), tuple(p["k8s_stacks"]), p["cluster"])
            for h, p in result.items()}


# plan, options -> host: (runtime, compose stacks, k8s stacks, cluster)
TABLE = [
    ("compose", {}, {
        "oracle1": ("compose", ("data",), (), None), "oracle2": ("compose", ("app",), (), None),
        "oracle3": ("compose", ("macro",), (), None), "aws-seoul": ("compose", ("edge",), (), None)}),
    ("plan1", {"plan1_target": "korea"}, {
        "oracle1": ("compose", ("data",), (), None), "oracle2": ("k3s", (), ("app",), "korea"),
        "oracle3": ("compose", ("macro",), (), None), "aws-seoul": ("compose", ("edge",), (), None)}),
    ("plan1", {"plan1_target": "seoul"}, {
        "oracle1": ("compose", ("data",), (), None), "oracle2": ("none", (), (), None),
        "oracle3": ("compose", ("macro",), (), None), "aws-seoul": ("k3s", ("edge",), ("app",), "seoul")}),
    ("plan2", {}, {
        "oracle1": ("k3s", ("data",), (), "osaka"), "oracle2": ("k3s", (), ("app",), "korea"),
        "oracle3": ("k3s", ("macro",), (), "mumbai"), "aws-seoul": ("k3s", (), ("edge",), "seoul")}),
    ("plan2", {"plan2_data_on_k3s": True, "plan2_macro_on_k3s": "yes"}, {
        "oracle1": ("k3s", (), ("data",), "osaka"), "oracle2": ("k3s", (), ("app",), "korea"),
        "oracle3": ("k3s", (), ("macro",), "mumbai"), "aws-seoul": ("k3s", (), ("edge",), "seoul")}),
]


@pytest.mark.parametrize("plan,options,expected", TABLE)
def test_placement_table(plan, options, expected):
    assert summary(place(fleet(), plan, **options)) == expected


def test_profiles_follow_memory():
    result = place(fleet(), "plan2")
    assert result["oracle2"]["k3s_profile"] == "low-memory"
    assert result["aws-seoul"]["k3s_profile"] == "default"
    assert place(fleet(), "compose")["oracle2"]["k3s_profile"] is None


def test_plan2_without_the_optional_edge_host():
    result = place(fleet(aws_seoul=None), "plan2")
    assert sorted(result) == ["oracle1", "oracle2", "oracle3"]


@pytest.mark.parametrize("hosts,plan,options,message", [
    (fleet(), "plan4", {}, "fleet_plan 'plan4' is not one of compose, plan1, plan2, plan3"),
    (fleet(), "plan1", {"plan1_target": ["korea", "seoul"]}, "plan 1 runs Kubernetes in one region; it names 2"),
    (fleet(), "plan1", {"plan1_target": "mumbai"}, "fleet_plan1_target 'mumbai' is not one of korea, seoul"),
    (fleet(aws_seoul=None), "plan1", {"plan1_target": "seoul"}, "no host of the inventory is in region 'seoul'"),
    (fleet(oracle3={"fleet_region": ""}), "compose", {}, "oracle3: fleet_region is not set"),
    (fleet(oracle3={"fleet_role": "cache"}), "plan2", {}, "oracle3: fleet_role 'cache' is not one of"),
    (fleet(oracle1={"fleet_memory_mb": "1GB"}), "plan2", {}, "oracle1: fleet_memory_mb '1GB' is not a number"),
    (fleet(oracle3={"fleet_region": "osaka"}), "compose", {}, "oracle3: fleet_region 'osaka' is also the region of oracle1"),
    (fleet(), "plan2", {"plan2_data_on_k3s": "maybe"}, "fleet_plan2_data_on_k3s must be true or false"),
    (fleet(), "plan3", {}, "placed by the managed_cluster role"),
    ({}, "compose", {}, "no host in group fleet"),
])
def test_refusals_name_variable_and_host(hosts, plan, options, message):
    with pytest.raises(PlacementError, match=message.replace("(", r"\(").replace(")", r"\)")):
        place(hosts, plan, **options)


def test_memory_refusal_names_host_and_numbers():
    demand = {"data": 320, "app": 384, "macro": 512, "edge": 96}
    with pytest.raises(PlacementError) as exc:
        place(fleet(), "plan2", plan2_data_on_k3s=True, k3s_footprint_mib=405, stack_demand_mib=demand)
    assert str(exc.value).startswith(
        "oracle3: fleet_memory_mb is 1024 MiB but k3s with its stacks needs 1145 MiB "
        "(k3s 405 + macro 512 + reserve 228)")
    # Without Jenkins' 512 MiB, an app of 400 MiB does not fit 1 GB beside 405 + 228.
    with pytest.raises(PlacementError, match=r"oracle2: .* needs 1033 MiB \(k3s 405 \+ app 400"):
        place(fleet(), "plan2", k3s_footprint_mib=405, stack_demand_mib=dict(demand, app=400, macro=0))
    # Plan 1 puts k3s only on the app host: 405 + 384 + 228 = 1017 MiB fits 1024.
    ok = place(fleet(), "plan1", plan1_target="korea", k3s_footprint_mib=405, stack_demand_mib=demand)
    assert ok["oracle2"]["runtime"] == "k3s"


@pytest.mark.parametrize("plan,options,fronted", [
    ("plan1", {"plan1_target": "seoul"}, {"aws-seoul": ["edge"]}),
    ("plan1", {"plan1_target": "korea"}, {}),
    ("plan2", {}, {}),
    ("compose", {}, {}),
])
def test_front_stacks_only_for_the_edge_beside_the_app(plan, options, fronted):
    # Plan 1-B: the cutover points the edge at the app's pods beside it; nothing else is fronted.
    result = place(fleet(), plan, **options)
    assert {h: p["front_stacks"] for h, p in result.items() if p["front_stacks"]} == fronted
    for p in result.values():
        assert set(p["front_stacks"]) <= set(p["compose_stacks"])
