import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.managed_placement import (
    ManagedPlacementError,
    managed_place,
    shape_memory_gb,
)

ALLOW = ["198.51.100.7/32"]
FLEET = {
    "oracle1": {"fleet_role": "data", "fleet_region": "osaka"},
    "oracle2": {"fleet_role": "app", "fleet_region": "korea"},
    "oracle3": {"fleet_role": "macro", "fleet_region": "mumbai"},
    "aws-seoul": {"fleet_role": "edge", "fleet_region": "seoul"},
}


def eks(**changes):
    options = {"provider": "eks", "region": "ap-northeast-2", "stage": 1, "workers": 1,
               "shape": "t3.small", "api_allowed_cidrs": ALLOW}
    options.update(changes)
    return options


def oke(**changes):
    options = {"provider": "oke", "region": "ap-chuncheon-1", "stage": 1, "workers": 2,
               "shape": "VM.Standard.E4.Flex", "ocpus": 1, "memory_gb": 4, "api_allowed_cidrs": ALLOW}
    options.update(changes)
    return options


def test_eks_stage1_moves_app_keeps_data_outside():
    result = managed_place(eks(), FLEET)
    assert result["clusters"] == [{
        "name": "investment-plan3", "region": "ap-northeast-2", "role": "primary",
        "node_pools": [{"name": "pool1", "shape": "t3.small", "size": 1, "memory_gb": 2}],
        "api_allowed_cidrs": ["198.51.100.7/32"]}]
    hosts = result["hosts"]
    assert (hosts["oracle1"]["runtime"], hosts["oracle1"]["compose_stacks"]) == ("compose", ["data"])
    assert (hosts["oracle2"]["runtime"], hosts["oracle2"]["moved_to"]) == ("none", "investment-plan3")
    assert hosts["oracle3"]["compose_stacks"] == ["macro"]
    assert hosts["aws-seoul"]["compose_stacks"] == ["edge"]
    assert result["k8s_stacks"] == ["app"]
    assert result["compose_stacks"] == ["data", "edge", "macro"]


def test_frontend_and_egress_from_stage1():
    result = managed_place(eks(stage=2, stacks=["app", "edge"], egress_addresses=["203.0.113.64/28", "198.51.100.9"]),
                           FLEET)
    assert result["k8s_stacks"] == ["app", "edge"]
    assert result["egress_addresses"] == ["203.0.113.64/28", "198.51.100.9"]
    assert (result["hosts"]["aws-seoul"]["runtime"], result["hosts"]["aws-seoul"]["moved_to"]) == \
        ("none", "investment-plan3")
    assert result["compose_stacks"] == ["data", "macro"]
    assert managed_place(eks())["egress_addresses"] == []


def test_oke_flex_pool():
    result = managed_place(oke(stage="2"))
    pool = result["clusters"][0]["node_pools"][0]
    assert pool == {"name": "pool1", "shape": "VM.Standard.E4.Flex", "size": 2, "memory_gb": 4, "ocpus": 1}
    assert result["stage"] == 2 and result["stage3"] is None


def test_stage3_second_pool_takes_macro():
    pools = [{"name": "general", "shape": "t3.small", "count": 1},
             {"name": "macro", "shape": "t3.medium", "size": 2}]
    result = managed_place(eks(stage=3, node_pools=pools, stage3_stacks=["macro"]), FLEET)
    assert [(p["name"], p["size"]) for p in result["clusters"][0]["node_pools"]] == [("general", 1), ("macro", 2)]
    assert result["hosts"]["oracle3"]["runtime"] == "none"
    assert result["k8s_stacks"] == ["app", "macro"]


def test_stage3_second_cluster():
    result = managed_place(oke(stage=3, stage3="cluster", stage3_stacks=["edge"],
                               second_cluster={"name": "plan3-mumbai", "region": "ap-mumbai-1"}), FLEET)
    assert [(c["name"], c["region"], c["role"]) for c in result["clusters"]] == [
        ("investment-plan3", "ap-chuncheon-1", "primary"), ("plan3-mumbai", "ap-mumbai-1", "stage3")]
    assert result["clusters"][1]["node_pools"][0]["memory_gb"] == 4
    assert result["hosts"]["aws-seoul"]["moved_to"] == "plan3-mumbai"


@pytest.mark.parametrize("options,message", [
    (eks(provider="gke"), "fleet_plan3_provider 'gke' is not one of eks, oke"),
    (eks(stage=4), "fleet_plan3_stage 4 is not one of 1, 2, 3"),
    (eks(stage=True), "fleet_plan3_stage True"),
    (eks(region="seoul"), "fleet_plan3_region 'seoul' is not a eks region"),
    (eks(shape="t3.micro"), r"^fleet_plan3_shape t3.micro has 1 GB .* at least 2 GB"),
    (eks(node_pools=[{"name": "small", "shape": "t3.micro"}]),
     r"fleet_plan3_node_pools\[0\] \(small\) shape t3.micro has 1 GB"),
    (eks(shape="VM.Standard.E4.Flex"), "is an OCI shape, not a eks one"),
    (eks(shape="c7.huge"), "'c7.huge' is not a known worker shape"),
    (oke(shape="t3.small"), "is an AWS shape, not a oke one"),
    (oke(memory_gb=1), "fleet_plan3_shape VM.Standard.E4.Flex has 1 GB of memory; plan 3 workers need at least 2 GB"),
    (oke(memory_gb=None), "is flexible: set its memory_gb"),
    (oke(ocpus=1, memory_gb=65), "exceeds 64 GB per OCPU"),
    (oke(shape="VM.Standard.E2.1.Micro"), "E2.1.Micro has 1 GB"),
    (eks(workers=0), r"fleet_plan3_workers must be at least 1, got 0"),
    (eks(api_allowed_cidrs=["0.0.0.0/0"]), "fleet_plan3_api_allowed_cidrs contains 0.0.0.0/0"),
    (eks(api_allowed_cidrs=["198.51.100.7/32", "::/0"]), "contains ::/0"),
    (eks(api_allowed_cidrs=[]), "fleet_plan3_api_allowed_cidrs must list the CIDRs"),
    (eks(api_allowed_cidrs="198.51.100.7/32"), "must list the CIDRs"),
    (eks(api_allowed_cidrs=["198.51.100.7/24"]), "'198.51.100.7/24' is not a CIDR"),
    (eks(stage=3), "fleet_plan3_stage: stage 3 needs a second node pool"),
    (eks(stage=3, stage3="cluster"), "needs fleet_plan3_second_cluster"),
    (eks(stage=3, stage3="region"), "fleet_plan3_stage3 'region' is not one of pool, cluster"),
    (eks(stage=3, stage3="cluster", second_cluster={"name": "investment-plan3"}), "must differ"),
    (eks(node_pools=[{"name": "a"}, {"name": "b"}]), "has 2 node pools at stage 1; a second pool is stage 3"),
    (eks(stage=3, node_pools=[{"name": "a"}, {"name": "a"}]), "names node pool 'a' twice"),
    (eks(stage3_stacks=["macro"]), "fleet_plan3_stage3_stacks is set at stage 1"),
    (eks(stage=3, node_pools=[{}, {}], stage3_stacks=["data"]), "stage3_stacks names 'data'"),
    (eks(cluster_name="bad name"), "fleet_plan3_cluster_name 'bad name'"),
    (eks(stacks=["app", "data"]), "fleet_plan3_stacks names 'data'; the cluster runs app, edge, macro"),
    (eks(stacks=["edge"]), r"fleet_plan3_stacks \['edge'\] must include app"),
    (eks(stacks=["app", "app"]), "fleet_plan3_stacks names 'app' twice"),
    (eks(stage=3, node_pools=[{}, {}], stacks=["app", "edge"], stage3_stacks=["edge"]),
     "fleet_plan3_stage3_stacks names 'edge', which fleet_plan3_stacks already puts"),
    (eks(egress_addresses=["0.0.0.0/0"]), "fleet_plan3_egress_addresses contains 0.0.0.0/0"),
    (eks(egress_addresses=["10.0.0.0/7"]), "contains 10.0.0.0/7: the data tier's firewall"),
    (eks(egress_addresses=["2001:db8::1"]), "contains 2001:db8::1"),
    (eks(egress_addresses=["203.0.113.300"]), "'203.0.113.300' is not an IPv4 address"),
    (eks(egress_addresses="203.0.113.5"), "fleet_plan3_egress_addresses must be a list"),
])
def test_refused(options, message):
    with pytest.raises(ManagedPlacementError, match=message):
        managed_place(options)


def test_errors_name_the_role_variable_and_host():
    with pytest.raises(ManagedPlacementError, match="managed_cluster_provider"):
        managed_place(eks(provider="aks"), prefix="managed_cluster_")
    with pytest.raises(ManagedPlacementError, match="oracle9: fleet_role is not set"):
        managed_place(eks(), {"oracle9": {"fleet_region": "x"}})


def test_shape_memory_table():
    assert shape_memory_gb("eks", "t3.small") == 2
    assert shape_memory_gb("eks", "t3.medium") == 4
    assert shape_memory_gb("oke", "VM.Standard.A1.Flex", memory_gb="6", ocpus=1) == 6
