import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.investment.orchestration.plugins.filter.pricing import FilterModule

FILTERS = FilterModule().filters()
FLEET = {"oracle1": {"fleet_shape": "VM.Standard.E2.1.Micro"}, "aws-seoul": {"fleet_shape": "t3.small"}}


def test_filters_are_registered():
    assert set(FILTERS) == {"plan_cost", "plan3_stage_cost"}


def test_plan_cost():
    result = FILTERS["plan_cost"](FLEET, "plan3", provider="eks", stage=2)
    assert result["monthly"] == round(22.63 + 119.72, 2)
    assert result["plan"] == "plan3"


def test_plan3_stage_cost():
    assert FILTERS["plan3_stage_cost"]("oke", 1, workers=2, ocpus=1, memory_gb=4)["monthly"] == 47.81


def test_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match="plan_cost: plan must be one of"):
        FILTERS["plan_cost"](FLEET, "plan9")
    with pytest.raises(AnsibleFilterError, match="plan3_stage_cost: provider must be one of"):
        FILTERS["plan3_stage_cost"]("aks")
    with pytest.raises(AnsibleFilterError, match="plan3_stage_cost: .*unexpected keyword"):
        FILTERS["plan3_stage_cost"]("eks", nodes=3)
