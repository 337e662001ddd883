"""The k8s_app_stack role against a real API server: the Compose stacks rendered as Kubernetes
objects from the same definitions, applied as one ApplySet, idempotent, pruned when a stack
leaves, with the data tier outside the cluster and no secret in the output."""
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET = "pw-k8s-app-stack-7f3a9c"


def run_role(cluster, tmp_path, stacks, extra=None):
    inventory = {
        "all": {"children": {
            "controller": {"hosts": {"localhost": {"ansible_connection": "local"}}},
            "role_data": {"hosts": {"oracle1": {"fleet_public_ip": "203.0.113.11"}}},
            "role_app": {"hosts": {"oracle2": {"fleet_public_ip": "203.0.113.12"}}},
        }},
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    playbook = [{
        "name": "Stacks on Kubernetes", "hosts": "controller", "gather_facts": False,
        "roles": [{"role": "investment.orchestration.k8s_app_stack"}],
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook))
    variables = {
        "k8s_app_stack_stacks": stacks,
        "k8s_app_stack_kubeconfig": cluster.kubeconfig,
        "k8s_app_stack_wait": False,
        "k8s_app_stack_image_pull_policy": "Never",
        "compose_stack_secrets": {"postgres_password": SECRET, "redis_password": SECRET + "-r"},
        "compose_stack_domain": "sandbox.test",
        "ansible_python_interpreter": sys.executable,
    }
    variables.update(extra or {})
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(variables))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        ["ansible-playbook", "-v", "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"),
         "-e", "@" + str(tmp_path / "vars.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert SECRET not in out, "a secret value reached the output"
    changed = int(re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", out).group(1))
    return changed, out


def kget(cluster, *args):
    out = subprocess.run([cluster.kubectl_bin, "--kubeconfig", cluster.kubeconfig, "get", "-o", "json"]
                         + list(args), capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def names(cluster, kind, ns):
    return sorted(i["metadata"]["name"] for i in kget(cluster, kind, "-n", ns)["items"]
                  if not i["metadata"].get("deletionTimestamp"))


def test_stacks_apply_reapply_and_prune(cluster, tmp_path):
    changed, _out = run_role(cluster, tmp_path, ["app", "macro"])
    assert changed >= 1
    assert names(cluster, "deployments", "investment-app") == [
        "backend", "data-collector", "nginx", "prediction-service"]
    assert names(cluster, "deployments", "investment-macro") == ["jenkins"]
    assert "data-tier" in names(cluster, "services", "investment-app")

    # The data tier is outside: a Service without selector, its EndpointSlice the public IP.
    slice_ = kget(cluster, "endpointslice", "data-tier-public", "-n", "investment-app")
    assert slice_["endpoints"][0]["addresses"] == ["203.0.113.11"]
    backend = kget(cluster, "deployment", "backend", "-n", "investment-app")
    container = backend["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["POSTGRES_HOST"] == "data-tier" and env["REDIS_HOST"] == "data-tier"
    assert container["imagePullPolicy"] == "Never"
    assert container["resources"]["limits"]["memory"] == "128Mi"
    volumes = backend["spec"]["template"]["spec"]["volumes"]
    assert {"path": "/LOG/backend", "type": "DirectoryOrCreate"} in [v.get("hostPath") for v in volumes]
    assert container["envFrom"] == [{"secretRef": {"name": "investment-app-env"}}]
    nginx_cm = kget(cluster, "configmap", "-n", "investment-app")["items"]
    assert any("proxy_pass http://backend:8000" in (c.get("data") or {}).get("nginx.conf", "")
               for c in nginx_cm)

    # Idempotent: a second run changes nothing.
    changed, out = run_role(cluster, tmp_path, ["app", "macro"])
    assert changed == 0, out

    # A stack that leaves the plan is pruned.
    changed, _out = run_role(cluster, tmp_path, ["app"])
    assert changed >= 1
    assert names(cluster, "deployments", "investment-macro") == []
    assert names(cluster, "deployments", "investment-app") == [
        "backend", "data-collector", "nginx", "prediction-service"]


def test_bad_stack_is_refused(cluster, tmp_path):
    with pytest.raises(AssertionError, match="must name data"):
        run_role(cluster, tmp_path, ["app", "cache"])
