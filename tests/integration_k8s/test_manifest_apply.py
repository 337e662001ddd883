"""investment.orchestration.manifest_apply against a real kube-apiserver (see conftest.py).

Every test runs the module through ansible-playbook (ANSIBLE_CONFIG=ansible.cfg, so the collection
resolves to this checkout; the interpreter is this venv's python) and checks the cluster with
kubectl. Each test works in its own namespaces, so they do not depend on each other's order.
There are no nodes: Deployments never become ready.
"""
import base64
import json
import os
import subprocess
import sys
import time

import yaml

from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import (
    Applier,
    connect,
    load_sources,
)
from ansible_collections.investment.orchestration.plugins.module_utils.k8s_applyset import (
    ADDITIONAL_NAMESPACES_ANNOTATION,
    GROUP_KINDS_ANNOTATION,
    ID_LABEL,
    PART_OF_LABEL,
    TOOLING_ANNOTATION,
    ApplySet,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON = sys.executable
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
# Computed by kubectl v1.34.4 for the parent Secret demo/myset (see test_applyset_matches_kubectl).
KUBECTL_KNOWN_ANSWER = ("myset", "demo", "applyset-RJUuy2zSnXxK_xQykfqf5eXkZLN6BWTWH0jVynAhBfw-v1")


# --------------------------------------------------------------------------------------------
# helpers


class Run(object):
    def __init__(self, result, output, seconds):
        self.result = result
        self.output = output
        self.seconds = seconds


def apply_module(*args, **kwargs):
    """The module's result (see playbook)."""
    return playbook(*args, **kwargs).result


def playbook(cluster, tmp_path, args, check=False, diff=False, verbosity=0, callback="ansible.posix.json"):
    """Run the module once; returns a Run: result dict (None with another callback), output, seconds."""
    args = dict(args)
    args.setdefault("kubeconfig", cluster.kubeconfig)
    task = {"name": "manifest_apply", "investment.orchestration.manifest_apply": args, "check_mode": check,
            "diff": diff}
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local",
             "vars": {"ansible_python_interpreter": PYTHON}, "tasks": [task]}]
    path = tmp_path / ("play-%d.yml" % time.monotonic_ns())
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK=callback,
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0")
    cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", str(path)] + (["-" + "v" * verbosity] if verbosity else [])
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    seconds = time.monotonic() - t0
    if callback != "ansible.posix.json":
        return Run(None, proc.stdout + proc.stderr, seconds)
    try:
        out = json.loads(proc.stdout)
        result = out["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError("ansible-playbook (rc %d) gave no result:\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    assert (proc.returncode != 0) == bool(result.get("failed")), proc.stdout
    return Run(result, proc.stdout, seconds)


def kget(cluster, *args):
    """kubectl get ... -o json, decoded."""
    return json.loads(cluster.kubectl("get", "-o", "json", *args).stdout)


def exists(cluster, *args):
    return cluster.kubectl("get", *args, check=False).returncode == 0


def write(path, *docs):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return str(path)


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(name, ns=None, **data):
    meta = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"k": "v"}}


def deployment(name, ns=None, image="nginx:1.27"):
    meta = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": image}]}}}}


def service(name):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}}


def secret(name, **string_data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": string_data}


def crd(group, kind, plural):
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "%s.%s" % (plural, group)},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": kind + "List"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object",
                     "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]},
    }


def actions(result):
    return sorted((o["kind"], o["namespace"] or "", o["name"], o["action"]) for o in result["objects"])


def members_by_kubectl(cluster, ident, kinds):
    """The members kubectl lists by the part-of label (those being deleted left out)."""
    listed = kget(cluster, ",".join(kinds), "-A", "-l", "%s=%s" % (PART_OF_LABEL, ident))
    return sorted((i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in listed["items"]
                  if not i["metadata"].get("deletionTimestamp"))


def resource_versions(cluster, kinds, *namespaces):
    rvs = {}
    for ns in namespaces:
        for i in kget(cluster, kinds, "-n", ns)["items"]:
            rvs[(i["kind"], ns, i["metadata"]["name"])] = i["metadata"]["resourceVersion"]
    return rvs


# --------------------------------------------------------------------------------------------
# the ApplySet, as kubectl computes it


def test_applyset_matches_kubectl(cluster, tmp_path):
    name, ns, known_id = KUBECTL_KNOWN_ANSWER
    cluster.kubectl("create", "namespace", ns)
    objs = [configmap("a", data="1"), configmap("b"), deployment("web")]
    manifests = write(tmp_path / "kubectl.yaml", *objs)
    out = cluster.kubectl("apply", "--server-side", "--prune", "--applyset=%s" % name, "-n", ns, "-f", manifests,
                          env={"KUBECTL_APPLYSET": "true"}).stdout
    assert "serverside-applied" in out
    parent = kget(cluster, "secret", name, "-n", ns)
    version = json.loads(cluster.kubectl("version", "--client", "-o", "json").stdout)["clientVersion"]["gitVersion"]

    # our computation of id, labels and annotations, from the same objects
    aset = ApplySet(name, ns, "Secret", "kubectl/%s" % version)
    expected = aset.parent_patch(["ConfigMap", "Deployment.apps"], [ns])["metadata"]
    assert parent["metadata"]["labels"] == expected["labels"] == {ID_LABEL: known_id}
    assert parent["metadata"]["annotations"] == expected["annotations"]
    assert parent["metadata"]["annotations"][GROUP_KINDS_ANNOTATION] == "ConfigMap,Deployment.apps"
    assert parent["metadata"]["annotations"][TOOLING_ANNOTATION] == "kubectl/v1.34.4"
    assert parent["metadata"]["annotations"][ADDITIONAL_NAMESPACES_ANNOTATION] == ""
    assert members_by_kubectl(cluster, known_id, ["configmaps", "deployments"]) == [
        ("ConfigMap", ns, "a"), ("ConfigMap", ns, "b"), ("Deployment", ns, "web")]

    # the module continues kubectl's set (same parent, tooling kubectl): b leaves it and is pruned
    args = {"namespace": ns, "definitions": [objs[0], objs[2]],
            "applyset": {"name": name, "parent_name": name, "tooling": "kubectl/%s" % version}}
    result = apply_module(cluster, tmp_path, args)
    assert result["applyset"]["id"] == known_id
    assert ("ConfigMap", ns, "b", "pruned") in actions(result)
    assert not exists(cluster, "configmap", "b", "-n", ns)
    assert members_by_kubectl(cluster, known_id, ["configmaps", "deployments"]) == [
        ("ConfigMap", ns, "a"), ("Deployment", ns, "web")]
    # ... and kubectl takes it back: the set it finds is what the module left
    out = cluster.kubectl("apply", "--server-side", "--prune", "--applyset=%s" % name, "-n", ns,
                          "-f", write(tmp_path / "only-a.yaml", objs[0]), env={"KUBECTL_APPLYSET": "true"}).stdout
    assert "deployment.apps/web pruned" in out

    # a parent written by another tool is refused, as kubectl refuses ours
    result = apply_module(cluster, tmp_path, dict(args, applyset={"name": name, "parent_name": name}))
    assert result["failed"] and "managed by tooling 'kubectl' instead of 'investment.orchestration'" in result["msg"]


# --------------------------------------------------------------------------------------------
# apply, re-apply, prune


def test_first_apply_reapply_and_prune(cluster, tmp_path, timings):
    src = tmp_path / "shop"
    write(src / "00-namespace.yaml", namespace("shop"))
    write(src / "10-config.yaml", configmap("settings", mode="live"), secret("db", password="pw-first-apply-0001"))
    write(src / "20-app.yaml", deployment("web"), service("web"))
    write(src / "30-extra.yaml", configmap("extra"), namespace("shop-extra"), configmap("elsewhere", "shop-extra"))
    args = {"src": [str(src)], "namespace": "shop", "applyset": {"name": "shop"},
            "definitions": [configmap("inline")]}

    run = playbook(cluster, tmp_path, args)
    first = run.result
    timings["first apply (9 objects + ApplySet parent)"] = run.seconds
    assert first["changed"] is True and not first.get("failed")
    assert first["summary"] == {"created": 9, "configured": 0, "unchanged": 0, "pruned": 0, "failed": 0}
    # Namespaces, then Helm's order (Secret, ConfigMap, Service, Deployment), input order within a kind
    assert [(o["kind"], o["name"]) for o in first["objects"]] == [
        ("Namespace", "shop"), ("Namespace", "shop-extra"), ("Secret", "db"), ("ConfigMap", "settings"),
        ("ConfigMap", "extra"), ("ConfigMap", "elsewhere"), ("ConfigMap", "inline"), ("Service", "web"),
        ("Deployment", "web")]
    assert first["objects"][3]["origin"] == str(src / "10-config.yaml") + " (document 1)"
    ident = ApplySet("applyset-shop", "shop").id
    assert first["applyset"]["id"] == ident
    assert first["applyset"]["additional_namespaces"] == ["shop-extra"]

    run = playbook(cluster, tmp_path, args)
    again = run.result
    timings["no-change re-apply (same set)"] = run.seconds
    assert again["changed"] is False
    assert again["summary"]["unchanged"] == 9 and again["applyset"]["action"] == "unchanged"

    # the same re-apply in-process, without ansible-playbook's start-up: the module's own cost
    t0 = time.monotonic()
    client = connect(cluster.kubeconfig)
    calls = []
    real_request = client.request

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real_request(*args, **kwargs)
    client.request = counting
    applier = Applier(client, default_namespace="shop",
                      applyset=ApplySet("applyset-shop", "shop", tooling="investment.orchestration/0.1.0"))
    direct = applier.run(applier.prepare(load_sources([str(src)], [configmap("inline")])))
    timings["no-change re-apply in-process (%d API requests)" % len(calls)] = time.monotonic() - t0
    assert direct["changed"] is False and direct["errors"] == []

    # kubectl sees the same members, and the parent the module reports
    module_members = sorted((o["kind"], o["namespace"] or "", o["name"]) for o in again["objects"])
    assert members_by_kubectl(cluster, ident, ["namespaces", "configmaps", "secrets", "services", "deployments"]) \
        == module_members
    parent = kget(cluster, "secret", "applyset-shop", "-n", "shop")
    assert parent["metadata"]["labels"] == {ID_LABEL: ident}
    assert parent["metadata"]["annotations"] == {
        TOOLING_ANNOTATION: "investment.orchestration/0.1.0",
        GROUP_KINDS_ANNOTATION: "ConfigMap,Deployment.apps,Namespace,Secret,Service",
        ADDITIONAL_NAMESPACES_ANNOTATION: "shop-extra",
    }
    live = kget(cluster, "deployment", "web", "-n", "shop", "--show-managed-fields")
    managers = set(m["manager"] for m in live["metadata"]["managedFields"])
    assert "investment-orchestration" in managers

    # an object removed from the set is pruned; so is a namespace and what it holds
    os.remove(str(src / "30-extra.yaml"))
    pruned = apply_module(cluster, tmp_path, args)
    assert pruned["changed"] is True
    assert sorted(a for a in actions(pruned) if a[3] == "pruned") == [
        ("ConfigMap", "shop", "extra", "pruned"), ("ConfigMap", "shop-extra", "elsewhere", "pruned"),
        ("Namespace", "", "shop-extra", "pruned")]
    assert [o["kind"] for o in pruned["objects"] if o["action"] == "pruned"][-1] == "Namespace"
    assert not exists(cluster, "configmap", "extra", "-n", "shop")
    gone = cluster.kubectl("get", "namespace", "shop-extra", "-o", "json", check=False)
    assert gone.returncode != 0 or json.loads(gone.stdout)["status"]["phase"] == "Terminating"
    assert members_by_kubectl(cluster, ident, ["namespaces", "configmaps"]) == [
        ("ConfigMap", "shop", "inline"), ("ConfigMap", "shop", "settings"), ("Namespace", "", "shop")]
    assert kget(cluster, "secret", "applyset-shop", "-n", "shop")["metadata"]["annotations"][
        ADDITIONAL_NAMESPACES_ANNOTATION] == ""
    settled = apply_module(cluster, tmp_path, args)
    assert settled["changed"] is False  # a namespace still terminating is not pruned twice


# --------------------------------------------------------------------------------------------
# check mode and diff


def test_check_mode_changes_nothing(cluster, tmp_path):
    base = [namespace("chk"), configmap("keep", "chk", v="1"), configmap("drop", "chk"), deployment("app", "chk")]
    args = {"definitions": base, "namespace": "chk", "applyset": {"name": "chk"}}
    result = apply_module(cluster, tmp_path, args)
    assert result["changed"] and not result.get("failed")
    kinds = "configmaps,secrets"  # (the deployment controller keeps writing the Deployment's status)
    before = resource_versions(cluster, kinds, "chk")

    changed = [namespace("chk"), configmap("keep", "chk", v="2"), deployment("app", "chk", image="nginx:1.28"),
               configmap("new", "chk"), namespace("chk-new"), configmap("far", "chk-new")]
    result = apply_module(cluster, tmp_path, dict(args, definitions=changed), check=True, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert actions(result) == [
        ("ConfigMap", "chk", "drop", "pruned"), ("ConfigMap", "chk", "keep", "configured"),
        ("ConfigMap", "chk", "new", "created"), ("ConfigMap", "chk-new", "far", "created"),
        ("Deployment", "chk", "app", "configured"), ("Namespace", "", "chk", "unchanged"),
        ("Namespace", "", "chk-new", "created")]
    far = [o for o in result["objects"] if o["name"] == "far"][0]
    assert far["validated"] is False  # its namespace does not exist: not dry-run by the server
    dep = [o for o in result["objects"] if o["name"] == "app"][0]
    assert dep["object"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert dep["object"]["spec"]["progressDeadlineSeconds"] == 600  # server defaulting: a real dry run

    # kubectl: nothing changed, nothing created, nothing deleted
    assert resource_versions(cluster, kinds, "chk") == before
    assert kget(cluster, "configmap", "keep", "-n", "chk")["data"] == {"v": "1"}
    live = kget(cluster, "deployment", "app", "-n", "chk")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert live["metadata"]["generation"] == 1
    assert exists(cluster, "configmap", "drop", "-n", "chk")
    assert not exists(cluster, "configmap", "new", "-n", "chk")
    assert not exists(cluster, "namespace", "chk-new")

    # the same with the real run
    result = apply_module(cluster, tmp_path, dict(args, definitions=changed))
    assert sorted(a[3] for a in actions(result)) == [
        "configured", "configured", "created", "created", "created", "pruned", "unchanged"]
    assert not exists(cluster, "configmap", "drop", "-n", "chk")
    assert kget(cluster, "configmap", "far", "-n", "chk-new")["data"] == {"k": "v"}


def test_diff_redacts_secrets(cluster, tmp_path):
    first_pw, second_pw, inline_pw = "pw-redact-me-0001", "pw-redact-me-0002", "pw-inline-token-0003"
    src = write(tmp_path / "sec.yaml", namespace("sec"), secret("db", password=first_pw, user="app"))
    args = {"src": [src], "namespace": "sec",
            "definitions": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token"},
                             "data": {"token": base64.b64encode(inline_pw.encode()).decode()}}]}
    result = apply_module(cluster, tmp_path, args, diff=True)
    assert not result.get("failed"), result.get("msg")
    secrets = [o for o in result["objects"] if o["kind"] == "Secret"]
    assert [s["object"]["data"] for s in secrets] == [{"password": "<redacted>", "user": "<redacted>"},
                                                      {"token": "<redacted>"}]
    assert result["invocation"]["module_args"]["definitions"][0]["data"] == {"token": "<redacted>"}

    # second run, one value changed, shown as the default callback shows it, very verbose
    write(tmp_path / "sec.yaml", namespace("sec"), secret("db", password=second_pw, user="app"))
    text = playbook(cluster, tmp_path, args, diff=True, verbosity=3, callback="ansible.builtin.default").output
    assert "Secret sec/db (configured)" in text
    assert "-  password: '<redacted: old value>'" in text and "+  password: '<redacted: new value>'" in text
    assert "user: <redacted>" in text
    for value in (first_pw, second_pw, inline_pw):
        for form in (value, base64.b64encode(value.encode()).decode()):
            assert form not in text
    # the cluster has the new value all the same
    data = kget(cluster, "secret", "db", "-n", "sec")["data"]
    assert base64.b64decode(data["password"]).decode() == second_pw


# --------------------------------------------------------------------------------------------
# errors, wait, CRDs


def test_invalid_objects_are_named(cluster, tmp_path):
    cluster.kubectl("create", "namespace", "bad")
    bad_name = configmap("Bad_Name", "bad")
    unknown_field = deployment("typo", "bad")
    unknown_field["spec"]["replicass"] = 2
    result = apply_module(cluster, tmp_path, {"definitions": [configmap("fine", "bad"), bad_name, unknown_field]})
    assert result["failed"] is True
    assert result["msg"].startswith("2 errors: ")
    assert 'ConfigMap bad/Bad_Name: apply failed: Invalid (HTTP 422): ConfigMap "Bad_Name" is invalid: ' \
           'metadata.name: Invalid value: "Bad_Name"' in result["msg"]
    assert "Deployment bad/typo: apply failed:" in result["msg"] and ".spec.replicass: field not declared in schema" \
        in result["msg"]
    by_name = dict((o["name"], o) for o in result["objects"])
    assert by_name["fine"]["action"] == "created"
    assert by_name["Bad_Name"]["action"] == "failed" and "Invalid (HTTP 422)" in by_name["Bad_Name"]["error"]

    result = apply_module(cluster, tmp_path, {"definitions": [
        {"apiVersion": "example.com/v9", "kind": "Nope", "metadata": {"name": "x"}}]})
    assert result["msg"] == ("definitions[0]: Nope x: the API server has no resource type for kind Nope in apiVersion "
                             "example.com/v9 (and no CustomResourceDefinition of this set defines it)")
    result = apply_module(cluster, tmp_path, {"definitions": [configmap("x", "no-such-namespace")]})
    assert result["msg"] == ('1 error: ConfigMap no-such-namespace/x: apply failed: NotFound (HTTP 404): '
                             'namespaces "no-such-namespace" not found')


def test_wait_times_out_with_reasons(cluster, tmp_path, timings):
    daemonset = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                 "spec": {"selector": {"matchLabels": {"app": "agent"}},
                          "template": {"metadata": {"labels": {"app": "agent"}},
                                       "spec": {"containers": [{"name": "agent", "image": "busybox"}]}}}}
    objs = [namespace("slow"), deployment("web"), deployment("api"), daemonset]
    timeout = 8
    run = playbook(cluster, tmp_path, {"definitions": objs, "namespace": "slow", "wait": True,
                                       "wait_timeout": timeout, "wait_sleep": 1})
    result, seconds = run.result, run.seconds
    assert result["failed"] is True
    assert result["msg"].startswith("not ready after %d s: Deployment slow/api: 0 of 1 updated replicas available "
                                    "(Available=False MinimumReplicasUnavailable: Deployment does not have minimum "
                                    "availability." % timeout)
    assert [(n["kind"], n["name"], n["state"]) for n in result["not_ready"]] == [
        ("Deployment", "api", "pending"), ("Deployment", "web", "pending")]  # no nodes: a DaemonSet of 0 is ready
    assert result["summary"]["created"] == 4 and result["changed"] is True
    # both deployments were waited for together: one timeout, not two
    assert seconds < 2 * timeout
    timings["wait on 2 Deployments + 1 DaemonSet, timeout %d s" % timeout] = seconds


def test_crd_and_its_objects_in_one_apply(cluster, tmp_path):
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}}
    # the custom resource comes first in the file: the module orders it after its CRD
    src = write(tmp_path / "crd.yaml", widget, crd("example.com", "Widget", "widgets"), namespace("crd"))
    args = {"src": [src], "namespace": "crd", "applyset": {"name": "widgets"}}

    gadget = {"apiVersion": "gadgets.example.com/v1", "kind": "Gadget", "metadata": {"name": "g1"}}
    gadget_crd = crd("gadgets.example.com", "Gadget", "gadgets")
    checked = apply_module(cluster, tmp_path, dict(args, definitions=[gadget_crd, gadget]), check=True)
    assert not checked.get("failed"), checked.get("msg")
    assert [(o["kind"], o["action"], o.get("validated", True)) for o in checked["objects"]] == [
        ("Namespace", "created", True), ("CustomResourceDefinition", "created", True),
        ("CustomResourceDefinition", "created", True), ("Gadget", "created", False), ("Widget", "created", False)]
    assert not exists(cluster, "crd", "widgets.example.com")

    result = apply_module(cluster, tmp_path, args)
    assert not result.get("failed"), result.get("msg")
    assert [(o["kind"], o["action"]) for o in result["objects"]] == [
        ("Namespace", "created"), ("CustomResourceDefinition", "created"), ("Widget", "created")]
    assert kget(cluster, "widgets.example.com", "w1", "-n", "crd")["spec"] == {"size": 3}
    assert kget(cluster, "secret", "applyset-widgets", "-n", "crd")["metadata"]["annotations"][
        GROUP_KINDS_ANNOTATION] == "CustomResourceDefinition.apiextensions.k8s.io,Namespace,Widget.example.com"
    again = apply_module(cluster, tmp_path, args)
    assert again["changed"] is False

    # the CR leaves the set: pruned (before any CRD would be)
    write(tmp_path / "crd.yaml", crd("example.com", "Widget", "widgets"), namespace("crd"))
    pruned = apply_module(cluster, tmp_path, args)
    assert [(o["kind"], o["name"]) for o in pruned["objects"] if o["action"] == "pruned"] == [("Widget", "w1")]
    assert not exists(cluster, "widgets.example.com", "w1", "-n", "crd")


def test_timings_baseline(cluster, tmp_path, timings):
    """ansible-playbook's own cost, to read the timings against (a module run that fails at once)."""
    run = playbook(cluster, tmp_path, {"definitions": [{"kind": "X"}]})
    assert run.result["failed"]
    seconds = run.seconds
    timings["ansible-playbook overhead (module fails before any API call)"] = seconds


def test_empty_set_prunes_every_member(cluster, tmp_path):
    """With an ApplySet, no objects at all means: remove every member (a stack leaving a cluster)."""
    args = {"applyset": {"name": "leaving", "namespace": "kube-system"},
            "definitions": [namespace("leaving"), configmap("left", "leaving")]}
    first = apply_module(cluster, tmp_path, args)
    assert first["changed"] is True and exists(cluster, "configmap", "left", "-n", "leaving")
    emptied = apply_module(cluster, tmp_path, {"applyset": {"name": "leaving", "namespace": "kube-system"},
                                               "definitions": []})
    assert emptied["changed"] is True
    assert sorted(a for a in actions(emptied) if a[3] == "pruned") == [
        ("ConfigMap", "leaving", "left", "pruned"), ("Namespace", "", "leaving", "pruned")]
    again = apply_module(cluster, tmp_path, {"applyset": {"name": "leaving", "namespace": "kube-system"},
                                             "definitions": []})
    assert again["changed"] is False
    # Without an ApplySet an empty set is still refused.
    refused = apply_module(cluster, tmp_path, {"definitions": []})
    assert refused.get("failed") and "nothing to apply" in refused["msg"]


def test_direct_client_and_kubernetes_client_agree(cluster, tmp_path):
    """The kubeconfigs that connect() serves without the kubernetes package (a CA and a token, as
    the suite's own; a client certificate given as data) and one it leaves to the kubernetes client
    (a TLS server name) apply, read and fail the same way against the same API server."""
    import shutil
    from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import (
        ApiError,
        DirectClient,
        KubeClient,
    )
    ca_dir = tmp_path / "pki"
    ca_dir.mkdir()
    shutil.copy(os.path.join(cluster.tmp, "ca.crt"), str(ca_dir / "ca.crt"))
    shutil.copy(os.path.join(cluster.tmp, "ca.key"), str(ca_dir / "ca.key"))
    (ca_dir / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for cmd in (["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=cert-admin/O=system:masters",
                 "-keyout", "client.key", "-out", "client.csr"],
                ["x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "1", "-extfile", "client.ext", "-out", "client.crt"]):
        subprocess.run(["openssl"] + cmd, cwd=str(ca_dir), check=True, capture_output=True)
    with open(cluster.kubeconfig) as f:
        config = yaml.safe_load(f)

    def b64(name):
        return base64.b64encode((ca_dir / name).read_bytes()).decode()
    by_cert = dict(config, users=[{"name": "admin", "user": {"client-certificate-data": b64("client.crt"),
                                                             "client-key-data": b64("client.key")}}])
    by_cert["clusters"] = [{"name": "it", "cluster": {"server": cluster.server,
                                                      "certificate-authority-data": b64("ca.crt")}}]
    by_library = dict(config)
    by_library["clusters"] = [{"name": "it", "cluster": dict(config["clusters"][0]["cluster"],
                                                             **{"tls-server-name": "localhost"})}]
    paths = {}
    for name, content in (("cert", by_cert), ("library", by_library)):
        paths[name] = str(tmp_path / ("kubeconfig-" + name))
        with open(paths[name], "w") as f:
            yaml.safe_dump(content, f)
    clients = {"token": connect(cluster.kubeconfig), "cert": connect(paths["cert"]),
               "library": connect(paths["library"])}
    assert [type(c) for c in clients.values()] == [DirectClient, DirectClient, KubeClient]

    objects = [namespace("clients"), configmap("one", a="1"), secret("two", password="s3cret-value")]
    summaries = {}
    for name in ("cert", "library", "token"):
        applier = Applier(clients[name], default_namespace="clients")
        result = applier.run(applier.prepare(load_sources([], objects)))
        assert result["errors"] == [], (name, result["errors"])
        summaries[name] = result["summary"]
    assert summaries["cert"]["created"] == 3
    assert summaries["library"]["unchanged"] == summaries["token"]["unchanged"] == 3
    reads = [c.request("GET", "/api/v1/namespaces/clients/configmaps/one") for c in clients.values()]
    assert reads[0] == reads[1] == reads[2]
    errors = []
    for client in clients.values():
        try:
            client.request("GET", "/api/v1/namespaces/clients/configmaps/absent")
        except ApiError as exc:
            errors.append((exc.status, exc.describe()))
    assert errors == [(404, 'NotFound (HTTP 404): configmaps "absent" not found')] * 3
    assert [m["manager"] for m in reads[0]["metadata"]["managedFields"]] == ["investment-orchestration"]
