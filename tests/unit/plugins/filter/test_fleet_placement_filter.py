import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.investment.orchestration.plugins.filter.placement import FilterModule

HOSTS = {"oracle2": {"fleet_role": "app", "fleet_region": "korea", "fleet_memory_mb": 1024}}


def test_filter_places_and_refuses():
    f = FilterModule().filters()["fleet_placement"]
    assert f(HOSTS, "plan1")["oracle2"]["k8s_stacks"] == ["app"]
    with pytest.raises(AnsibleFilterError, match="fleet_placement: fleet_plan 'plan9'"):
        f(HOSTS, "plan9")
