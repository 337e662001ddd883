"""Fault (issue 9), after the other plan 2 tests: the data host goes down during plan 2. The run
stops in its first play, before any change, naming oracle1; no other host changed and no play
past the checks started. Once oracle1 is back (its container started again: systemd, Docker,
Compose services with restart: unless-stopped, the firewall unit), nothing is lost (PostgreSQL
rows and Redis keys counted before and after) and the next plan2.yml run converges, the API
answering through both clusters again. Times in $IO_CACHE/logs/plan2-fault-times.jsonl."""
import json
import os
import re
import subprocess
import time

from conftest import DOMAIN

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OTHERS = ("oracle2", "oracle3", "aws-seoul")
PSQL = ("docker compose -p investment-data exec -T timescaledb sh -c 'PGPASSWORD=$POSTGRES_PASSWORD "
        "psql -h 127.0.0.1 -U $POSTGRES_USER -d $POSTGRES_DB -tAc \"select count(*), max(id) from ticks\"'")
REDIS = "docker compose -p investment-data exec -T redis sh -c 'REDISCLI_AUTH=$REDIS_PASSWORD redis-cli %s'"


def playbook(name, *args):
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    t0 = time.time()
    proc = subprocess.run(["ansible-playbook", "-i", inventory, os.path.join(ROOT, "playbooks", name)] + list(args),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500, check=False)
    seconds = round(time.time() - t0, 1)
    log = os.path.join(os.environ.get("IO_CACHE", "/var/cache/io-orch"), "logs", "plan2-fault-times.jsonl")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "a") as f:
        f.write(json.dumps({"playbook": name, "args": list(args), "rc": proc.returncode, "seconds": seconds,
                            "at": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    return proc.returncode, proc.stdout + proc.stderr


def recap(out, host):
    m = re.search(r"^%s\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)" % re.escape(host), out, re.M)
    assert m, "no recap line for %s:\n%s" % (host, out[-3000:])
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups())))


def data_counts(data):
    rows, last_id = data.check_output(PSQL).strip().split("|")
    keys = int(data.check_output(REDIS % "dbsize"))
    return int(rows), int(last_id), keys


def wait_data_healthy(data, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ps = data.run("docker compose -p investment-data ps --format '{{.Service}} {{.Health}}'")
        if ps.rc == 0 and sorted(ps.stdout.split("\n")) == ["redis healthy", "timescaledb healthy"]:
            return
        time.sleep(5)
    raise AssertionError("the data tier did not come back healthy in %d s" % timeout)


def test_data_host_down_stops_plan2_before_any_change_and_loses_nothing(fleet):
    data = fleet["oracle1"]
    rows, last_id, keys = data_counts(data)
    assert rows >= 1 and keys >= 1
    subprocess.run(["docker", "stop", "-t", "30", "oracle1"], check=True, capture_output=True)
    try:
        rc, out = playbook("plan2.yml")
        assert rc != 0
        assert recap(out, "oracle1")["unreachable"] == 1, out[-3000:]
        for host in OTHERS:
            assert recap(out, host)["changed"] == 0, out[-3000:]
        assert "PLAY [Docker Compose where the plan keeps it]" not in out, out[-3000:]
    finally:
        subprocess.run(["docker", "start", "oracle1"], check=True, capture_output=True)
    wait_data_healthy(data)
    rows2, last_id2, keys2 = data_counts(data)
    assert rows2 >= rows and last_id2 >= last_id and keys2 >= keys, ((rows, last_id, keys), (rows2, last_id2, keys2))

    # The run after the interrupted one converges; the API answers through both clusters.
    rc, out = playbook("plan2.yml")
    assert rc == 0, out[-3000:]
    assert all(recap(out, h)["failed"] == 0 for h in OTHERS + ("oracle1",))
    edge = fleet["aws-seoul"]
    reply = edge.check_output("curl -fsS -i -H 'Host: api.%s' http://172.29.10.14/api/quotes", DOMAIN)
    headers, body = reply.split("\r\n\r\n", 1)
    assert headers.count("X-Served-By: kubernetes") == 2, headers
    assert json.loads(body)["rows"] >= rows2
