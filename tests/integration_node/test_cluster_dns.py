"""The cluster_dns role on a real single-node Kubernetes (tools/kube-node, 1 GiB, lowmem): CoreDNS
built from the Go module proxy (scripts/build-go-images.sh) serves the kube-dns Service that the
kubelet's clusterDNS names; pods resolve Service names of their own and other namespaces; the
second run changes nothing. Also measures CoreDNS's memory in the node."""
import json
import os
import re
import subprocess
import sys
import time

import yaml
from conftest import PROCESS_MEMORY_SCRIPT

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DNS_IP = "10.96.0.10"
PROBE_NS = "dns-probe"
OTHER_NS = "dns-probe-other"


def coredns_image(node):
    tarball = [t for t in node.tarballs if os.path.basename(t).startswith("coredns-")][0]
    return "local/coredns:" + re.match(r"coredns-(.+)\.tar$", os.path.basename(tarball)).group(1)


def run_role(node, tmp_path, extra=None):
    inventory = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    playbook = [{"name": "Cluster DNS", "hosts": "localhost", "gather_facts": False,
                 "roles": [{"role": "investment.orchestration.cluster_dns"}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook))
    variables = {
        "cluster_dns_kubeconfig": node.kubeconfig,
        "cluster_dns_image": coredns_image(node),
        "cluster_dns_image_pull_policy": "Never",
        # The sandbox has no resolver the pods could reach: nothing is forwarded.
        "cluster_dns_upstreams": [],
        "cluster_dns_wait_timeout": 240,
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
    return int(re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", out).group(1)), out


def wait_for(what, seconds, probe):
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result:
            return result
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(1)


def nslookup(node, name):
    return node.kubectl("-n", PROBE_NS, "exec", "probe", "--", "nslookup", name, check=False)


def test_cluster_dns(kube_node, tmp_path, record_timing):
    node = kube_node
    t0 = time.monotonic()
    changed, out = run_role(node, tmp_path)
    record_timing("role_first_run_s", round(time.monotonic() - t0, 1))
    assert changed >= 1, out

    deployment = node.kget("deployment", "coredns", "-n", "kube-system")
    assert deployment["status"].get("readyReplicas") == 1
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == coredns_image(node)
    assert container["imagePullPolicy"] == "Never"
    service = node.kget("service", "kube-dns", "-n", "kube-system")
    assert service["spec"]["clusterIP"] == DNS_IP
    corefile = node.kget("configmap", "coredns", "-n", "kube-system")["data"]["Corefile"]
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa" in corefile
    assert "forward" not in corefile

    # A Service in another namespace (a name an app would use, like the app's backend:8000).
    node.kubectl("apply", "-f", "-", input=yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": OTHER_NS}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PROBE_NS}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "backend", "namespace": OTHER_NS},
         "spec": {"selector": {"app": "backend"}, "ports": [{"port": 8000}]}},
    ]))
    backend_ip = node.kget("service", "backend", "-n", OTHER_NS)["spec"]["clusterIP"]
    wait_for("the default ServiceAccount of " + PROBE_NS, 60, lambda: node.kubectl(
        "-n", PROBE_NS, "get", "serviceaccount", "default", check=False).returncode == 0)
    node.kubectl("apply", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe", "namespace": PROBE_NS},
        "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
            "name": "probe", "image": "local/busybox:latest", "imagePullPolicy": "Never",
            "command": ["sleep", "3600"],
            "resources": {"requests": {"memory": "8Mi"}, "limits": {"memory": "16Mi"}}}]}}))
    node.kubectl("-n", PROBE_NS, "wait", "--for=condition=Ready", "pod/probe", "--timeout=120s",
                 timeout=150)

    # The kubelet gave the pod the cluster DNS and the search path.
    resolv = node.kubectl("-n", PROBE_NS, "exec", "probe", "--", "cat", "/etc/resolv.conf").stdout
    assert "nameserver " + DNS_IP in resolv, resolv
    assert "search %s.svc.cluster.local svc.cluster.local cluster.local" % PROBE_NS in resolv, resolv

    for name, address in [("kubernetes.default.svc.cluster.local", "10.96.0.1"),
                          ("backend.%s.svc.cluster.local" % OTHER_NS, backend_ip)]:
        result = nslookup(node, name)
        assert result.returncode == 0, "%s: %s%s" % (name, result.stdout, result.stderr)
        assert "Address: " + address in result.stdout, result.stdout
        assert DNS_IP in result.stdout, result.stdout  # answered by the cluster DNS
    # A short name through the search path, as the app's clients resolve it (libc; busybox's
    # nslookup ignores the search path, its ping does not: the ClusterIP does not answer pings).
    ping = node.kubectl("-n", PROBE_NS, "exec", "probe", "--", "ping", "-c", "1", "-W", "1",
                        "backend." + OTHER_NS, check=False)
    assert "PING backend.%s (%s)" % (OTHER_NS, backend_ip) in ping.stdout, ping.stdout + ping.stderr
    missing = nslookup(node, "missing.%s.svc.cluster.local" % OTHER_NS)
    assert missing.returncode != 0 and backend_ip not in missing.stdout, missing.stdout

    # Idempotent: a second run changes nothing.
    t0 = time.monotonic()
    changed, out = run_role(node, tmp_path)
    record_timing("role_second_run_s", round(time.monotonic() - t0, 1))
    assert changed == 0, out

    memory = json.loads(node.on_node("COMM=coredns\n" + PROCESS_MEMORY_SCRIPT))
    record_timing("coredns_rss_mib", round(memory["rss_kib"] / 1024, 1))
    record_timing("coredns_rss_anon_mib", round(memory["rss_anon_kib"] / 1024, 1))
    working_set = memory["cgroup_usage"] - memory["cgroup_inactive_file"]
    record_timing("coredns_working_set_mib", round(working_set / 1048576, 1))
    limit = node.kget("deployment", "coredns", "-n", "kube-system")[
        "spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
    assert limit.endswith("Mi") and working_set < int(limit[:-2]) * 1048576 * 0.75
