"""Flux on two real single-node clusters (tools/kube-node, 1 GiB, lowmem) syncing from a Git
repository that roles/gitops_repo serves from a third sandbox host: roles cluster_dns and
gitops_flux (source-controller and kustomize-controller built from their Go modules by
scripts/build-go-images.sh) on both clusters, gitops_repo committing a ConfigMap for cluster A
only. The ConfigMap appears on A and not on B; a change is reconciled on A only; removing it from
the repository prunes it; a second run of the roles changes nothing. Measures the controllers'
memory in the node and the reconcile latency (commit -> object on the cluster).

Own containers and network: flux-git, flux-a, flux-b on flux-net 172.29.50.0/24 (env FLUX_KEEP=1
keeps them)."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from conftest import PROCESS_MEMORY_SCRIPT as MEMORY_SCRIPT
from conftest import ROOT, Node, _run

NET = {"KN_NET": "flux-net", "KN_SUBNET": "172.29.50.0/24"}
GIT_HOST, GIT_IP = "flux-git", "172.29.50.10"
CLUSTERS = {"flux-a": "172.29.50.11", "flux-b": "172.29.50.12"}
REPO_URL = "http://%s:8418/infra.git" % GIT_IP
CM_NS, CM_NAME = "default", "flux-probe"


def _node(tmp_dir, name, ip):
    node = Node(tmp_dir)
    node.name, node.ip = name, ip
    node.env = dict(os.environ, **NET)
    return node


def _rm_container(name):
    subprocess.run(["bash", "tools/kube-node/container.sh", "rm", name], cwd=ROOT,
                   env=dict(os.environ, **NET), capture_output=True, check=False)


@pytest.fixture(scope="module")
def flux_env(tmp_path_factory, record_timing):
    tmp = tmp_path_factory.mktemp("flux")
    nodes = {name: _node(str(tmp / name), name, ip) for name, ip in CLUSTERS.items()}
    for name in nodes:
        (tmp / name).mkdir()

    def down():
        if os.environ.get("FLUX_KEEP") != "1":
            for node in nodes.values():
                node.down()
            _rm_container(GIT_HOST)

    def on_term(signum, frame):  # a killed test run still removes its containers
        down()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        debs = _run(["bash", "tools/flux/git-debs.sh"]).strip().splitlines()[-1]
        _rm_container(GIT_HOST)
        _run(["bash", "tools/kube-node/container.sh", "create", GIT_HOST, GIT_IP],
             env=dict(os.environ, **NET))
        for node in nodes.values():
            node.up()
        for key, value in nodes["flux-a"].timings.items():
            record_timing("flux_" + key, value)
        yield {"tmp": tmp, "nodes": nodes, "debs": debs}
    finally:
        signal.signal(signal.SIGTERM, previous)
        down()


def _image(node, prefix):
    tarball = [t for t in node.tarballs if os.path.basename(t).startswith(prefix + "-")][0]
    version = re.match(re.escape(prefix) + r"-(.+)\.tar$", os.path.basename(tarball)).group(1)
    return "local/%s:%s" % (prefix, version)


def run_roles(env, clusters, color_tag, limit=None):
    """The roles as a playbook: gitops_repo on the git host, cluster_dns + gitops_flux on each
    cluster (from the controller). Returns {host: changed}."""
    tmp, nodes = env["tmp"], env["nodes"]
    node = nodes["flux-a"]
    inventory = {"all": {"children": {
        "gitops_repo_hosts": {"hosts": {GIT_HOST: {
            "ansible_connection": "community.docker.docker",
            "ansible_python_interpreter": "/usr/bin/python3"}}},
        "clusters": {"hosts": {name: {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "cluster_dns_kubeconfig": n.kubeconfig,
            "gitops_flux_kubeconfig": n.kubeconfig} for name, n in nodes.items()}},
    }}}
    (tmp / "hosts.yml").write_text(yaml.safe_dump(inventory))
    playbook = [
        {"name": "GitOps repository", "hosts": "gitops_repo_hosts", "gather_facts": False,
         "roles": [{"role": "investment.orchestration.gitops_repo"}]},
        {"name": "Flux on every cluster", "hosts": "clusters", "gather_facts": False,
         "roles": [{"role": "investment.orchestration.cluster_dns"},
                   {"role": "investment.orchestration.gitops_flux"}]},
    ]
    (tmp / "play.yml").write_text(yaml.safe_dump(playbook))
    variables = {
        "gitops_repo_package_dir": env["debs"],
        "gitops_repo_clusters": clusters,
        "cluster_dns_image": _image(node, "coredns"),
        "cluster_dns_image_pull_policy": "Never",
        "cluster_dns_upstreams": [],
        "gitops_flux_cluster": "{{ inventory_hostname }}",
        "gitops_flux_repo_url": REPO_URL,
        "gitops_flux_repo_interval": "10s",
        "gitops_flux_source_controller_image": _image(node, "flux-source-controller"),
        "gitops_flux_kustomize_controller_image": _image(node, "flux-kustomize-controller"),
        "gitops_flux_image_pull_policy": "Never",
    }
    (tmp / "vars.yml").write_text(yaml.safe_dump(variables))
    envvars = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        ["ansible-playbook", "-v", "-i", str(tmp / "hosts.yml"), str(tmp / "play.yml"),
         "-e", "@" + str(tmp / "vars.yml")] + (["--limit", limit] if limit else []),
        cwd=ROOT, env=envvars, capture_output=True, text=True, timeout=900, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, "%s\n%s" % (color_tag, out[-8000:])
    changed = {m.group(1): int(m.group(2))
               for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", out, re.M)}
    assert set(changed) == ({limit} if limit else {GIT_HOST} | set(nodes)), out[-4000:]
    return changed, out


def configmap(color):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": CM_NAME, "namespace": CM_NS, "labels": {"app": "flux-probe"}},
            "data": {"color": color}}


def repo_head():
    return _run(["docker", "exec", GIT_HOST, "git", "--git-dir=/srv/git/infra.git",
                 "rev-parse", "refs/heads/main"]).strip()


def commit_time(revision):
    return int(_run(["docker", "exec", GIT_HOST, "git", "--git-dir=/srv/git/infra.git",
                     "show", "-s", "--format=%ct", revision]).strip())


NODE_MEMORY_SCRIPT = r"""
if [ -f /sys/fs/cgroup/memory.current ]; then
  echo $(( $(cat /sys/fs/cgroup/memory.current) - $(awk '$1 == "inactive_file" {print $2}' /sys/fs/cgroup/memory.stat) ))
else
  echo $(( $(cat /sys/fs/cgroup/memory/memory.usage_in_bytes) - $(awk '$1 == "total_inactive_file" {print $2}' /sys/fs/cgroup/memory/memory.stat) ))
fi
"""


def get_cm(node):
    proc = node.kubectl("-n", CM_NS, "get", "configmap", CM_NAME, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def applied_revision(node):
    proc = node.kubectl("-n", "flux-system", "get", "kustomization", "flux-system", "-o", "json",
                        check=False)
    if proc.returncode != 0:
        return ""
    return json.loads(proc.stdout).get("status", {}).get("lastAppliedRevision", "")


def wait_for(what, seconds, probe, diagnose=None):
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s\n%s" % (what, diagnose() if diagnose else ""))
        time.sleep(0.5)


def diagnose(node):
    def run():
        out = node.kubectl("-n", "flux-system", "get", "pods,gitrepositories,kustomizations", "-o", "wide",
                           check=False).stdout
        for deploy in ("source-controller", "kustomize-controller"):
            out += node.kubectl("-n", "flux-system", "logs", "deploy/" + deploy, "--tail=20",
                                check=False).stdout
        return out
    return run


def memory(node, comm):
    return json.loads(_run(["docker", "exec", "-e", "COMM=" + comm, node.name, "sh", "-c", MEMORY_SCRIPT]))


def test_flux_syncs_each_cluster_its_overlay(flux_env, record_timing):
    nodes = flux_env["nodes"]
    a, b = nodes["flux-a"], nodes["flux-b"]

    # 1. ConfigMap for A only; B has an (empty) overlay of its own.
    t0 = time.monotonic()
    changed, out = run_roles(flux_env, {"flux-a": [configmap("blue")], "flux-b": []}, "first run")
    record_timing("flux_roles_first_run_s", round(time.monotonic() - t0, 1))
    assert all(changed[h] >= 1 for h in changed), changed
    t_commit = time.monotonic()
    head = repo_head()
    for node in (a, b):
        for deploy in ("source-controller", "kustomize-controller"):
            d = node.kget("deployment", deploy, "-n", "flux-system")
            assert d["status"].get("readyReplicas") == 1, (node.name, deploy)
            spec = d["spec"]["template"]["spec"]["containers"][0]
            assert spec["image"].startswith("local/flux-") and spec["imagePullPolicy"] == "Never"
        git = node.kget("gitrepository", "flux-system", "-n", "flux-system")
        assert git["spec"]["url"] == REPO_URL
        ks = node.kget("kustomization", "flux-system", "-n", "flux-system")
        assert ks["spec"]["path"] == "./k8s/clusters/" + node.name and ks["spec"]["prune"] is True

    cm = wait_for("the ConfigMap on flux-a", 180, lambda: get_cm(a), diagnose(a))
    record_timing("flux_first_sync_after_roles_s", round(time.monotonic() - t_commit, 1))
    assert cm["data"] == {"color": "blue"}
    assert cm["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] == "flux-system"
    # B synced the same commit, and its overlay has no ConfigMap.
    wait_for("flux-b to apply " + head, 180, lambda: applied_revision(b).endswith(head), diagnose(b))
    assert get_cm(b) is None

    # 2. A change committed (the repository role alone): reconciled on A only. Latency: commit
    # (its timestamp, 1 s resolution) -> the new data seen on A (GitRepository interval 10 s).
    changed, out = run_roles(flux_env, {"flux-a": [configmap("green")], "flux-b": []}, "change",
                             limit=GIT_HOST)
    assert changed[GIT_HOST] >= 1, changed
    head2 = repo_head()
    assert head2 != head
    wait_for("the changed ConfigMap on flux-a", 120,
             lambda: (get_cm(a) or {}).get("data") == {"color": "green"}, diagnose(a))
    record_timing("flux_reconcile_latency_s", round(time.time() - commit_time(head2), 1))
    wait_for("flux-b to apply " + head2, 120, lambda: applied_revision(b).endswith(head2), diagnose(b))
    assert get_cm(b) is None

    # 3. Nothing changes: the roles change nothing, no new commit.
    t0 = time.monotonic()
    changed, out = run_roles(flux_env, {"flux-a": [configmap("green")], "flux-b": []}, "second run")
    record_timing("flux_roles_idempotent_run_s", round(time.monotonic() - t0, 1))
    assert changed == {GIT_HOST: 0, "flux-a": 0, "flux-b": 0}, out[-4000:]
    assert repo_head() == head2

    # Memory of the controllers in the 1 GiB node (after two syncs).
    for comm, key in (("source-controll", "source_controller"), ("kustomize-contr", "kustomize_controller")):
        mem = memory(a, comm)
        record_timing(key + "_rss_mib", round(mem["rss_kib"] / 1024, 1))
        record_timing(key + "_rss_anon_mib", round(mem["rss_anon_kib"] / 1024, 1))
        working_set = (mem["cgroup_usage"] - mem["cgroup_inactive_file"]) / 1048576
        record_timing(key + "_working_set_mib", round(working_set, 1))
        limit_mib = 160  # gitops_flux_*_memory_limit
        assert working_set < limit_mib * 0.8, (key, mem)
    record_timing("flux_node_working_set_mib",
                  round(int(_run(["docker", "exec", a.name, "sh", "-c", NODE_MEMORY_SCRIPT])) / 1048576, 1))
    restarts = [c["restartCount"] for p in a.kget("pods", "-n", "flux-system")["items"]
                for c in p["status"]["containerStatuses"]]
    assert restarts and not any(restarts), restarts

    # 4. Removed from the repository: Flux prunes it from A.
    changed, out = run_roles(flux_env, {"flux-a": [], "flux-b": []}, "prune")
    assert changed[GIT_HOST] >= 1, changed
    wait_for("the ConfigMap to be pruned from flux-a", 120, lambda: get_cm(a) is None, diagnose(a))
