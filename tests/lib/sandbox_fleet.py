"""The sandbox fleet in the molecule verify suites: every host by name (testinfra), and the stacks."""
import json
import os
import subprocess

import pytest
import sandbox_run
import testinfra

HOSTS = ("oracle1", "oracle2", "oracle3", "aws-seoul")
ROLES = {"oracle1": "data", "oracle2": "app", "oracle3": "macro", "aws-seoul": "edge"}
SERVICES = {
    "data": ["timescaledb", "redis"],
    "app": ["backend", "prediction-service", "data-collector", "nginx"],
    "macro": ["jenkins"],
    "edge": ["frontend", "nginx"],
}
DOMAIN = "sandbox.test"
# oracle2's nginx: the app as the edge's api. upstream reaches it.
APP_API = "http://172.29.10.12/api/quotes"


@pytest.fixture(scope="session")
def fleet():
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return {
        name: testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, inventory))
        for name in HOSTS
    }


@pytest.fixture
def nothing_lost(fleet):  # pylint: disable=redefined-outer-name
    """The test loses no row or key of oracle1's data tier (counted before and after it); use it
    with pytestmark = pytest.mark.usefixtures("nothing_lost"), the conftest importing it."""
    before = sandbox_run.data_counts(fleet["oracle1"])
    yield
    sandbox_run.assert_nothing_lost(before, sandbox_run.data_counts(fleet["oracle1"]))


def compose_ps(host, role):
    out = host.check_output("docker compose -p investment-%s ps --all --format json" % role)
    # Compose v2 prints one JSON object per line.
    return {c["Service"]: c for c in (json.loads(line) for line in out.splitlines() if line.strip())}


def probe_tcp(source_ip, address, port, network="io-fleet"):
    """A TCP connect from a throwaway container at source_ip on the test network."""
    cmd = ["docker", "run", "--rm", "--network", network, "--ip", source_ip, "local/io-node:bookworm",
           "timeout", "4", "bash", "-c", "</dev/tcp/%s/%d" % (address, port)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False).returncode == 0


def served_by(edge):
    """The runtime (compose or kubernetes) that serves oracle2's app, from the X-Served-By of the
    app region's nginx as seen from EDGE (the edge, on Compose, adds its own after it)."""
    out = edge.check_output("curl -fsS -i -H 'Host: api.%s' %s", DOMAIN, APP_API)
    headers, body = out.split("\r\n\r\n", 1)
    assert json.loads(body)["service"] == "backend"
    values = {line.split(":", 1)[1].strip() for line in headers.splitlines() if line.lower().startswith("x-served-by")}
    # The edge (on Compose) adds "compose" after the app's own value; nginx may fold the two
    # when they are equal, so the app's runtime is "kubernetes" when that appears at all.
    assert values and values <= {"compose", "kubernetes"}, headers
    return "kubernetes" if "kubernetes" in values else "compose"
