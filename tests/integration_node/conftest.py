"""A real single-node Kubernetes (tools/kube-node: upstream v1.34.4 in a 1 GiB sandbox container,
low-memory profile) for tests that need pods: the images of scripts/build-go-images.sh are
imported into its containerd. One node per session, removed at the end (DNS_NODE_KEEP=1 keeps it).

The node container, its network and IP are this suite's own (env DNS_NODE, DNS_NODE_IP, KN_NET,
KN_SUBNET), so it can run beside the other kube-node users of the machine."""
import json
import os
import signal
import subprocess
import time

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IO_CACHE = os.environ.get("IO_CACHE", "/var/cache/io-orch")
KUBE_VERSION = "v1.34.4"


def _run(cmd, env=None, timeout=900):
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%s):\n%s\n%s" % (" ".join(cmd), proc.returncode,
                                                        proc.stdout[-4000:], proc.stderr[-4000:]))
    return proc.stdout


class Node:
    """The kube-node container and a kubeconfig for it on the host (server https://<node IP>:6443)."""

    def __init__(self, tmp_dir):
        self.name = os.environ.get("DNS_NODE", "dns-node-1")
        self.ip = os.environ.get("DNS_NODE_IP", "172.29.30.11")
        self.env = dict(os.environ, KN_NET=os.environ.get("KN_NET", "dns-net"),
                        KN_SUBNET=os.environ.get("KN_SUBNET", "172.29.30.0/24"))
        self.kubeconfig = os.path.join(tmp_dir, "kubeconfig")
        self.kubectl_bin = os.path.join(IO_CACHE, "kube", KUBE_VERSION, "kubectl")
        self.tarballs = []
        self.timings = {}

    def up(self):
        t0 = time.monotonic()
        # only the images these tests use (Traefik, plan 3's, may still be building in the background)
        out = _run(["bash", "scripts/build-go-images.sh", "coredns", "flux-source-controller",
                    "flux-kustomize-controller"])
        self.tarballs = [line for line in out.splitlines() if line.endswith(".tar")]
        self.timings["build_go_images_s"] = round(time.monotonic() - t0, 1)
        self.down()  # leftovers of an interrupted run
        t0 = time.monotonic()
        _run(["bash", "tools/kube-node/container.sh", "create", self.name, self.ip], env=self.env)
        _run(["bash", "tools/kube-node/up.sh", self.name, "lowmem"],
             env=dict(self.env, KN_EXTRA_TARBALLS=" ".join(self.tarballs)))
        self.timings["node_up_s"] = round(time.monotonic() - t0, 1)
        raw = _run(["docker", "exec", self.name, "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf",
                    "config", "view", "--raw", "--flatten"])
        config = yaml.safe_load(raw)
        config["clusters"][0]["cluster"]["server"] = "https://%s:6443" % self.ip
        with open(self.kubeconfig, "w") as f:
            yaml.safe_dump(config, f)
        os.chmod(self.kubeconfig, 0o600)

    def down(self):
        subprocess.run(["bash", "tools/kube-node/container.sh", "rm", self.name], cwd=ROOT,
                       env=self.env, capture_output=True, check=False)

    def kubectl(self, *args, check=True, input=None, timeout=120):
        proc = subprocess.run([self.kubectl_bin, "--kubeconfig", self.kubeconfig] + list(args),
                              capture_output=True, text=True, input=input, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("kubectl %s: %s%s" % (" ".join(args), proc.stdout, proc.stderr))
        return proc

    def kget(self, *args):
        return json.loads(self.kubectl("get", "-o", "json", *args).stdout)

    def on_node(self, script):
        return _run(["docker", "exec", self.name, "sh", "-c", script])


@pytest.fixture(scope="session")
def kube_node(tmp_path_factory, record_timing):
    node = Node(str(tmp_path_factory.mktemp("kube-node")))

    def on_term(signum, frame):  # a killed test run still removes its node
        if os.environ.get("DNS_NODE_KEEP") != "1":
            node.down()
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        node.up()
        for key, value in node.timings.items():
            record_timing(key, value)
        yield node
    finally:
        signal.signal(signal.SIGTERM, previous)
        if os.environ.get("DNS_NODE_KEEP") != "1":
            node.down()


_TIMINGS = {}


@pytest.fixture(scope="session")
def record_timing():
    def record(key, value):
        _TIMINGS[key] = value
    return record


def pytest_terminal_summary(terminalreporter):
    if _TIMINGS:
        terminalreporter.write_line("kube-node measurements: " + json.dumps(_TIMINGS, sort_keys=True))


# RSS of a process (by comm, 15 characters) and the working set (usage - inactive_file) of its
# container's memory cgroup, read in the node.
PROCESS_MEMORY_SCRIPT = r"""
for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = "$COMM" ] && pid=${p#/proc/}; done
[ -n "$pid" ] || { echo "no $COMM process" >&2; exit 1; }
rss=$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status)
anon=$(awk '/^RssAnon:/ {print $2}' /proc/$pid/status)
path=$(awk -F: '$2 == "memory" {print $3}' /proc/$pid/cgroup)
if [ -n "$path" ]; then
  d=/sys/fs/cgroup/memory$path; usage=$(cat $d/memory.usage_in_bytes)
  inactive=$(awk '$1 == "total_inactive_file" {print $2}' $d/memory.stat)
else
  d=/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/$pid/cgroup); usage=$(cat $d/memory.current)
  inactive=$(awk '$1 == "inactive_file" {print $2}' $d/memory.stat)
fi
echo "{\"rss_kib\": $rss, \"rss_anon_kib\": $anon, \"cgroup_usage\": $usage, \"cgroup_inactive_file\": $inactive}"
"""
