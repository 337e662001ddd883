"""Apply about 300 objects (ConfigMaps, Secrets, Services, Deployments across 5 namespaces)
three ways against a real API server on loopback, first apply and no-change re-apply:

  1. investment.orchestration.manifest_apply (one task),
  2. a loop of kubernetes.core.k8s (server-side apply, one task per object),
  3. kubectl apply --server-side -f FILE.

Two measures, each taken RUNS times (default 3, each run on a fresh control plane) and reported
as the median:

* whole process: each way its own command, wall time: ansible-playbook running the one task
  (manifest_apply, the k8s loop, and kubectl as an ansible.builtin.command task), against the bare
  kubectl command. profile_tasks also gives the task's own time (``*_task_s``).
* in one playbook: what an operator compares: one ansible-playbook run whose tasks apply with
  manifest_apply, with kubectl (ansible.builtin.command) and with the k8s loop, first apply then
  re-apply, each task timed by ansible.posix.profile_tasks; a ping task first takes the play's own
  start-up.

Each way gets its own namespaces, so every first apply is really first; they are deleted once the
way is measured (the control plane's service IP range holds 254 Services). The machine's load
average is recorded at the start and the end, and for every run. Writes
benchmarks/results/manifest_apply.json. Targets (issue 5): manifest_apply at least 5x faster than
the kubernetes.core.k8s loop, and within 1.2x of kubectl.
Run with the venv active (about 15 minutes a run on an idle machine, the k8s loop most of it):
  python benchmarks/manifest_apply.py [--runs N] [--output FILE] [--resume] [--without-k8s-loop]
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration_k8s"))
from conftest import ControlPlane, _locate_binaries  # noqa: E402

NAMESPACES, PER_KIND = 5, 15
WAYS = ("manifest_apply", "k8s_loop", "kubectl")
TARGETS = {"k8s_loop_over_manifest_apply": (">=", 5.0), "manifest_apply_over_kubectl": ("<=", 1.2)}


def objects(prefix):
    out = []
    for n in range(NAMESPACES):
        ns = "%s-%d" % (prefix, n)
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for i in range(PER_KIND):
            name = "obj-%02d" % i
            meta = {"name": name, "namespace": ns, "labels": {"app": name}}
            out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                        "data": {"key": "value-%d" % i, "config.yml": "a: %d\nb: [1, 2, 3]\n" % i}})
            out.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque",
                        "stringData": {"password": "pw-%d" % i}})
            out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta,
                        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}})
            out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {
                "replicas": 1, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
                    "name": "app", "image": "local/standin-backend:sandbox", "imagePullPolicy": "Never",
                    "resources": {"limits": {"memory": "64Mi"}, "requests": {"memory": "32Mi"}}}]}}}})
    return out


def load():
    """The load averages (1, 5, 15 min) and the uptime line."""
    line = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    return {"uptime": line, "loadavg": [round(v, 2) for v in os.getloadavg()]}


def cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd, env, cwd):
    """(wall seconds, CPU seconds of the command and every process it waited for, stdout)."""
    t0, cpu0 = time.monotonic(), cpu_of_children()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed, cpu = time.monotonic() - t0, cpu_of_children() - cpu0
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s%s" % (" ".join(cmd[:3]), proc.stdout[-3000:], proc.stderr[-3000:]))
    return round(elapsed, 2), round(cpu, 2), proc.stdout


def task_seconds(out, name):
    """The duration ansible.posix.profile_tasks reports for the task NAME (None: not found)."""
    m = re.search(r"^%s -+ ([0-9.]+)s$" % re.escape(name), out, re.M)
    return float(m.group(1)) if m else None


def changed_count(out):
    return int(re.search(r"changed=(\d+)", out).group(1))


class Bench(object):
    """One run: a fresh control plane, the whole-process measure, then the in-playbook one."""

    def __init__(self, plane, work, ways=WAYS):
        self.plane = plane
        self.work = work
        self.ways = ways
        self.env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), KUBECONFIG=plane.kubeconfig,
                        ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")

    def manifest(self, prefix):
        objs = objects(prefix)
        path = os.path.join(self.work, prefix + ".yml")
        with open(path, "w") as f:
            yaml.safe_dump_all(objs, f)
        return path, objs

    def delete_namespaces(self, objs):
        names = [o["metadata"]["name"] for o in objs if o["kind"] == "Namespace"]
        self.plane.kubectl("delete", "namespace", "--wait=true", "--timeout=300s", *names)

    def kubectl_argv(self, path):
        return [self.plane.kubectl_bin, "apply", "--server-side", "--field-manager=bench", "-f", path]

    def task(self, way, name, path):
        if way == "manifest_apply":
            body = {"investment.orchestration.manifest_apply": {"src": [path], "field_manager": "bench"}}
        elif way == "kubectl":
            body = {"ansible.builtin.command": {"argv": self.kubectl_argv(path)}, "changed_when": False}
        else:
            body = {"kubernetes.core.k8s": {"definition": "{{ item }}", "apply": True,
                                            "server_side_apply": {"field_manager": "bench"}},
                    "loop": "{{ lookup('ansible.builtin.file', '%s') | from_yaml_all | list }}" % path,
                    "loop_control": {"label": "{{ item.kind }}/{{ item.metadata.name }}"}}
        return dict(name=name, **body)

    def playbook(self, name, tasks):
        play = [{"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
                 "vars": {"ansible_python_interpreter": sys.executable}, "tasks": tasks}]
        path = os.path.join(self.work, name + ".yml")
        with open(path, "w") as f:
            yaml.safe_dump(play, f, sort_keys=False)
        return ["ansible-playbook", "-i", "localhost,", path]

    def whole_process(self):
        """Each way its own command (ansible-playbook with one task, or the bare kubectl)."""
        results = {}
        # the k8s loop (minutes) last, so that the others are measured close together in time
        order = ("manifest_apply", "kubectl", "kubectl_task", "k8s_loop")
        for way in [w for w in order if w in self.ways or w == "kubectl_task"]:
            path, objs = self.manifest("whole-" + way.replace("_", "-"))
            if way == "kubectl":
                cmd = self.kubectl_argv(path)
            else:
                cmd = self.playbook("whole-" + way, [self.task("kubectl" if way == "kubectl_task" else way, way, path)])
            first, first_cpu, first_out = timed(cmd, self.env, ROOT)
            again, again_cpu, out = timed(cmd, self.env, ROOT)
            entry = {"objects": len(objs), "first_apply_s": first, "reapply_s": again,
                     "first_apply_cpu_s": first_cpu, "reapply_cpu_s": again_cpu}
            if way == "kubectl":
                entry["reapply_unchanged_lines"] = out.count("serverside-applied")
            else:
                # the task alone, without ansible-playbook's start-up (ansible.posix.profile_tasks)
                entry["first_apply_task_s"] = task_seconds(first_out, way)
                entry["reapply_task_s"] = task_seconds(out, way)
            if way in ("manifest_apply", "k8s_loop"):
                # kubernetes.core.k8s reports Secrets given as stringData as changed on every run.
                entry["reapply_changed"] = changed_count(out)
                entry["reapply_changed_items"] = out.count("changed: [localhost] => (item=")
            if way == "manifest_apply" and entry["reapply_changed"] != 0:
                raise SystemExit("manifest_apply changed something on re-apply:\n" + out[-3000:])
            results[way] = entry
            print("  whole process", way, entry, flush=True)
            self.delete_namespaces(objs)
        return results

    def in_playbook(self):
        """One ansible-playbook run: the three ways as tasks, first applies then re-applies."""
        paths, all_objs = {}, []
        for way in self.ways:
            paths[way], objs = self.manifest("play-" + way.replace("_", "-"))
            all_objs += objs
        tasks = [{"name": "start-up", "ansible.builtin.ping": {}}]
        for phase in ("first apply", "re-apply"):
            for way in self.ways:
                task = self.task(way, "%s %s" % (way, phase), paths[way])
                if way == "manifest_apply" and phase == "re-apply":
                    task["register"] = "manifest_apply_again"
                tasks.append(task)
        tasks.append({"name": "manifest_apply re-apply changed nothing",
                      "ansible.builtin.assert": {"that": ["not manifest_apply_again.changed"]}})
        seconds, cpu, out = timed(self.playbook("in-playbook", tasks), self.env, ROOT)
        results = {"playbook_s": seconds, "playbook_cpu_s": cpu, "start_up_task_s": task_seconds(out, "start-up")}
        for way in self.ways:
            results[way] = {"objects": len(all_objs) // len(self.ways),
                            "first_apply_s": task_seconds(out, way + " first apply"),
                            "reapply_s": task_seconds(out, way + " re-apply")}
        print("  in one playbook", results, flush=True)
        self.delete_namespaces(all_objs)
        return results


def median_tree(samples):
    """The median of every number over a list of same-shaped dicts (None where any is None)."""
    first = samples[0]
    if isinstance(first, dict):
        return dict((k, median_tree([s[k] for s in samples])) for k in first)
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        if any(s is None for s in samples):
            return None
        return round(statistics.median(samples), 2)
    return first


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def ratios(whole, play):
    out = {"whole_process": {}, "in_playbook": {}}
    for phase in ("first_apply", "reapply"):
        key = phase + "_s"
        ma, loop, kubectl, kubectl_task = (whole.get(w, {}).get(key) for w in ("manifest_apply", "k8s_loop", "kubectl",
                                                                               "kubectl_task"))
        out["whole_process"][key] = {
            "k8s_loop_over_manifest_apply": ratio(loop, ma),
            # ansible-playbook (start-up included) against the bare kubectl command
            "manifest_apply_over_kubectl": ratio(ma, kubectl),
            # both an ansible-playbook run with one task: the same start-up on both sides
            "manifest_apply_over_kubectl_task_playbook": ratio(ma, kubectl_task),
            # the manifest_apply task alone (profile_tasks) against the bare kubectl command
            "manifest_apply_task_over_kubectl": ratio(whole["manifest_apply"][phase + "_task_s"], kubectl),
        }
        out["in_playbook"][key] = {
            "k8s_loop_over_manifest_apply": ratio(play.get("k8s_loop", {}).get(key), play["manifest_apply"][key]),
            "manifest_apply_over_kubectl": ratio(play["manifest_apply"][key], play["kubectl"][key]),
        }
    return out


def targets_met(all_ratios):
    met = {}
    for measure, phases in all_ratios.items():
        met[measure] = {}
        for phase, values in phases.items():
            met[measure][phase] = {}
            for name, (op, bound) in TARGETS.items():
                value = values.get(name)
                met[measure][phase][name] = None if value is None else (
                    value >= bound if op == ">=" else value <= bound)
    return met


def versions(kubectl_bin):
    import ansible
    out = {"python": platform.python_version(), "ansible-core": ansible.__version__}
    try:
        from importlib.metadata import version
        out["kubernetes (Python client)"] = version("kubernetes")
    except Exception:  # pylint: disable=broad-except
        out["kubernetes (Python client)"] = None
    kubectl = subprocess.run([kubectl_bin, "version", "--client", "-o", "json"], capture_output=True, text=True,
                             check=False)
    try:
        out["kubectl"] = json.loads(kubectl.stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError):
        out["kubectl"] = None
    return out


def report(runs, wanted, ways, start, end, kubectl_bin):
    """The results file's content from the runs done so far (medians, ratios, targets)."""
    whole = median_tree([r["whole_process"] for r in runs])
    play = median_tree([r["in_playbook"] for r in runs])
    all_ratios = ratios(whole, play)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": "%d vCPU" % os.cpu_count(),
        "kubernetes": "upstream v1.34.4 kube-apiserver + etcd on loopback (no nodes)",
        "versions": versions(kubectl_bin),
        "runs": len(runs),
        "runs_wanted": wanted,
        "ways": list(ways),
        "statistic": "median of the runs (each run on a fresh control plane), ratios of the medians; every "
                     "run's numbers and ratios in per_run",
        "load": {"start": start, "end": end,
                 "note": "other jobs may run on the machine meanwhile: load averages (1, 5, 15 min) of the "
                         "machine at the start and end of the benchmark, and of each run in per_run"},
        "note": ("whole_process: wall time of each way's own command; *_s of manifest_apply, k8s_loop and "
                 "kubectl_task include ansible-playbook's start-up, *_task_s are the task alone "
                 "(ansible.posix.profile_tasks); kubectl is the bare command; *_cpu_s: CPU (user + system) of "
                 "the command and all its processes (the API server's not included), less sensitive to the "
                 "machine's load than wall time. in_playbook: one ansible-playbook "
                 "run, each way a task (kubectl through ansible.builtin.command), the time profile_tasks gives "
                 "each task; the play's start-up is taken by a ping task first"),
        "whole_process": whole,
        "in_playbook": play,
        "ratios": all_ratios,
        "targets": {"k8s_loop_over_manifest_apply": ">= 5", "manifest_apply_over_kubectl": "<= 1.2",
                    "met": targets_met(all_ratios)},
        "per_run": runs,
    }


def write_report(path, content):
    with open(path, "w") as f:
        json.dump(content, f, indent=2)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh control plane (default 3)")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "manifest_apply.json"))
    parser.add_argument("--without-k8s-loop", action="store_true",
                        help="leave out the kubernetes.core.k8s loop (most of a run's time): a quick check")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in --output (the file is rewritten after every run) and add "
                             "the missing ones")
    args = parser.parse_args()
    ways = tuple(w for w in WAYS if not (args.without_k8s_loop and w == "k8s_loop"))
    bin_dir, etcd = _locate_binaries()
    kubectl_bin = os.path.join(bin_dir, "kubectl")
    start, runs = load(), []
    if args.resume and os.path.exists(args.output):
        with open(args.output) as f:
            previous = json.load(f)
        if previous.get("ways") != list(ways):
            raise SystemExit("%s has the ways %s, not %s" % (args.output, previous.get("ways"), list(ways)))
        start, runs = previous["load"]["start"], previous["per_run"]
    print("load at the start:", start["uptime"], flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    for n in range(len(runs), args.runs):
        print("run %d of %d" % (n + 1, args.runs), flush=True)
        run_start = load()["loadavg"]
        plane = ControlPlane(bin_dir, etcd)
        work = tempfile.mkdtemp(prefix="bench-apply.")
        try:
            plane.start()
            bench = Bench(plane, work, ways)
            whole = bench.whole_process()
            play = bench.in_playbook()
        finally:
            plane.stop()
            shutil.rmtree(work, ignore_errors=True)
        runs.append({"whole_process": whole, "in_playbook": play, "ratios": ratios(whole, play),
                     "loadavg_start": run_start, "loadavg_end": load()["loadavg"]})
        write_report(args.output, report(runs, args.runs, ways, start, load(), kubectl_bin))
    if not runs:
        raise SystemExit("no runs")
    end = load()
    content = report(runs, args.runs, ways, start, end, kubectl_bin)
    write_report(args.output, content)
    print("load at the end:", end["uptime"], flush=True)
    print(json.dumps(dict((k, content[k]) for k in ("whole_process", "in_playbook", "ratios", "targets")), indent=2))


if __name__ == "__main__":
    main()
