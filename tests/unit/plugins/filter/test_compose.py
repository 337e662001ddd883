import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.investment.orchestration.plugins.filter.compose import FilterModule


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert set(filters) == {"compose_project", "compose_to_k8s", "image_ref_error"}
    assert filters["image_ref_error"]("Bad:tag") != ""


def test_compose_project_error_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="compose_project: service 'x' is not in the catalogue"):
        FilterModule().filters()["compose_project"]({}, "p", ["x"], {}, {})
