"""The ingress role against a real API server: the ALB Ingresses (EKS), the OCI LoadBalancer
Service + nginx Ingresses (OKE) and the traefik Ingresses (k3s) are accepted by the API server's
validation, re-applied without change, pruned when the provider changes, removed when absent."""
import json
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run_role(cluster, tmp_path, **variables):
    playbook = [{"name": "Ingress", "hosts": "localhost", "connection": "local", "gather_facts": False,
                 "roles": [{"role": "investment.orchestration.ingress"}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook))
    base = {"ingress_kubeconfig": cluster.kubeconfig, "ingress_domain": "example.com",
            "ansible_python_interpreter": sys.executable}
    base.update(variables)
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(base))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", str(tmp_path / "play.yml"),
                           "-e", "@" + str(tmp_path / "vars.yml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    return int(re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", out).group(1))


def kubectl(cluster, *args):
    return subprocess.run([cluster.kubectl_bin, "--kubeconfig", cluster.kubeconfig] + list(args),
                          capture_output=True, text=True, check=True).stdout


def get(cluster, kind, ns):
    items = json.loads(kubectl(cluster, "get", kind, "-n", ns, "-o", "json"))["items"]
    return {i["metadata"]["name"]: i for i in items if not i["metadata"].get("deletionTimestamp")}


def test_ingress_providers_apply_reapply_prune_remove(cluster, tmp_path):
    for ns in ("investment-app", "investment-edge", "ingress-nginx"):
        subprocess.run([cluster.kubectl_bin, "--kubeconfig", cluster.kubeconfig, "create", "namespace", ns],
                       capture_output=True, text=True, check=False)

    assert run_role(cluster, tmp_path, ingress_provider="eks") > 0
    api = get(cluster, "ingress", "investment-app")["investment-api"]
    assert api["spec"]["ingressClassName"] == "alb"
    assert api["metadata"]["annotations"]["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert [p["path"] for p in api["spec"]["rules"][0]["http"]["paths"]] == ["/predict", "/"]
    assert get(cluster, "ingress", "investment-edge")["investment-app"]["spec"]["rules"][0]["host"] == "app.example.com"
    assert run_role(cluster, tmp_path, ingress_provider="eks") == 0

    assert run_role(cluster, tmp_path, ingress_provider="oke") > 0
    service = get(cluster, "service", "ingress-nginx")["investment-ingress-lb"]
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["metadata"]["annotations"]["service.beta.kubernetes.io/oci-load-balancer-shape"] == "flexible"
    api = get(cluster, "ingress", "investment-app")["investment-api"]
    assert api["spec"]["ingressClassName"] == "nginx"
    assert "alb.ingress.kubernetes.io/scheme" not in api["metadata"].get("annotations", {})
    assert run_role(cluster, tmp_path, ingress_provider="oke") == 0

    assert run_role(cluster, tmp_path, ingress_provider="k3s") > 0
    assert "investment-ingress-lb" not in get(cluster, "service", "ingress-nginx")  # pruned
    assert get(cluster, "ingress", "investment-app")["investment-api"]["spec"]["ingressClassName"] == "traefik"

    assert run_role(cluster, tmp_path, ingress_provider="k3s", ingress_state="absent") > 0
    assert get(cluster, "ingress", "investment-app") == {}
    assert get(cluster, "ingress", "investment-edge") == {}
