import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.pricing import (
    HOURS_PER_MONTH,
    PRICES,
    PricingError,
    fleet_cost,
    monthly_cost,
    plan3_stage_cost,
)

FLEET = {
    "oracle1": {"fleet_provider": "oci", "fleet_shape": "VM.Standard.E2.1.Micro"},
    "oracle2": {"fleet_provider": "oci", "fleet_shape": "VM.Standard.E2.1.Micro"},
    "oracle3": {"fleet_provider": "oci", "fleet_shape": "VM.Standard.E2.1.Micro"},
    "aws-seoul": {"fleet_provider": "aws", "fleet_shape": "t3.small"},
}


def by_item(result):
    out = {}
    for line in result["lines"]:
        out[line["item"]] = round(out.get(line["item"], 0) + line["monthly"], 2)
    return out


def test_table_is_documented():
    assert PRICES["currency"] == "USD"
    assert PRICES["hours_per_month"] == HOURS_PER_MONTH == 730
    assert len(PRICES["as_of"]) == 10 and PRICES["as_of"][4] == "-"
    for key, item in PRICES["items"].items():
        assert item["source"].startswith("https://"), key
        assert item["per"] in ("hour", "gb-month"), key
    items = PRICES["items"]
    assert items["eks_control_plane"]["price"] == 0.10
    assert items["oke_basic_control_plane"]["price"] == 0
    assert items["oci_e2_1_micro"]["price"] == 0
    assert items["oci_flexible_lb_10mbps_free"]["price"] == 0


def test_monthly_cost_multiplies_hours_and_sums():
    result = monthly_cost([{"item": "eks_control_plane", "quantity": 1},
                           ("ec2_t3_small", 2), {"item": "ebs_gp3", "quantity": 40}])
    assert [line["monthly"] for line in result["lines"]] == [73.0, 37.96, 3.65]
    assert result["lines"][0]["unit_price"] == 73.0
    assert result["monthly"] == 114.61
    assert result["as_of"] == PRICES["as_of"]


@pytest.mark.parametrize("items,message", [
    ([{"item": "nope", "quantity": 1}], "unknown price item 'nope'"),
    ([{"item": "alb", "quantity": -1}], "must not be negative"),
    ([{"item": "alb", "quantity": "two"}], "must be a number"),
    (["alb"], "must be a dict"),
])
def test_monthly_cost_refuses(items, message):
    with pytest.raises(PricingError, match=message):
        monthly_cost(items)


def test_eks_stage1_one_t3_small():
    result = plan3_stage_cost("eks", 1)
    assert by_item(result) == {"eks_control_plane": 73.0, "alb": 16.43, "alb_lcu": 5.84,
                               "ec2_t3_small": 18.98, "ebs_gp3": 1.82, "aws_public_ipv4": 3.65}
    assert result["monthly"] == 119.72
    assert plan3_stage_cost("eks", 2)["monthly"] == result["monthly"]


def test_eks_stage3_pool_and_cluster():
    pool = plan3_stage_cost("eks", 3, stage3="pool")
    cluster = plan3_stage_cost("eks", 3, stage3="cluster")
    assert pool["monthly"] == round(119.72 + 18.98 + 1.82 + 3.65, 2)
    assert by_item(cluster)["eks_control_plane"] == 146.0
    assert cluster["monthly"] == round(2 * 119.72, 2)


def test_eks_t3_medium_and_lcu():
    result = plan3_stage_cost("eks", 1, workers=2, shape="t3.medium", alb_lcu=0)
    assert by_item(result)["ec2_t3_medium"] == 75.92
    assert by_item(result)["alb_lcu"] == 0


def test_oke_basic_e4_flex():
    result = plan3_stage_cost("oke", 1, workers=2, shape="VM.Standard.E4.Flex", ocpus=1, memory_gb=4)
    assert by_item(result) == {"oke_basic_control_plane": 0, "oci_flexible_lb_10mbps_free": 0,
                               "oci_e4_flex_ocpu": 36.5, "oci_e4_flex_memory": 8.76,
                               "oci_block_volume": 2.55}
    assert result["monthly"] == 47.81


def test_oke_enhanced_costs_control_plane():
    result = plan3_stage_cost("oke", 1, workers=2, ocpus=1, memory_gb=4, oke_cluster_type="ENHANCED_CLUSTER")
    assert by_item(result)["oke_enhanced_control_plane"] == 73.0
    assert result["monthly"] == 120.81


def test_oke_a1_within_free_allowance():
    result = plan3_stage_cost("oke", 1, workers=2, shape="VM.Standard.A1.Flex", ocpus=2, memory_gb=12)
    assert result["monthly"] == 2.55  # only the boot volumes: 4 OCPUs and 24 GB are free
    paid = plan3_stage_cost("oke", 1, workers=2, shape="VM.Standard.A1.Flex", ocpus=2, memory_gb=12,
                            a1_free_allowance=False)
    assert paid["monthly"] == round(2.55 + 4 * 7.3 + 24 * 1.095, 2)


def test_oke_a1_beyond_free_allowance():
    result = plan3_stage_cost("oke", 3, workers=2, shape="VM.Standard.A1.Flex", ocpus=2, memory_gb=12)
    # 8 OCPUs and 48 GB; 3000 OCPU-hours and 18000 GB-hours are free
    expected = 5.1 + (8 * 730 - 3000) * 0.01 + (48 * 730 - 18000) * 0.0015
    assert result["monthly"] == pytest.approx(expected, abs=0.02)


def test_oke_second_cluster_pays_second_load_balancer():
    result = plan3_stage_cost("oke", 3, workers=1, ocpus=1, memory_gb=4, stage3="cluster")
    assert by_item(result)["oci_flexible_lb"] == 8.25
    assert by_item(result)["oci_flexible_lb_mbps"] == 0.73


@pytest.mark.parametrize("args,message", [
    (("gke", 1), "provider must be one of eks, oke"),
    (("eks", 4), "stage must be 1, 2 or 3"),
    (("eks", "x"), "stage must be 1, 2 or 3"),
    (("eks", 3, 1, None, None, None, "region"), "stage3 must be pool or cluster"),
    (("eks", 1, 0), "workers must be at least 1"),
    (("eks", 1, 1, "VM.Standard.E4.Flex"), "not a eks shape"),
    (("oke", 1, 1, "m5.large"), "shape 'm5.large' has no price"),
])
def test_stage_cost_refuses(args, message):
    with pytest.raises(PricingError, match=message):
        plan3_stage_cost(*args)


def test_fleet_compose_plan1_plan2_same_hosts():
    compose = fleet_cost("compose", FLEET)
    assert compose["hosts"] == {"oracle1": 0, "oracle2": 0, "oracle3": 0, "aws-seoul": 22.63}
    assert compose["monthly"] == 22.63
    assert fleet_cost("keep-compose", FLEET)["monthly"] == 22.63
    assert fleet_cost("plan1", FLEET, {"plan1_target": "seoul"})["monthly"] == 22.63
    assert fleet_cost("plan2", FLEET)["monthly"] == 22.63


def test_fleet_plan3_adds_cluster():
    eks = fleet_cost("plan3", FLEET, {"fleet_plan3_provider": "eks", "fleet_plan3_stage": 1})
    assert eks["monthly"] == round(22.63 + 119.72, 2)
    oke = fleet_cost("plan3", FLEET, {"provider": "oke", "stage": 3, "workers": 2,
                                      "shape": "VM.Standard.E4.Flex", "ocpus": 1, "memory_gb": 4})
    assert oke["monthly"] == round(22.63 + 2 * 47.81, 2)
    retired = fleet_cost("plan3", FLEET, {"provider": "eks", "retire_hosts": ["aws-seoul"]})
    assert retired["monthly"] == 119.72 and "aws-seoul" not in retired["hosts"]
    assert fleet_cost("plan3", {}, {"provider": "eks"})["monthly"] == 119.72


@pytest.mark.parametrize("plan,hosts,options,message", [
    ("plan4", FLEET, None, "plan must be one of"),
    ("compose", {}, None, "hosts is empty"),
    ("compose", {"x": {}}, None, "x: fleet_shape is not set"),
    ("compose", {"x": {"fleet_shape": "VM.Standard.E4.Flex"}}, None, "x: fleet_shape .* flexible"),
    ("compose", {"x": {"fleet_shape": "c5.xlarge"}}, None, "x: fleet_shape 'c5.xlarge' has no price"),
    ("plan3", FLEET, {}, "plan3 needs options provider"),
    ("plan3", FLEET, {"provider": "eks", "retire_hosts": ["oracle9"]}, "retire_hosts names 'oracle9'"),
])
def test_fleet_cost_refuses(plan, hosts, options, message):
    with pytest.raises(PricingError, match=message):
        fleet_cost(plan, hosts, options)


def test_stage3_second_pool_of_another_shape_and_table():
    result = plan3_stage_cost("eks", 3, second_shape="t3.medium")
    assert by_item(result)["ec2_t3_medium"] == 37.96
    assert result["monthly"] == round(119.72 + 37.96 + 1.82 + 3.65, 2)
    assert len(result["table"]) == len(result["lines"]) + 1
    assert result["table"][0].startswith("eks_control_plane")
    assert "73.00" in result["table"][0]
    assert result["table"][-1].split()[:2] == ["total", "163.15"]
