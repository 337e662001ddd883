"""The sandbox fleet in the molecule verify suites: every host by name (testinfra), and the stacks."""
import json
import os
import subprocess

import pytest
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


@pytest.fixture(scope="session")
def fleet():
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return {
        name: testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, inventory))
        for name in HOSTS
    }


def compose_ps(host, role):
    out = host.check_output("docker compose -p investment-%s ps --all --format json" % role)
    # Compose v2 prints one JSON object per line.
    return {c["Service"]: c for c in (json.loads(line) for line in out.splitlines() if line.strip())}


def probe_tcp(source_ip, address, port, network="io-fleet"):
    """A TCP connect from a throwaway container at source_ip on the test network."""
    cmd = ["docker", "run", "--rm", "--network", network, "--ip", source_ip, "local/io-node:bookworm",
           "timeout", "4", "bash", "-c", "</dev/tcp/%s/%d" % (address, port)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False).returncode == 0
