"""upgrade.yml and uninstall.yml interrupted on oracle2's node, then run again right after (issue 9);
after test_rollback.py, with the app on the cluster. PostgreSQL rows and Redis keys on oracle1 are
counted before and after each (none lost).

1. upgrade.yml (a new kube-scheduler in a binary directory of its own) killed right after it
   replaced the binary, before its restart handler ran: the next run must still restart the
   node's units, so that none keeps running the replaced file; the app still served from the
   cluster.
2. uninstall.yml killed once the units are stopped, before their files are removed: the next run
   removes the rest and kube-proxy's rules (which would keep taking the app's ports from Compose);
   compose.yml then brings the app back on Compose.

Times in $IO_CACHE/logs/plan1-fault-times.jsonl."""
import os
import shutil

import pytest
import sandbox_run
from conftest import SERVICES, compose_ps, served_by

LOG = "plan1-fault-times"
BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl")
UNITS = ("kube-etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
         "containerd")
RECORD = "TASK [investment.orchestration.kube_node : Record the checksums of the installed binaries]"
REMOVE = "TASK [investment.orchestration.kube_node : Remove the units and configuration]"
pytestmark = pytest.mark.usefixtures("nothing_lost")  # conftest.py, from tests/lib/sandbox_fleet.py


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
    node = fleet["oracle2"]
    args = ("-e", "fleet_plan=plan1", "-e", "kube_node_binary_dir=" + new_binaries, "--limit", "oracle2")
    rc, killed = sandbox_run.interrupted(LOG, "upgrade.yml", RECORD, sandbox_run.kill, *args)
    assert killed, "upgrade.yml never replaced a binary (rc %s)" % rc
    # The new binary is in place, the old one still runs: a restart is owed.
    assert exe_of(node, "kube-scheduler").endswith("(deleted)")
    rc, out = sandbox_run.playbook(LOG, "upgrade.yml", *args)
    assert rc == 0, out[-3000:]
    for unit in UNITS:
        assert not exe_of(node, unit).endswith("(deleted)"), unit
    assert served_by(fleet["aws-seoul"]) == "kubernetes"


def test_uninstall_killed_then_run_again(fleet):
    node = fleet["oracle2"]
    rc, killed = sandbox_run.interrupted(LOG, "uninstall.yml", REMOVE, sandbox_run.kill, "--limit", "oracle2")
    assert killed, "uninstall.yml never reached the removal of the units (rc %s)" % rc
    assert not node.service("kube-apiserver").is_running
    rc, out = sandbox_run.playbook(LOG, "uninstall.yml", "--limit", "oracle2")
    assert rc == 0, out[-3000:]
    for unit in UNITS[:-1]:
        assert not node.file("/etc/systemd/system/%s.service" % unit).exists, unit
    assert not node.file("/usr/local/bin/kubelet").exists
    # No pod runs on the host, and no rule of kube-proxy's is left to take a port.
    assert node.run("ctr -n k8s.io tasks ls -q 2>/dev/null").stdout.strip() == ""
    rules = node.check_output("iptables-save -t nat")
    assert "KUBE-SERVICES" not in rules and "KUBE-SVC-" not in rules, rules
    # uninstall.yml removed the app's stacks (volumes kept); compose.yml brings it back on Compose.
    rc, out = sandbox_run.playbook(LOG, "compose.yml", "--limit", "oracle2")
    assert rc == 0, out[-3000:]
    ps = compose_ps(node, "app")
    assert sorted(ps) == sorted(SERVICES["app"]) and all(c["Health"] == "healthy" for c in ps.values()), ps
    assert served_by(fleet["aws-seoul"]) == "compose"
