"""The host playbooks against inventories/prod from a machine that cannot reach the fleet (issue 6,
item 2): --syntax-check passes, and --check validates every input and places the plan on the
controller, names each host it cannot reach in one line and ends it (rc 0), while a real run
against the same unreachable hosts still fails before any change.

Every host is pointed at a closed local port (extra vars win over the inventory's ansible_host,
the RFC 5737 public IPs), so nothing leaves the machine; the inventory guard below fails the
module if prod ever sets a connection variable that the override would not cover, and each run
asserts that ssh tried 127.0.0.1:9 and nothing else. The reachable host of the last test uses
the local connection: no network at all.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from test_bad_input import SECRETS  # pylint: disable=import-error

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROD = os.path.join(ROOT, "inventories", "prod")
PLAYBOOKS = ["preflight.yml", "compose.yml", "plan1.yml", "plan2.yml", "upgrade.yml", "rollback.yml",
             "uninstall.yml"]
# The playbooks whose first play runs the placement role: their line shows this host's placement.
PLACED = {"preflight.yml", "plan1.yml", "plan2.yml", "upgrade.yml"}
HOSTS = ("oracle1", "oracle2", "oracle3", "aws-seoul")
CLOSED_PORT = {"ansible_host": "127.0.0.1", "ansible_port": 9}
# Prod keeps its secrets in a vault file that is not in the repository: placeholders, as in the
# bad-input tests (they pass the validation and are never printed).
OFFLINE = dict(CLOSED_PORT, compose_stack_secrets=SECRETS)
NOT_REACHABLE = "%s not reachable: check mode shows the validation"
# ssh's own error names the address it tried.
SSH_TARGET = re.compile(r"connect to host (\S+) port (\d+)")


def run(playbook, args, extra, inventory=PROD):
    cmd = ["ansible-playbook", os.path.join(ROOT, "playbooks", playbook), "-i", str(inventory),
           "-e", json.dumps(extra)] + args
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_TIMEOUT="5",
               # no ~/.ssh/config (a ProxyJump there could take the connection elsewhere)
               ANSIBLE_SSH_ARGS="-F /dev/null -o ConnectTimeout=5")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    targets = set(SSH_TARGET.findall(out))
    assert targets <= {("127.0.0.1", "9")}, "a connection left the machine: %s\n%s" % (targets, out[-3000:])
    return proc.returncode, out


def recap(out, host):
    m = re.search(r"^%s\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                  out, re.M)
    assert m, "%s not in the recap:\n%s" % (host, out[-3000:])
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups())))


def assert_clean(out, host):
    stats = recap(out, host)
    assert (stats["changed"], stats["unreachable"], stats["failed"]) == (0, 0, 0), (host, stats, out[-3000:])


def flat(out):
    return re.sub(r"\s+", " ", out)


def after_first_play(out):
    """What the playbook printed from its second play up to the recap."""
    body = out.split("PLAY RECAP", 1)[0]
    plays = re.split(r"^PLAY \[", body, flags=re.M)
    return "".join(plays[2:])


@pytest.fixture(scope="module", autouse=True)
def prod_connects_over_ssh_only():
    """The closed-port override holds only while prod sets no other connection variable."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    proc = subprocess.run(["ansible-inventory", "-i", PROD, "--list"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    hostvars = json.loads(proc.stdout)["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(HOSTS)
    for host, hv in hostvars.items():
        connection_vars = {k for k in hv if k.startswith("ansible_")}
        assert connection_vars <= {"ansible_host", "ansible_user", "ansible_become"}, (host, connection_vars)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_syntax_check(playbook):
    rc, out = run(playbook, ["--syntax-check"], {})
    assert rc == 0, out


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_check_mode_without_the_fleet(playbook):
    rc, out = run(playbook, ["--check"], OFFLINE)
    assert rc == 0, out[-3000:]
    text = flat(out)
    for host in HOSTS:
        assert_clean(out, host)
        assert NOT_REACHABLE % host in text, out[-3000:]
        if playbook in PLACED:
            assert re.search(re.escape(NOT_REACHABLE % host) + r" and the placement only \((compose|k3s|none); ",
                             text), out[-3000:]
        if playbook != "uninstall.yml":  # its only play starts with the host
            assert re.search(r"ok: \[%s\]" % re.escape(host), out.split("Reach the host (check mode)", 1)[0]), \
                "no controller-side check ran for %s before it was reached:\n%s" % (host, out[-3000:])
    if playbook == "plan2.yml":  # the inventory's plan 2: app and edge move, data and macro stay
        for host, placed in (("oracle1", "k3s; Compose: data; Kubernetes: -"),
                             ("oracle2", "k3s; Compose: -; Kubernetes: app"),
                             ("aws-seoul", "k3s; Compose: -; Kubernetes: edge")):
            assert (NOT_REACHABLE % host) + " and the placement only (%s)" % placed in text, out[-3000:]
    # Nothing after the first play ran for any of them (a later play ends them at its first task,
    # which prints no result).
    rest = after_first_play(out)
    for host in HOSTS:
        assert host not in rest, "%s ran in a later play:\n%s" % (host, rest[-3000:])


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_real_run_against_unreachable_hosts_is_refused(playbook):
    rc, out = run(playbook, [], OFFLINE)
    assert rc != 0, out[-3000:]
    assert "UNREACHABLE!" in out and "...ignoring" not in out, out[-3000:]
    assert "not reachable: check mode" not in flat(out), out[-3000:]
    stats = {host: recap(out, host) for host in HOSTS}
    assert all(s["changed"] == 0 for s in stats.values()), stats
    # upgrade.yml goes one host at a time and stops at the first (max_fail_percentage: 0)
    assert stats["oracle1"]["unreachable"] == 1, stats


@pytest.mark.parametrize("extra, message", [
    ({"compose_stack_secrets": {"postgres_password": "x"}},
     "oracle1: compose_stack_secrets.redis_password is missing or empty"),
    ({"fleet_plan2_data_on_k3s": "maybe"}, "fleet_plan2_data_on_k3s must be true or false, got 'maybe'"),
])
def test_bad_input_still_fails_in_check_mode_without_the_fleet(extra, message):
    rc, out = run("plan2.yml", ["--check"], dict(OFFLINE, **extra))
    assert rc != 0, out[-3000:]
    assert message in flat(out), out[-3000:]
    assert "Reach the host" not in out and "not reachable" not in out, out[-3000:]
    assert "PLAY [Docker Compose where the plan keeps it]" not in out, out[-3000:]


def local_oracle3(tmp_path, **host_vars):
    """A copy of prod where oracle3 is this machine, through the local connection."""
    inventory = tmp_path / "prod"
    shutil.copytree(PROD, inventory)
    path = inventory / "host_vars" / "oracle3.yml"
    data = yaml.safe_load(path.read_text())
    data.update(dict(ansible_connection="local", ansible_become=False, ansible_python_interpreter=sys.executable),
                **host_vars)
    path.write_text(yaml.safe_dump(data))
    return inventory


def test_a_reachable_host_still_gets_the_dry_run(tmp_path):
    """oracle3 through the local connection (this machine, read-only preflight), the others at the
    closed port: oracle3 is measured and shown in the fleet's memory table, the others are ended."""
    inventory = local_oracle3(tmp_path)
    # The verdict depends on this machine's memory, not on the code under test.
    rc, out = run("preflight.yml", ["--check"], dict(OFFLINE, preflight_ignore_failures=True), inventory)
    assert rc == 0, out[-3000:]
    text = flat(out)
    assert "oracle3 not reachable" not in text, out[-3000:]
    for host in ("oracle1", "oracle2", "aws-seoul"):
        assert NOT_REACHABLE % host in text, out[-3000:]
        assert_clean(out, host)
    measured = out.split("TASK [investment.orchestration.preflight : Measure memory headroom]", 1)[1]
    measured = measured.split("TASK [", 1)[0]
    assert "ok: [oracle3]" in measured and "oracle1" not in measured, out[-3000:]
    assert re.search(r"oracle3\s+(ok|warn|fail)\s+\d+M", out), out[-3000:]
    assert_clean(out, "oracle3")


def test_a_host_that_answers_with_an_error_stops_the_check(tmp_path):
    """Reached but broken (here: no Python at the interpreter path) is a real failure, not a host
    out of reach: it fails, and any_errors_fatal stops every host before the next play."""
    inventory = local_oracle3(tmp_path, ansible_python_interpreter="/nonexistent/python3")
    rc, out = run("compose.yml", ["--check"], OFFLINE, inventory)
    assert rc != 0, out[-3000:]
    assert "oracle3: reached, but" in flat(out), out[-3000:]
    assert recap(out, "oracle3")["failed"] == 1, out[-3000:]
    assert "Measure memory headroom" not in out and "PLAY [Docker Compose on every host]" not in out, out[-3000:]
