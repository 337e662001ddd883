import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.investment.orchestration.plugins.filter.managed_placement import FilterModule

FILTER = FilterModule().filters()["managed_placement"]


def test_filter_places():
    result = FILTER({"provider": "eks", "region": "ap-northeast-2", "api_allowed_cidrs": ["192.0.2.0/24"]},
                    {"oracle2": {"fleet_role": "app"}})
    assert result["hosts"]["oracle2"]["runtime"] == "none"


def test_filter_error_names_variable():
    with pytest.raises(AnsibleFilterError, match="managed_placement: managed_cluster_stage 5"):
        FILTER({"provider": "oke", "region": "ap-mumbai-1", "stage": 5}, prefix="managed_cluster_")
