"""Plan 1-B's playbooks interrupted, then run again right after (issue 9); after test_plan1b.py,
with the app on aws-seoul's cluster beside the edge. PostgreSQL rows and Redis keys on oracle1 are
counted before and after each (none lost).

1. upgrade.yml (a new kube-scheduler in a binary directory of its own) killed right after it
   replaced the binary, before its restart handler ran: the next run must still restart the
   node's units, so that none keeps running the replaced file; the app still served.
2. rollback.yml of the edge's host alone is refused before any change: the app does not answer
   on oracle2, where the edge's api. traffic would go.
3. rollback.yml of both hosts, killed on aws-seoul once its edge is back on Compose and before the
   cluster gives the app up: the next run finishes; the app is served from oracle2's Compose.
4. uninstall.yml on aws-seoul killed once the units are stopped, before their files are removed:
   the next run removes the rest and kube-proxy's rules; compose.yml then brings the edge back.

Times in $IO_CACHE/logs/plan1b-fault-times.jsonl."""
import os
import shutil

import pytest
import sandbox_run
from conftest import APP, SERVICES, app_runtime, compose_ps
from kubernetes import client

LOG = "plan1b-fault-times"
BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl")
UNITS = ("kube-etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
         "containerd")
RECORD = "TASK [investment.orchestration.kube_node : Record the checksums of the installed binaries]"
REMOVE = "TASK [investment.orchestration.kube_node : Remove the units and configuration]"


@pytest.fixture(autouse=True)
def nothing_lost(fleet):
    before = sandbox_run.data_counts(fleet["oracle1"])
    yield
    after = sandbox_run.data_counts(fleet["oracle1"])
    sandbox_run.assert_nothing_lost(before, after)


@pytest.fixture(scope="module")
def new_binaries(tmp_path_factory):
    """The built binaries, kube-scheduler changed (bytes appended to an ELF file still run)."""
    built = os.path.join(sandbox_run.CACHE, "kube", "v1.34.4")
    new = tmp_path_factory.mktemp("kube-upgrade")
    for name in BINARIES:
        shutil.copy2(os.path.join(built, name), new / name)
    with open(new / "kube-scheduler", "ab") as f:
        f.write(b"\0upgrade-test\0")
    return str(new)


def exe_of(host, unit):
    pid = host.check_output("systemctl show -p MainPID --value %s", unit)
    assert pid not in ("", "0"), "%s is not running" % unit
    return host.check_output("readlink /proc/%s/exe", pid)


def test_upgrade_killed_before_its_restart_then_run_again(fleet, new_binaries):
    node = fleet["aws-seoul"]
    args = ("-e", "fleet_plan=plan1", "-e", "kube_node_binary_dir=" + new_binaries, "--limit", "aws-seoul")
    rc, killed = sandbox_run.interrupted(LOG, "upgrade.yml", RECORD, sandbox_run.kill, *args)
    assert killed, "upgrade.yml never replaced a binary (rc %s)" % rc
    # The new binary is in place, the old one still runs: a restart is owed.
    assert exe_of(node, "kube-scheduler").endswith("(deleted)")
    rc, out = sandbox_run.playbook(LOG, "upgrade.yml", *args)
    assert rc == 0, out[-3000:]
    for unit in UNITS:
        assert not exe_of(node, unit).endswith("(deleted)"), unit
    assert app_runtime(node) == "kubernetes"


def test_rollback_of_the_edge_alone_is_refused(fleet):
    rc, out = sandbox_run.playbook(LOG, "rollback.yml", "--limit", "aws-seoul")
    assert rc != 0
    said = " ".join(out.split())
    assert "aws-seoul: the app does not answer on %s" % APP in said, out[-3000:]
    assert "rollback.yml --limit oracle2,aws-seoul" in said, out[-3000:]
    assert app_runtime(fleet["aws-seoul"]) == "kubernetes"
    assert compose_ps(fleet["oracle2"], "app") == {}


def test_rollback_killed_then_run_again(fleet, api):
    edge = fleet["aws-seoul"]
    # The banner comes once per host (serial: 1): oracle2's, then aws-seoul's.
    rc, killed = sandbox_run.interrupted(LOG, "rollback.yml", sandbox_run.GIVE_BACK, sandbox_run.kill,
                                         "--limit", "oracle2,aws-seoul", occurrence=2)
    assert killed, "rollback.yml never reached aws-seoul's port switch (rc %s)" % rc
    # oracle2's Compose app runs again and the edge already sends api. there.
    assert app_runtime(edge) == "compose"
    rc, out = sandbox_run.playbook(LOG, "rollback.yml", "--limit", "oracle2,aws-seoul")
    assert rc == 0, out[-3000:]
    assert app_runtime(edge) == "compose"
    ps = compose_ps(fleet["oracle2"], "app")
    assert sorted(ps) == sorted(SERVICES["app"]) and all(c["Health"] == "healthy" for c in ps.values()), ps
    assert client.AppsV1Api(api).list_namespaced_deployment("investment-app").items == []


def test_uninstall_killed_then_run_again(fleet):
    node = fleet["aws-seoul"]
    rc, killed = sandbox_run.interrupted(LOG, "uninstall.yml", REMOVE, sandbox_run.kill, "--limit", "aws-seoul")
    assert killed, "uninstall.yml never reached the removal of the units (rc %s)" % rc
    assert not node.service("kube-apiserver").is_running
    rc, out = sandbox_run.playbook(LOG, "uninstall.yml", "--limit", "aws-seoul")
    assert rc == 0, out[-3000:]
    for unit in UNITS[:-1]:
        assert not node.file("/etc/systemd/system/%s.service" % unit).exists, unit
    assert not node.file("/usr/local/bin/kubelet").exists
    # No pod runs on the host, and no rule of kube-proxy's is left to take a port.
    assert node.run("ctr -n k8s.io tasks ls -q 2>/dev/null").stdout.strip() == ""
    rules = node.check_output("iptables-save -t nat")
    assert "KUBE-SERVICES" not in rules and "KUBE-SVC-" not in rules, rules
    # uninstall.yml removed the edge's Compose stack (volumes kept); compose.yml brings it back.
    rc, out = sandbox_run.playbook(LOG, "compose.yml", "--limit", "aws-seoul")
    assert rc == 0, out[-3000:]
    ps = compose_ps(node, "edge")
    assert sorted(ps) == sorted(SERVICES["edge"]) and all(c["Health"] == "healthy" for c in ps.values()), ps
    assert app_runtime(node) == "compose"
