"""Fixtures of the plan 1-B suite: the three hosts (this scenario's inventory), Seoul's cluster."""
import json
import os
import sys

import pytest
import testinfra
from kubernetes import client, config

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "lib"))
from sandbox_fleet import DOMAIN, SERVICES, compose_ps, nothing_lost  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
from sandbox_run import CACHE  # noqa: E402 pylint: disable=wrong-import-position

HOSTS = ("oracle1", "oracle2", "aws-seoul")
APP, EDGE = "172.29.60.12", "172.29.60.14"
KUBECONFIG = os.path.join(CACHE, "kubeconfigs", "plan1b", "seoul.conf")
# Where the app's pods are published beside the edge (roles/cutover: cutover_app_port_beside_edge).
APP_PORT = 8081


@pytest.fixture(scope="session")
def fleet():
    # The whole inventory directory: the hosts are this scenario's (inventory/hosts.yml and
    # host_vars: the containers p1b-*), not the platforms of molecule's own inventory file.
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    return {name: testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, inventory)) for name in HOSTS}


@pytest.fixture(scope="session")
def api():
    return client.ApiClient(config.new_client_from_config(KUBECONFIG).configuration)


def through_edge(edge, path="/api/quotes", host="api"):
    """(X-Served-By values, body) of a request to the edge's port 80 from the edge host."""
    out = edge.check_output("curl -fsS -i --max-time 10 -H 'Host: %s.%s' 'http://%s%s'", host, DOMAIN, EDGE, path)
    headers, body = out.split("\r\n\r\n", 1)
    values = [v.strip() for line in headers.splitlines() if line.lower().startswith("x-served-by")
              for v in line.split(":", 1)[1].split(",")]
    return values, body


def app_runtime(edge):
    """Where the edge's api. traffic is served: kubernetes (the pods beside it) or compose (oracle2)."""
    values, body = through_edge(edge)
    assert json.loads(body)["service"] == "backend"
    assert values and set(values) <= {"compose", "kubernetes"}, values
    # The edge (Compose) adds "compose" after the app nginx's own value.
    return "kubernetes" if "kubernetes" in values else "compose"
