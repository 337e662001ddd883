"""Apply about 300 objects (ConfigMaps, Secrets, Services, Deployments across 5 namespaces)
three ways against a real API server on loopback, first apply and no-change re-apply:

  1. investment.orchestration.manifest_apply (one task),
  2. a loop of kubernetes.core.k8s (server-side apply, one task per object),
  3. kubectl apply --server-side -f DIR.

Each way gets its own namespaces, so every first apply is really first. Writes
benchmarks/results/manifest_apply.json. Targets (issue 5): manifest_apply at least 5x faster
than the kubernetes.core.k8s loop, and within 1.2x of kubectl.
Run with the venv active: python benchmarks/manifest_apply.py
"""
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration_k8s"))
from conftest import ControlPlane, _locate_binaries  # noqa: E402

NAMESPACES, PER_KIND = 5, 15


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


def timed(cmd, env, cwd):
    t0 = time.time()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.time() - t0
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s%s" % (cmd[0], proc.stdout[-3000:], proc.stderr[-3000:]))
    return round(elapsed, 2), proc.stdout


def task_seconds(out, name):
    """The duration profile_tasks reports for the task NAME."""
    m = re.search(r"^%s -+ ([0-9.]+)s$" % re.escape(name), out, re.M)
    return float(m.group(1)) if m else None


def main():
    bin_dir, etcd = _locate_binaries()
    plane = ControlPlane(bin_dir, etcd)
    plane.start()
    work = tempfile.mkdtemp(prefix="bench-apply.")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), KUBECONFIG=plane.kubeconfig,
               ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
    results = {}
    try:
        for way in ("manifest_apply", "k8s_loop", "kubectl", "kubectl_task"):
            objs = objects("bench-" + way.replace("_", "-"))
            path = os.path.join(work, way + ".yml")
            with open(path, "w") as f:
                yaml.safe_dump_all(objs, f)
            if way == "kubectl":
                cmd = [plane.kubectl_bin, "apply", "--server-side", "--field-manager=bench", "-f", path]
            else:
                if way == "kubectl_task":  # kubectl in the same harness: an ansible-playbook task
                    task = {"ansible.builtin.command": {"argv": [plane.kubectl_bin, "apply", "--server-side",
                                                                 "--field-manager=bench", "-f", path]}}
                elif way == "manifest_apply":
                    task = {"investment.orchestration.manifest_apply": {"src": [path], "field_manager": "bench"}}
                else:
                    k8s_args = {"definition": "{{ item }}", "apply": True,
                                "server_side_apply": {"field_manager": "bench"}}
                    task = {"kubernetes.core.k8s": k8s_args,
                            "loop": "{{ lookup('ansible.builtin.file', '%s') | from_yaml_all | list }}" % path,
                            "loop_control": {"label": "{{ item.kind }}/{{ item.metadata.name }}"}}
                play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
                         "vars": {"ansible_python_interpreter": sys.executable},
                         "tasks": [dict(name=way, **task)]}]
                pb = os.path.join(work, way + "-play.yml")
                with open(pb, "w") as f:
                    yaml.safe_dump(play, f)
                cmd = ["ansible-playbook", "-i", "localhost,", pb]
            first, first_out = timed(cmd, env, ROOT)
            again, out = timed(cmd, env, ROOT)
            entry = {"objects": len(objs), "first_apply_s": first, "reapply_s": again}
            if way != "kubectl":
                # The task alone, without ansible-playbook's start-up (ansible.posix.profile_tasks).
                entry["first_apply_task_s"] = task_seconds(first_out, way)
                entry["reapply_task_s"] = task_seconds(out, way)
            if way == "kubectl":
                entry["reapply_unchanged_lines"] = out.count("serverside-applied")
            elif way == "kubectl_task":
                pass
            else:
                # kubernetes.core.k8s reports Secrets given as stringData as changed on every run.
                entry["reapply_changed"] = int(re.search(r"changed=(\d+)", out).group(1))
                entry["reapply_changed_items"] = out.count("changed: [localhost] => (item=")
            if way == "manifest_apply":
                assert entry["reapply_changed"] == 0, out[-2000:]
            results[way] = entry
            print(way, results[way], flush=True)
    finally:
        plane.stop()
    ma, loop, kubectl = results["manifest_apply"], results["k8s_loop"], results["kubectl"]
    kubectl_task = results["kubectl_task"]
    ratios = {}
    for phase in ("first_apply", "reapply"):
        ratios[phase + "_s"] = {
            "k8s_loop_over_manifest_apply": round(loop[phase + "_s"] / ma[phase + "_s"], 2),
            # whole commands: ansible-playbook (start-up included) against a bare kubectl
            "manifest_apply_over_kubectl": round(ma[phase + "_s"] / kubectl[phase + "_s"], 2),
            # both as a task of the same playbook: the same start-up on both sides
            "manifest_apply_over_kubectl_task_playbook": round(ma[phase + "_s"] / kubectl_task[phase + "_s"], 2),
            # the tasks alone: the module's work against kubectl's
            "manifest_apply_task_over_kubectl": round(ma[phase + "_task_s"] / kubectl[phase + "_s"], 2),
        }
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": "%d vCPU" % os.cpu_count(),
        "kubernetes": "upstream v1.34.4 kube-apiserver + etcd on loopback (no nodes)",
        "note": ("*_s of manifest_apply, k8s_loop and kubectl_task include ansible-playbook start-up "
                 "(about 1.3 s); *_task_s are the task alone (profile_tasks); kubectl is the bare command"),
        "results": results, "ratios": ratios,
        "targets": {"k8s_loop_over_manifest_apply": ">= 5", "manifest_apply_over_kubectl": "<= 1.2"},
    }
    os.makedirs(os.path.join(ROOT, "benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "benchmarks", "results", "manifest_apply.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
