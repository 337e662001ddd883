"""sandbox_run.kill_tree, which the fault tests use to interrupt a playbook as a dead controller would:
the main process and every process below it, also those in a session of their own (ansible-core's
workers call setsid), die at once. A real process tree, no host."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox_run  # noqa: E402  (tests/lib is not a package)

# A main process like ansible-playbook: one child in its own session (a worker) that has a child
# of its own (the worker's command), and one child in the main process group.
TREE = r"""
import os, subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c",
    "import subprocess, time; subprocess.Popen(['sleep', '600']); time.sleep(600)"], start_new_session=True)
plain = subprocess.Popen(["sleep", "600"])
print(worker.pid, plain.pid, flush=True)
time.sleep(600)
"""


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_kill_takes_the_workers_and_their_commands():
    proc = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        worker, plain = map(int, proc.stdout.readline().split())
        t0 = time.time()
        while len(sandbox_run.descendants(proc.pid)) < 3:  # worker, its sleep, the plain sleep
            assert time.time() - t0 < 30, sandbox_run.descendants(proc.pid)
            time.sleep(0.1)
        tree = sandbox_run.descendants(proc.pid)
        assert worker in tree and plain in tree
        assert os.getpgid(worker) == worker != os.getpgid(proc.pid)  # a session of its own
        sandbox_run.kill_tree(proc)
        proc.wait(timeout=10)
        t0 = time.time()
        while [p for p in tree if alive(p)] and time.time() - t0 < 10:
            time.sleep(0.1)
        assert not [p for p in tree if alive(p)], tree
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_kill_of_a_process_already_gone_does_nothing():
    proc = subprocess.Popen(["true"], start_new_session=True)
    proc.wait()
    sandbox_run.kill_tree(proc)
