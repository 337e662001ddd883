"""Fault (issue 9), after test_plan3.py: the single-node Kubernetes killed in the middle of its
install. The stand-in's cluster is removed (etcd and PKI purged), the converge starts from
nothing, and as soon as kube-apiserver runs both the play (SIGKILL) and the control plane
(kube-apiserver and etcd, SIGKILL) are killed. The converge run again right after it completes;
the API answers through the ingress with the data of oracle1, which lost nothing (PostgreSQL
rows and Redis keys counted before and after). Times in $IO_CACHE/logs/plan3-fault-times.jsonl."""
import json
import os
import signal
import subprocess
import time

import sandbox_run
from conftest import DOMAIN, WORKER

HERE = os.path.dirname(os.path.abspath(__file__))
LOG = "plan3-fault-times"


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
            os.killpg(proc.pid, signal.SIGKILL)  # the play and its workers
            proc.wait()
    sandbox_run.record(LOG, "converge.yml killed once kube-apiserver ran", -9, time.time() - t0)
    worker.run("pkill -9 -x kube-apiserver; pkill -9 -x etcd")

    rc, out = run("converge.yml")
    assert rc == 0, out[-3000:]
    reply = data.check_output("curl -fsS --max-time 10 -H 'Host: api.%s' http://%s/api/quotes", DOMAIN, WORKER)
    after = sandbox_run.data_counts(data)
    assert json.loads(reply)["rows"] >= before[0]
    assert after[0] >= before[0] and after[1] >= before[1] and after[2] >= before[2], (before, after)
