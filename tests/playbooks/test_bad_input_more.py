"""More bad input (issue 9): each case must be refused by the validation play of
playbooks/compose.yml, or by the validation a plan playbook runs (fleet_placement), before any
host is contacted, with a message that names the host and the variable.

As in test_bad_input.py, no sandbox container exists during these runs: reaching the message
without the second play, and without a connection error, proves that nothing touched a host.
"""
import os
import subprocess

import pytest
import yaml

from test_bad_input import (  # pylint: disable=import-error,unused-import
    ROOT,
    SECRETS,
    assert_refused,
    edit_host,
    inventory,  # noqa: F401  (fixture)
)
from test_bad_input import run_playbook as _run_playbook  # pylint: disable=import-error

CONNECTION_ERROR = "UNREACHABLE"
# Should a check ever let a run through, it cannot reach a sandbox container that happens to be up
# (another session's fleet): every host points at a container that does not exist.
NOWHERE = {"ansible_host": "io-quality-no-such-container"}


def run_playbook(args, inventory=None, extra=None):
    return _run_playbook(args, inventory, dict(extra or {}, **NOWHERE))


def refused(rc, out, *needles):
    assert_refused(rc, out, *needles)
    assert CONNECTION_ERROR not in out, "a host was contacted:\n" + out


def drop_host_var(inventory, host, key):
    path = inventory / "host_vars" / ("%s.yml" % host)
    data = yaml.safe_load(path.read_text())
    del data[key]
    path.write_text(yaml.safe_dump(data))


# --------------------------------------------------------------------------------------------
# Memory quantities


def _limits(**changes):
    limits = {"timescaledb": "256m", "redis": "64m", "nginx": "32m", "backend": "128m",
              "prediction-service": "128m", "data-collector": "96m", "jenkins": "512m", "frontend": "64m"}
    limits.update(changes)
    return limits


def test_malformed_mem_limit():
    rc, out = run_playbook([], extra={"compose_stack_secrets": SECRETS,
                                      "compose_stack_mem_limits": _limits(backend="128 megs")})
    refused(rc, out, "oracle2: compose_stack_mem_limits['backend'] = '128 megs'",
            "not a Docker/Compose size")


def test_negative_mem_limit():
    rc, out = run_playbook([], extra={"compose_stack_secrets": SECRETS,
                                      "compose_stack_mem_limits": _limits(timescaledb="-256m")})
    refused(rc, out, "oracle1: compose_stack_mem_limits['timescaledb'] = '-256m'")


def test_zero_mem_limit_would_mean_no_limit():
    rc, out = run_playbook([], extra={"compose_stack_secrets": SECRETS,
                                      "compose_stack_mem_limits": _limits(jenkins="0")})
    refused(rc, out, "oracle3: compose_stack_mem_limits['jenkins'] = '0'", "less than the minimum 6m")


def test_missing_mem_limit_of_a_service():
    limits = _limits()
    del limits["frontend"]
    rc, out = run_playbook([], extra={"compose_stack_secrets": SECRETS, "compose_stack_mem_limits": limits})
    refused(rc, out, "aws-seoul: compose_stack_mem_limits['frontend'] = ''")


def test_malformed_preflight_quantity():
    """A Docker-style 'm' given to preflight (node_memory_headroom reads Kubernetes notation,
    where 128m is 0.128 bytes) is refused on the controller before the module runs on a host."""
    rc, out = run_playbook([], extra={"compose_stack_secrets": SECRETS, "preflight_os_reserve": "128m"})
    refused(rc, out, "oracle1: preflight_os_reserve = '128m'", "Kubernetes notation")
    assert "Measure memory headroom" not in out


# --------------------------------------------------------------------------------------------
# Image references


def test_image_registry_host_typo(inventory):  # noqa: F811
    edit_host(inventory, "oracle3", compose_stack_images={"jenkins": "ghcr..io/investment/jenkins:2.462"})
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    refused(rc, out, "oracle3: compose_stack_images['jenkins'] = 'ghcr..io/investment/jenkins:2.462'",
            "the registry host 'ghcr..io' is not a valid host name")


def test_image_bad_digest(inventory):  # noqa: F811
    edit_host(inventory, "aws-seoul", compose_stack_images={
        "frontend": "local/frontend@sha256:1234abcd", "nginx": "local/n:1"})
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    refused(rc, out, "aws-seoul: compose_stack_images['frontend'] = 'local/frontend@sha256:1234abcd'",
            "is not sha256:<64 lowercase hex digits>")


# --------------------------------------------------------------------------------------------
# Inventory


def test_host_without_region(inventory):  # noqa: F811
    drop_host_var(inventory, "oracle3", "fleet_region")
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    refused(rc, out, "oracle3: fleet_region is not set")


def test_two_hosts_in_one_region(inventory):  # noqa: F811
    edit_host(inventory, "aws-seoul", fleet_region="korea")
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    refused(rc, out, "oracle2: fleet_region 'korea' is also the region of aws-seoul")


def test_negative_host_memory(inventory):  # noqa: F811
    edit_host(inventory, "oracle1", fleet_memory_mb=-1024)
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    refused(rc, out, "oracle1: fleet_memory_mb must be positive, got -1024")


def test_host_memory_not_a_number(inventory):  # noqa: F811
    edit_host(inventory, "oracle2", fleet_memory_mb="1 GB")
    rc, out = run_playbook([], str(inventory), {"compose_stack_secrets": SECRETS})
    refused(rc, out, "oracle2: fleet_memory_mb '1 GB' is not a number of MiB")


# --------------------------------------------------------------------------------------------
# Secrets and options


@pytest.mark.parametrize("value, why", [
    ("line1\nPOSTGRES_USER=evil", "newline"),
    ('pa"ss', "quote"),
    ("pa$HOME", "interpolation"),
])
def test_secret_that_would_break_the_env_file(value, why):
    rc, out = run_playbook([], extra={"compose_stack_secrets": dict(SECRETS, postgres_password=value)})
    refused(rc, out, "oracle1: compose_stack_secrets.postgres_password contains a character",
            "oracle2: compose_stack_secrets.postgres_password contains a character")
    assert value not in out, why


def test_unknown_pull_policy():
    rc, out = run_playbook([], extra={"compose_stack_secrets": SECRETS, "compose_stack_pull": "sometimes"})
    refused(rc, out, "compose_stack_pull", "missing, always, never")


# --------------------------------------------------------------------------------------------
# Plan options: refused by the placement role, which every plan playbook runs first (pure
# computation on the controller), and by playbooks/plan1.yml itself

PLAN_VALIDATION = """
- name: Place the plan before any change
  hosts: fleet
  gather_facts: false
  any_errors_fatal: true
  roles:
    - role: investment.orchestration.placement

- name: A change
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Would change something
      ansible.builtin.ping:
"""


def run_plan(tmp_path, extra, playbook=None):
    if playbook is None:
        playbook = tmp_path / "plan.yml"
        playbook.write_text(PLAN_VALIDATION)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-playbook", str(playbook), "-i", os.path.join(ROOT, "inventories", "sandbox"),
                           "-e", yaml.safe_dump(dict(extra, **NOWHERE), default_flow_style=True)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("extra, message", [
    ({"fleet_plan": "plan4"}, "fleet_plan 'plan4' is not one of compose, plan1, plan2, plan3"),
    ({"fleet_plan": "plan1", "fleet_plan1_target": ["korea", "seoul"]},
     "fleet_plan1_target: plan 1 runs Kubernetes in one region; it names 2 (korea, seoul)"),
    ({"fleet_plan": "plan1", "fleet_plan1_target": "tokyo"}, "fleet_plan1_target 'tokyo' is not one of korea, seoul"),
    ({"fleet_plan": "plan2", "fleet_plan2_data_on_k3s": "maybe"},
     "fleet_plan2_data_on_k3s must be true or false, got 'maybe'"),
])
def test_bad_plan_option(tmp_path, extra, message):
    rc, out = run_plan(tmp_path, extra)
    assert rc != 0, out
    assert "fleet_placement: " + message in out, out
    assert "PLAY [A change]" not in out and CONNECTION_ERROR not in out, out
    assert "fatal: [" in out  # the host the failing task ran for


def test_plan1_playbook_refuses_two_targets(tmp_path):
    rc, out = run_plan(tmp_path, {"fleet_plan1_target": ["korea", "seoul"]},
                       os.path.join(ROOT, "playbooks", "plan1.yml"))
    assert rc != 0, out
    assert "fleet_placement: fleet_plan1_target: plan 1 runs Kubernetes in one region; it names 2" in out, out
    assert "PLAY [Docker Compose where the plan keeps it]" not in out and CONNECTION_ERROR not in out, out


@pytest.mark.parametrize("variable", ["host_firewall_allow_extra", "host_firewall_allow_clusters"])
def test_plan2_refuses_a_firewall_open_to_everyone(tmp_path, variable):
    rc, out = run_plan(tmp_path, {variable: ["0.0.0.0/0"]}, os.path.join(ROOT, "playbooks", "plan2.yml"))
    assert rc != 0, out
    assert "host_firewall_allow_clusters must be IPv4 addresses or networks no wider than /8" in out, out
    assert "['0.0.0.0/0']" in out and "fatal: [oracle1]" in out, out
    assert "PLAY [Docker Compose where the plan keeps it]" not in out and CONNECTION_ERROR not in out, out


def test_plan_validation_accepts_the_sandbox(tmp_path):
    """The same play passes with good options: the failures above come from the options."""
    playbook = tmp_path / "plan.yml"
    playbook.write_text(PLAN_VALIDATION.split("\n- name: A change", maxsplit=1)[0])
    rc, out = run_plan(tmp_path, {"fleet_plan": "plan1"}, playbook)
    assert rc == 0, out


# --------------------------------------------------------------------------------------------
# Downloaded binaries: the Compose plugin copied to the hosts must have its pinned checksum


def run_docker_role(tmp_path, *extra):
    playbook = tmp_path / "docker.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Docker", "hosts": "fleet", "gather_facts": False, "any_errors_fatal": True,
        "roles": [{"role": "investment.orchestration.docker"}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    args = ["-e", "ansible_host=%s" % NOWHERE["ansible_host"]]
    for e in extra:
        args += ["-e", e]
    proc = subprocess.run(["ansible-playbook", str(playbook), "-i", os.path.join(ROOT, "inventories", "sandbox")] + args,
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_compose_plugin_with_another_checksum_is_not_copied(tmp_path):
    plugin = tmp_path / "docker-compose"
    plugin.write_bytes(b"#!/bin/sh\necho not compose\n")
    rc, out = run_docker_role(tmp_path, "docker_compose_plugin_file=%s" % plugin)
    assert rc != 0, out
    assert "oracle1: docker_compose_plugin_file %s is sha256:" % plugin in out, out
    assert "not docker_compose_plugin_checksum sha256:dba9d98e" in out, out
    assert "Read installed packages" not in out and CONNECTION_ERROR not in out, out


def test_compose_plugin_of_the_harness_has_the_pinned_checksum(tmp_path):
    """scripts/setup-host.sh and the sandbox inventory pin the same binary: the check passes (the
    run then stops at the first task that needs a host, which does not exist here)."""
    rc, out = run_docker_role(tmp_path)
    task = out.split("TASK [investment.orchestration.docker : Check the Compose v2 plugin checksum]", 1)[1]
    task = task.split("TASK [", 1)[0]
    assert "ok: [oracle1]" in task and "failed" not in task, out
    after = out.split("Read installed packages", 1)[-1]
    assert "Read installed packages" in out and ("fatal: [oracle1]" in after or CONNECTION_ERROR in after), out


# --------------------------------------------------------------------------------------------
# kube_node's eviction thresholds (the kubelet would not start on a malformed one)

KUBE_NODE_VALIDATE = """
- name: The single-node Kubernetes's checks
  hosts: oracle2
  gather_facts: false
  tasks:
    - name: Check the inputs
      ansible.builtin.include_role:
        name: investment.orchestration.kube_node
        tasks_from: validate
"""


def run_kube_node_validate(tmp_path, thresholds):
    playbook = tmp_path / "kube_node.yml"
    playbook.write_text(KUBE_NODE_VALIDATE)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    extra = dict(NOWHERE, kube_node_eviction_hard=thresholds, kube_node_address="172.29.10.12")
    proc = subprocess.run(["ansible-playbook", str(playbook), "-i", os.path.join(ROOT, "inventories", "sandbox"),
                           "-e", yaml.safe_dump(extra, default_flow_style=True)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("signal, threshold", [
    ("imagefs.available", "15"),            # a percentage without its sign
    ("nodefs.available", "ten%"),
    ("memory.available", "100MB"),           # not Kubernetes notation
    ("disk.available", "10%"),               # no such signal
])
def test_kube_node_refuses_a_malformed_eviction_threshold(tmp_path, signal, threshold):
    thresholds = {"memory.available": "100Mi", "nodefs.available": "10%", signal: threshold}
    rc, out = run_kube_node_validate(tmp_path, thresholds)
    assert rc != 0, out
    assert "oracle2: kube_node_eviction_hard['%s'] = '%s'" % (signal, threshold) in " ".join(out.split()), out
    assert CONNECTION_ERROR not in out, out


def test_kube_node_takes_the_sandbox_thresholds(tmp_path):
    """The sandbox's own thresholds pass the same checks (the run stops at the first task that
    needs the controller's binaries or a host)."""
    rc, out = run_kube_node_validate(tmp_path, {"memory.available": "100Mi", "nodefs.available": "2%",
                                                "imagefs.available": "2%", "nodefs.inodesFree": "5%"})
    task = out.split("TASK [investment.orchestration.kube_node : Check the eviction thresholds]", 1)[1]
    task = task.split("TASK [", 1)[0]
    assert "failed" not in task and "ok: [oracle2]" in task, out
