"""upgrade.yml and uninstall.yml interrupted, then run again right after (issue 9); runs after
test_rollback.py, which leaves oracle2's app on its single-node Kubernetes.

1. An upgrade (a new kube-scheduler in a binary directory of its own) killed right after it
   replaced the binary, before its restart handler ran: the next run must still restart the
   node's units, so that none keeps running the replaced file, and the app is served from the
   cluster again with nothing lost.
2. uninstall.yml killed once the units are stopped, before their files are removed: the next
   run removes the rest; the app's Compose volumes and oracle1's data stay. compose.yml then
   puts the app back on Compose on those volumes (the status quo, as before plan 1).

Times in $IO_CACHE/logs/plan1-fault-times.jsonl."""
import os
import shutil

import pytest
import sandbox_run
from conftest import SERVICES, compose_ps
from test_rollback import served_by

LOG = "plan1-fault-times"
BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl")
UNITS = ("kube-etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
         "containerd")
RECORD = "TASK [investment.orchestration.kube_node : Record the checksums of the installed binaries]"
REMOVE = "TASK [investment.orchestration.kube_node : Remove the units and configuration]"


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
    node, data = fleet["oracle2"], fleet["oracle1"]
    before = sandbox_run.data_counts(data)
    args = ("-e", "fleet_plan=plan1", "-e", "kube_node_binary_dir=" + new_binaries, "--limit", "oracle2")
    rc, killed = sandbox_run.interrupted(LOG, "upgrade.yml", RECORD, sandbox_run.kill, *args)
    assert killed, "upgrade.yml never replaced a binary (rc %s)" % rc
    # The new binary is in place, the old one still runs: the restart is owed.
    assert exe_of(node, "kube-scheduler").endswith("(deleted)")
    rc, out = sandbox_run.playbook(LOG, "upgrade.yml", *args)
    assert rc == 0, out[-3000:]
    for unit in UNITS:
        assert not exe_of(node, unit).endswith("(deleted)"), unit
    assert served_by(fleet["aws-seoul"]) == "kubernetes"
    after = sandbox_run.data_counts(data)
    assert after[0] >= before[0] and after[1] >= before[1] and after[2] >= before[2], (before, after)


def test_uninstall_killed_then_run_again(fleet):
    node, data = fleet["oracle2"], fleet["oracle1"]
    before = sandbox_run.data_counts(data)
    rc, killed = sandbox_run.interrupted(LOG, "uninstall.yml", REMOVE, sandbox_run.kill, "--limit", "oracle2")
    assert killed, "uninstall.yml never reached the removal of the units (rc %s)" % rc
    assert not node.service("kube-apiserver").is_running
    rc, out = sandbox_run.playbook(LOG, "uninstall.yml", "--limit", "oracle2")
    assert rc == 0, out[-3000:]
    for unit in UNITS[:-1]:
        assert not node.file("/etc/systemd/system/%s.service" % unit).exists, unit
    assert not node.file("/usr/local/bin/kubelet").exists
    # No pod runs on the host, and no rule of kube-proxy's is left to take the ports.
    assert node.run("ctr -n k8s.io tasks ls -q 2>/dev/null").stdout.strip() == ""
    rules = node.check_output("iptables-save -t nat")
    assert "KUBE-SERVICES" not in rules and "KUBE-SVC-" not in rules, rules
    # The app's Compose volumes (kept by the cutover) are still there.
    volumes = node.check_output("docker volume ls -q --filter label=com.docker.compose.project=investment-app")
    assert volumes, "the app's Compose volumes are gone"
    # The status quo again: Compose on the kept volumes.
    rc, out = sandbox_run.playbook(LOG, "compose.yml", "--limit", "oracle2")
    assert rc == 0, out[-3000:]
    ps = compose_ps(node, "app")
    assert sorted(ps) == sorted(SERVICES["app"])
    assert all(c["Health"] == "healthy" for c in ps.values()), ps
    assert served_by(fleet["aws-seoul"]) == "compose"
    after = sandbox_run.data_counts(data)
    assert after[0] >= before[0] and after[1] >= before[1] and after[2] >= before[2], (before, after)
