import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.investment.orchestration.plugins.filter.cluster_objects import FilterModule

FILTERS = FilterModule().filters()
ROUTES = [{"host": "api", "namespace": "investment-app",
           "paths": [{"path": "/", "service": "backend", "port": 8000}]}]


def test_filters():
    assert set(FILTERS) == {"ingress_objects", "external_secrets_objects"}
    assert FILTERS["ingress_objects"](ROUTES, "k3s", "example.com")[0]["spec"]["rules"][0]["host"] == "api.example.com"
    objects = FILTERS["external_secrets_objects"]({"a": "b"}, "aws", "ns", "t", region="ap-northeast-2")
    assert [o["kind"] for o in objects] == ["SecretStore", "ExternalSecret"]


def test_errors():
    with pytest.raises(AnsibleFilterError, match="ingress_objects: provider 'x'"):
        FILTERS["ingress_objects"](ROUTES, "x", "example.com")
    with pytest.raises(AnsibleFilterError, match="external_secrets_objects: region is required"):
        FILTERS["external_secrets_objects"]({"a": "b"}, "aws", "ns", "t")
