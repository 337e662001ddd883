"""playbooks/plan3.yml against inventories/prod without any cloud or host: --syntax-check and
--check pass (check mode validates and prices, calls no cloud), and bad plan 3 choices stop the
first play, naming the inventory variable, before the cluster play starts."""
import json
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER_PLAY = "PLAY [The managed cluster"
# Any AWS/OCI call would go to a closed local port and fail.
NO_CLOUD = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_URL": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID": "none", "AWS_SECRET_ACCESS_KEY": "none", "OCI_CONFIG_FILE": "/nonexistent"}


def run(args, extra=None, playbook="plan3.yml"):
    cmd = ["ansible-playbook", os.path.join(ROOT, "playbooks", playbook), "-i",
           os.path.join(ROOT, "inventories", "prod")] + args
    if extra:
        cmd += ["-e", json.dumps(extra)]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1", **NO_CLOUD)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("playbook", ["plan3.yml", "plan3_workload.yml", "plan3_teardown.yml"])
def test_syntax_check(playbook):
    rc, out = run(["--syntax-check"], playbook=playbook)
    assert rc == 0, out


def test_teardown_check_mode_calls_no_cloud():
    rc, out = run(["--check"], playbook="plan3_teardown.yml")
    assert rc == 0, out[-3000:]
    assert "would make investment-plan3 absent" in re.sub(r"\s+", " ", out)


@pytest.mark.parametrize("extra,total", [
    ({}, "119.72"),
    ({"fleet_plan3_provider": "oke", "fleet_plan3_region": "ap-chuncheon-1", "fleet_plan3_workers": 2,
      "fleet_plan3_shape": "VM.Standard.E4.Flex"}, "47.81"),
])
def test_check_mode_prices_and_calls_no_cloud(extra, total):
    rc, out = run(["--check"], extra)
    assert rc == 0, out[-3000:]
    assert re.search(r"total\s+%s\s+USD" % re.escape(total), out), out[-3000:]
    assert "Check mode: the" in out and "calls are skipped" in out
    assert re.search(r"localhost\s+:\s+ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", out)
    # The data tier's firewall play contacts no host in check mode (the prod addresses are
    # documentation ranges: a connection would fail).
    assert re.search(r"oracle1\s+:\s+ok=0\s+changed=0\s+unreachable=0\s+failed=0\s+skipped=1", out), out[-3000:]


@pytest.mark.parametrize("extra,message", [
    # the role's argument spec refuses it first, naming the role variable
    ({"fleet_plan3_provider": "gke"}, "managed_cluster_provider must be one of: eks, oke, got: gke"),
    ({"fleet_plan3_shape": "t3.micro"}, "fleet_plan3_shape t3.micro has 1 GB of memory"),
    ({"fleet_plan3_stage": 3}, "fleet_plan3_stage: stage 3 needs a second node pool"),
    ({"fleet_plan3_api_allowed_cidrs": ["0.0.0.0/0"]}, "fleet_plan3_api_allowed_cidrs contains 0.0.0.0/0"),
    ({"fleet_plan3_provider": "oke", "fleet_plan3_region": "ap-mumbai-1", "fleet_plan3_shape": "VM.Standard.A1.Flex",
      "fleet_plan3_memory_gb": 1}, "fleet_plan3_shape VM.Standard.A1.Flex has 1 GB of memory"),
    ({"fleet_plan3_egress_addresses": ["0.0.0.0/0"]}, "fleet_plan3_egress_addresses contains 0.0.0.0/0"),
    ({"fleet_plan3_stacks": ["app", "data"]}, "fleet_plan3_stacks names 'data'"),
])
def test_bad_choices_stop_before_the_cluster_play(extra, message):
    rc, out = run([], extra)
    assert rc != 0
    assert message in re.sub(r"\s+", " ", out), out[-3000:]
    assert CLUSTER_PLAY not in out
