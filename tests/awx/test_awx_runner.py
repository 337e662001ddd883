"""Run the assess job template as AWX runs it: ansible-runner 2.4.3 with the private data
directory AWX builds (project/ = the repository with its collections/ link, inventory/hosts =
the synced inventory, env/extravars = the job template's extra vars + a survey answer, env/settings,
env/envvars), against the sandbox fleet (inventories/sandbox, containers oracle1..aws-seoul).

Checks status, rc, events and artifacts; the ADR entry the job writes: valid, ADR-0001 untouched,
its numbers equal to what node_memory_headroom and fleet_probe measured in the same job; a second
job changes nothing; a secret given as an extra var never reaches the artifacts, while env vars do
(artifacts/<ident>/command stores the environment).

The fleet must be up and converged (molecule compose scenario, whose verify runs this file too, or
`bash scripts/demo.sh`); take the lock: flock /var/lock/io-fleet.lock python -m pytest tests/awx
"""
import difflib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys

import ansible_runner
import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "collections"))
from ansible_collections.investment.orchestration.plugins.module_utils import adr  # noqa: E402
from ansible_collections.investment.orchestration.plugins.module_utils import awx_survey  # noqa: E402

MiB = 1024 * 1024
HOSTS = ("oracle1", "oracle2", "oracle3", "aws-seoul")
SECRET = "io-awx-" + secrets.token_hex(12)
MARKER = "io-awx-env-" + secrets.token_hex(6)
TOLERANCE_MIB = 32   # assess_memory_tolerance
IGNORE = shutil.ignore_patterns(".git", ".ansible", "__pycache__", "*.pyc", ".pytest_cache", "ee", "context")


def job_template(name):
    """The job template as awx_config defines it (extra vars with their Jinja kept literal,
    as AWX stores them)."""
    with open(os.path.join(ROOT, "roles", "awx_config", "defaults", "main.yml")) as f:
        jts = yaml.safe_load(f)["awx_config_job_templates"]
    jt = dict((j["name"], j) for j in jts)[name]

    def unraw(x):
        if isinstance(x, str):
            return x.replace("{% raw %}", "").replace("{% endraw %}", "")
        if isinstance(x, dict):
            return dict((k, unraw(v)) for k, v in x.items())
        return x
    return unraw(jt)


@pytest.fixture(scope="module")
def private_data_dir(tmp_path_factory):
    for h in HOSTS:
        out = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", h], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        assert out.stdout.strip() == "true", "the sandbox fleet is not up (%s): %s" % (h, out.stdout.strip())
    pdd = tmp_path_factory.mktemp("awx-job")
    shutil.copytree(ROOT, str(pdd / "project"), symlinks=True, ignore=IGNORE)
    # AWX writes the synced inventory with every variable on its group or host.
    inv = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i",
                          os.path.join(ROOT, "inventories", "sandbox"), "--list", "--yaml", "--export"],
                         stdout=subprocess.PIPE, universal_newlines=True, check=True, cwd=ROOT)
    (pdd / "inventory").mkdir()
    (pdd / "inventory" / "hosts").write_text(inv.stdout)
    target = pdd / "target-repo" / "docs"
    target.mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "docs", "decisions.md"), str(target / "decisions.md"))
    jt = job_template("assess")
    extravars = awx_survey.launch_extra_vars(jt.get("extra_vars"), jt["survey"],
                                             {"assess_weight_stability": 3, "assess_weight_cost": 2,
                                              "assess_weight_unification": 1, "assess_weight_managed": 0,
                                              "assess_status": "proposed"})
    extravars["assess_decisions_file"] = str(target / "decisions.md")
    extravars["io_awx_test_secret"] = SECRET   # as AWX passes a credential's extra_vars injector
    (pdd / "env").mkdir()
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    (pdd / "env" / "settings").write_text(yaml.safe_dump(
        {"idle_timeout": 600, "job_timeout": 900, "pexpect_timeout": 10, "suppress_ansible_output": True}))
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(
        {"ANSIBLE_FORCE_COLOR": "False", "ANSIBLE_HOST_KEY_CHECKING": "False", "IO_AWX_MARKER": MARKER}))
    return pdd


def run_job(pdd, ident, monkeypatch):
    # AWX's job environment has none of the caller's Ansible or molecule settings.
    for key in list(os.environ):
        if key.startswith(("ANSIBLE_", "MOLECULE_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    r = ansible_runner.run(private_data_dir=str(pdd), playbook="playbooks/assess.yml", ident=ident, quiet=True)
    return r


def ok_results(r, task_action):
    out = {}
    for e in r.events:
        d = e.get("event_data", {})
        if e["event"] == "runner_on_ok" and d.get("task_action") == task_action:
            out[d["host"]] = d["res"]
    return out


def adr_tables(text):
    """Memory and link rows of the entry fleet-plan: {host: {..MiB}}, {(from, to): (reachable, port, ms)}."""
    body = text.split("<!-- adr-id: fleet-plan -->", 1)[1].split("\n## ", 1)[0]
    mem, links = {}, {}
    for m in re.finditer(r"^\| (\S+) \| (\d+) MiB \| (\d+) MiB \| (\d+) MiB \| (-?\d+) MiB \|", body, re.M):
        mem[m.group(1)] = dict(capacity=int(m.group(2)), used=int(m.group(3)), stack=int(m.group(4)), headroom=int(m.group(5)))
    for m in re.finditer(r"^\| (\S+) \| (\S+) \| (yes|no) \| (\S+) \| (\S+)(?: ms)? \|$", body, re.M):
        links[(m.group(1), m.group(2))] = (m.group(3) == "yes", m.group(4), m.group(5))
    return mem, links


@pytest.fixture(scope="module")
def monkeymodule():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="module")
def first_job(private_data_dir, monkeymodule):
    return run_job(private_data_dir, "assess-1", monkeymodule)


def test_job_status_rc_and_artifacts(first_job, private_data_dir):
    r = first_job
    assert r.status == "successful" and r.rc == 0, r.stdout.read() if hasattr(r.stdout, "read") else ""
    art = private_data_dir / "artifacts" / "assess-1"
    assert (art / "rc").read_text().strip() == "0"
    assert (art / "status").read_text().strip() == "successful"
    assert (art / "job_events").is_dir() and len(os.listdir(str(art / "job_events"))) > 20
    assert "PLAY RECAP" in (art / "stdout").read_text()
    stats = r.stats
    assert set(stats["ok"]) == set(HOSTS) and not stats["failures"] and not stats["dark"]
    events = [e["event"] for e in r.events]
    assert events[0] == "playbook_on_start" and events[-1] == "playbook_on_stats"


def test_adr_numbers_are_the_measured_ones(first_job, private_data_dir):
    target = private_data_dir / "target-repo" / "docs" / "decisions.md"
    text = target.read_text()
    with open(os.path.join(ROOT, "docs", "decisions.md")) as f:
        original = f.read()
    assert text.startswith(original.rstrip("\n") + "\n\n## ADR-")   # ADR-0001 untouched
    assert adr.validate(text) == []
    entries = [e for e in adr.parse(text) if e["id"] == "fleet-plan"]
    assert len(entries) == 1 and entries[0]["status"] == "proposed"
    written = ok_results(first_job, "investment.orchestration.adr_entry")
    assert len(written) == 1 and list(written.values())[0]["action"] == "created"
    headroom = ok_results(first_job, "investment.orchestration.node_memory_headroom")
    assert set(headroom) == set(HOSTS)
    mem, links = adr_tables(text)
    assert set(mem) == set(HOSTS)
    for h in HOSTS:
        hr = headroom[h]["headroom"]
        containers = sum(c["bytes"] for c in hr["details"]["containers"])
        assert mem[h] == dict(capacity=hr["capacity_bytes"] // MiB, used=hr["used"]["total_bytes"] // MiB,
                              stack=containers // MiB, headroom=hr["headroom_bytes"] // MiB), h
        assert mem[h]["capacity"] == 1024  # the 1 GiB cgroup limit of the sandbox node
    probes = ok_results(first_job, "investment.orchestration.fleet_probe")
    assert set(probes) == set(HOSTS)
    assert len(links) == len(HOSTS) * (len(HOSTS) - 1)
    for (src, dst), (reachable, port, ms) in links.items():
        peer = probes[src]["peers"][dst]
        assert reachable == peer["reachable"] and port == str(peer["port"]), (src, dst)
        assert float(ms) == pytest.approx(round(peer["rtt_ms"], 2), abs=0.006), (src, dst)
        assert reachable, "%s cannot reach %s on the sandbox network" % (src, dst)
    table = [e for e in first_job.events if e["event"] == "runner_on_ok"
             and e["event_data"].get("task_action") == "ansible.builtin.debug"
             and "OPTION" in json.dumps(e["event_data"]["res"].get("msg", ""))]
    assert table, "the comparison table was printed"


def pipeline_job(pdd, ident, worker_dir):
    """transmit | worker | process: how AWX hands a job to an execution node over receptor."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_")))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    runner = os.path.join(os.path.dirname(sys.executable), "ansible-runner")
    transmit = subprocess.Popen([runner, "transmit", str(pdd), "-p", "playbooks/assess.yml", "-i", ident],
                                stdout=subprocess.PIPE, env=env)
    worker = subprocess.Popen([runner, "worker", "--private-data-dir", str(worker_dir)],
                              stdin=transmit.stdout, stdout=subprocess.PIPE, env=env)
    transmit.stdout.close()
    process = subprocess.run([runner, "process", str(pdd), "-i", ident], stdin=worker.stdout,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=900, check=False)
    worker.stdout.close()
    assert worker.wait(timeout=60) == 0 and transmit.wait(timeout=60) == 0, process.stdout
    art = pdd / "artifacts" / ident
    events = []
    for name in sorted(os.listdir(str(art / "job_events")), key=lambda n: int(n.split("-")[0])):
        with open(str(art / "job_events" / name)) as f:
            events.append(json.load(f))
    return art, events, process


def test_second_job_through_transmit_worker_process_changes_nothing(first_job, private_data_dir, tmp_path):
    target = private_data_dir / "target-repo" / "docs" / "decisions.md"
    before = target.read_bytes()
    art, events, proc = pipeline_job(private_data_dir, "assess-2", tmp_path / "worker")
    assert (art / "status").read_text().strip() == "successful", proc.stdout
    assert (art / "rc").read_text().strip() == "0"
    stats = [e for e in events if e["event"] == "playbook_on_stats"][0]["event_data"]
    changed = [(e["event_data"].get("host"), e["event_data"].get("task"), e["event_data"].get("res"))
               for e in events if e["event"] == "runner_on_ok" and e["event_data"].get("res", {}).get("changed")]
    # What changed, if anything: the task, and the ADR's lines that moved (numbers beyond tolerance).
    moved = list(difflib.unified_diff(before.decode().splitlines(), target.read_text().splitlines(),
                                      lineterm="", n=0))
    assert set(stats["ok"]) == set(HOSTS) and not stats["changed"] and not stats["failures"], (changed, moved)

    class Job(object):
        pass
    job = Job()
    job.events = events
    written = ok_results(job, "investment.orchestration.adr_entry")
    assert list(written.values())[0]["action"] == "unchanged"
    assert target.read_bytes() == before
    # the recorded numbers stay within tolerance of this run's measurements
    mem = adr_tables(before.decode())[0]
    measured = ok_results(job, "investment.orchestration.node_memory_headroom")
    assert set(measured) == set(HOSTS)
    for h, res in measured.items():
        assert abs(mem[h]["headroom"] - res["headroom"]["headroom_bytes"] // MiB) <= TOLERANCE_MIB + 1, h


def test_no_secret_in_artifacts_env_is_stored(first_job, private_data_dir):
    found_marker = False
    for base, dummy, files in os.walk(str(private_data_dir / "artifacts")):
        for name in files:
            with open(os.path.join(base, name), "rb") as f:
                data = f.read()
            assert SECRET.encode() not in data, os.path.join(base, name)
            found_marker = found_marker or MARKER.encode() in data
    # why secrets go in extra vars, not env vars: the environment is written to artifacts/<ident>/command
    command = json.loads((private_data_dir / "artifacts" / "assess-1" / "command").read_text())
    assert command["env"]["IO_AWX_MARKER"] == MARKER and found_marker
