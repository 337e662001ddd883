"""Fault (issue 9), after test_plan3.py: the single-node Kubernetes killed in the middle of its
install. The stand-in's cluster is removed (etcd and PKI purged), the converge starts from
nothing, and as soon as kube-apiserver runs both the play (SIGKILL) and the control plane
(kube-apiserver and etcd, SIGKILL) are killed. The converge run again right after it completes;
the API answers through the ingress with the data of oracle1, which lost nothing (PostgreSQL
rows and Redis keys counted before and after). Then the worker's host container is restarted
while a converge applies the stacks (the edge stack removed first, so there is work to do): the
converge run again right after it completes and both stacks answer through the ingress, the data
counts not lower. Times in $IO_CACHE/logs/plan3-fault-times.jsonl."""
import json
import os
import subprocess
import time

import sandbox_run
from conftest import DOMAIN, WORKER

HERE = os.path.dirname(os.path.abspath(__file__))
LOG = "plan3-fault-times"
WORKER_CONTAINER = "plan3-worker"


def run(name):
    return sandbox_run.playbook(LOG, os.path.join(HERE, "..", name), timeout=1200)


def test_kube_killed_mid_install_then_converge_again(hosts):
    data, worker = hosts["oracle1"], hosts["plan3-worker"]
    before = sandbox_run.data_counts(data)
    rc, out = run("remove_standin.yml")
    assert rc == 0, out[-3000:]
    assert worker.run("pgrep -x kube-apiserver").rc != 0

    t0 = time.time()
    with open(os.devnull, "w") as devnull:
        proc = subprocess.Popen(sandbox_run.command(os.path.join(HERE, "..", "converge.yml")), cwd=sandbox_run.ROOT,
                                env=sandbox_run.env(), stdout=devnull, stderr=devnull, start_new_session=True)
        try:
            while worker.run("pgrep -x kube-apiserver").rc != 0:
                assert proc.poll() is None, "the converge ended (rc %s) before kube-apiserver ran" % proc.returncode
                assert time.time() - t0 < 600, "kube-apiserver did not start within 600 s"
                time.sleep(1)
        finally:
            sandbox_run.kill_tree(proc)  # the play and its workers (they call setsid)
            proc.wait()
    sandbox_run.record(LOG, "converge.yml killed once kube-apiserver ran", -9, time.time() - t0)
    worker.run("pkill -9 -x kube-apiserver; pkill -9 -x etcd")

    rc, out = run("converge.yml")
    assert rc == 0, out[-3000:]
    reply = data.check_output("curl -fsS --max-time 10 -H 'Host: api.%s' http://%s/api/quotes", DOMAIN, WORKER)
    after = sandbox_run.data_counts(data)
    assert json.loads(reply)["rows"] >= before[0]
    sandbox_run.assert_nothing_lost(before, after)


def test_worker_restarted_mid_converge_then_converge_again(hosts):
    """The stand-in of the cluster's worker (a host container) restarted while the converge applies
    the stacks: whatever that run reports, the next converge completes, the node and the stacks come
    back, and oracle1's data tier lost nothing."""
    data, worker = hosts["oracle1"], hosts["plan3-worker"]
    before = sandbox_run.data_counts(data)
    # The edge stack removed first, so the converge has real work to do when the host restarts.
    worker.check_output("kubectl --kubeconfig=/etc/kubernetes/admin.conf delete namespace investment-edge --wait=true")

    t0 = time.time()
    proc = subprocess.Popen(sandbox_run.command(os.path.join(HERE, "..", "converge.yml")), cwd=sandbox_run.ROOT,
                            env=sandbox_run.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    restarted = False
    try:
        for line in proc.stdout:
            if not restarted and "TASK [investment.orchestration.k8s_app_stack" in line:
                subprocess.run(["docker", "restart", "-t", "5", WORKER_CONTAINER], check=True, timeout=120)
                restarted = True
                sandbox_run.record(LOG, "plan3-worker restarted at the stacks' apply", 0, time.time() - t0)
        first_rc = proc.wait(timeout=1200)
    finally:
        if proc.poll() is None:
            sandbox_run.kill_tree(proc)
            proc.wait()
    assert restarted, "the converge never reached the stacks' apply (rc %s)" % proc.returncode
    sandbox_run.record(LOG, "converge.yml with the restart (its own result)", first_rc, time.time() - t0)

    rc, out = run("converge.yml")
    assert rc == 0, out[-3000:]
    assert sandbox_run.recap(out, "plan3-worker")["failed"] == 0
    # kubectl on the node: the suite's API client still trusts the CA the first fault test purged.
    deps = json.loads(worker.check_output(
        "kubectl --kubeconfig=/etc/kubernetes/admin.conf -n investment-edge get deployments -o json"))["items"]
    assert deps and all(d["status"].get("readyReplicas") == d["spec"]["replicas"] for d in deps), \
        [(d["metadata"]["name"], d["status"].get("readyReplicas")) for d in deps]
    reply = data.check_output("curl -fsS --max-time 10 -H 'Host: api.%s' http://%s/api/quotes", DOMAIN, WORKER)
    page = data.check_output("curl -fsS --max-time 10 -H 'Host: app.%s' http://%s/", DOMAIN, WORKER)
    after = sandbox_run.data_counts(data)
    assert json.loads(reply)["rows"] >= before[0] and page
    sandbox_run.assert_nothing_lost(before, after)
