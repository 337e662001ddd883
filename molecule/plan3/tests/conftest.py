"""Fixtures of the plan 3 suite: the data host, the stand-in of the managed cluster, its API."""
import os
import sys

import pytest
import testinfra
from kubernetes import client, config

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "lib"))
from sandbox_fleet import DOMAIN, probe_tcp  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
from sandbox_run import CACHE  # noqa: E402 pylint: disable=wrong-import-position
DATA, WORKER = "172.29.40.11", "172.29.40.21"
NETWORK = "io-plan3"
STACKS = {"app": ["backend", "prediction-service", "data-collector", "nginx"], "edge": ["frontend", "nginx"]}


@pytest.fixture(scope="session")
def hosts():
    # The whole inventory directory: oracle1 is this scenario's host (inventory/hosts.yml and
    # host_vars: the container plan3-data), not a platform of molecule's own inventory file.
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    return {name: testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, inventory))
            for name in ("oracle1", "plan3-worker")}


@pytest.fixture(scope="session")
def api():
    path = os.path.join(CACHE, "kubeconfigs", "investment-plan3.conf")
    return client.ApiClient(config.new_client_from_config(path).configuration)
