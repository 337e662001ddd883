"""Playbook runs of the molecule verify suites against the scenario's own inventory, each timed
and appended to $IO_CACHE/logs/<log>.jsonl (kept for the closing notes)."""
import json
import os
import re
import signal
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.environ.get("IO_CACHE", "/var/cache/io-orch")
# rollback.yml's port switch (an include_role task's banner has no role prefix).
GIVE_BACK = "TASK [Give the ports back to Compose and remove the stacks from the cluster]"


def command(playbook, *args):
    """ansible-playbook PLAYBOOK (a path, or a name under playbooks/) against the scenario's inventory."""
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    path = playbook if os.path.isabs(playbook) else os.path.join(ROOT, "playbooks", playbook)
    return ["ansible-playbook", "-i", inventory, path] + list(args)


def env():
    # molecule exports ANSIBLE_FORCE_COLOR to its verifier, and it wins over ANSIBLE_NOCOLOR
    out = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    out.pop("ANSIBLE_FORCE_COLOR", None)
    return out


def recap(out, host):
    """The PLAY RECAP counters of HOST in a playbook's output."""
    m = re.search(r"^%s\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host),
                  strip_colour(out), re.M)
    assert m, "no recap line for %s:\n%s" % (host, out[-3000:])
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups())))


def record(log, what, rc, seconds):
    path = os.path.join(CACHE, "logs", log + ".jsonl")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps({"playbook": what, "rc": rc, "seconds": round(seconds, 1),
                            "at": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")


def playbook(log, name, *args, timeout=1500):
    """Run it to the end; return (rc, stdout + stderr)."""
    t0 = time.time()
    proc = subprocess.run(command(name, *args), cwd=ROOT, env=env(), capture_output=True, text=True,
                          timeout=timeout, check=False)
    seconds = time.time() - t0
    print("%s %s: rc=%d in %.0f s" % (name, " ".join(args), proc.returncode, seconds))
    record(log, " ".join((name,) + args), proc.returncode, seconds)
    return proc.returncode, strip_colour(proc.stdout + proc.stderr)


def streamed(cmd, environ, on_line, action, timeout=1500, occurrence=1):
    """CMD (an ansible-playbook run) with its output streamed; ACTION(proc) runs once, at the
    OCCURRENCE-th line that starts with ON_LINE (colours stripped). Returns (rc, whether ACTION
    ran). Once its output has closed the run gets TIMEOUT seconds to end, then it is killed with
    its workers."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    done, seen = False, 0
    try:
        for line in proc.stdout:
            if not done and strip_colour(line).startswith(on_line):
                seen += 1
                if seen == occurrence:
                    action(proc)
                    done = True
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            kill_tree(proc)
            proc.wait()
    return proc.returncode, done


def interrupted(log, name, on_line, action, *args, timeout=1500, occurrence=1):
    """PLAYBOOK (against the scenario's inventory) run through streamed: ACTION(proc) at the
    OCCURRENCE-th line that starts with ON_LINE (a task banner; an include_role task's banner has
    no role prefix): kill the play (kill below), restart a host... Returns (rc of that run,
    whether ACTION ran); the run is timed into LOG."""
    t0 = time.time()
    rc, done = streamed(command(name, *args), env(), on_line, action, timeout=timeout, occurrence=occurrence)
    record(log, "%s %s interrupted at %s" % (name, " ".join(args), on_line), rc, time.time() - t0)
    return rc, done


def descendants(pid):
    """Every living process below PID (from /proc), children before grandchildren."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                # pid (comm) state ppid ...: comm may hold spaces and parentheses
                ppid = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(0), []):
            out.append(child)
            todo.append(child)
    return out


def kill(proc):
    """The play's main process and its process group, at once. Not its workers: ansible-core's
    worker processes call setsid(), so a task already handed to a worker runs to its end (as after
    a SIGKILL of ansible-playbook by an operator), and a worker whose result no longer fits the
    dead play's queue stays blocked until killed (one found after CI, 2026-12-02; another after
    plan3's, 2026-12-03). kill_tree is the stricter interruption (a dead controller): plan3's
    fault tests use it; the others move to it once their scenarios have passed with it."""
    os.killpg(proc.pid, signal.SIGKILL)


def kill_tree(proc):
    """The play as a dead controller leaves it: its main process and, at the same instant, every
    worker and what they started (workers call setsid() in ansible-core's
    executor/process/worker.py, so the main process group alone does not hold them). The main
    process is stopped first so that it starts no worker while its tree is read; each worker's
    group (its own session) is killed, then the main group."""
    try:
        os.kill(proc.pid, signal.SIGSTOP)
    except ProcessLookupError:
        return
    for pid in descendants(proc.pid):
        try:
            os.killpg(pid, signal.SIGKILL)  # a session leader's group: the worker and its commands
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.kill(pid, signal.SIGKILL)  # one that is not a group leader
        except ProcessLookupError:
            pass
    os.killpg(proc.pid, signal.SIGKILL)


def strip_colour(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


PSQL = ("docker compose -p investment-data exec -T timescaledb sh -c 'PGPASSWORD=$POSTGRES_PASSWORD "
        "psql -h 127.0.0.1 -U $POSTGRES_USER -d $POSTGRES_DB -tAc \"select count(*), max(id) from ticks\"'")
REDIS = "docker compose -p investment-data exec -T redis sh -c 'REDISCLI_AUTH=$REDIS_PASSWORD redis-cli dbsize'"


def data_counts(data):
    """(rows, last id) of the ticks table and the number of Redis keys, on the data host (testinfra)."""
    rows, last_id = data.check_output(PSQL).strip().split("|")
    return int(rows), int(last_id), int(data.check_output(REDIS))


def assert_nothing_lost(before, after):
    """Counts from data_counts: no row, last id or key fewer after than before."""
    assert all(a >= b for a, b in zip(after, before)) and len(after) == len(before), (before, after)
