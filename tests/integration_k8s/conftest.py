"""A real Kubernetes control plane for the integration tests: etcd + kube-apiserver +
kube-controller-manager on loopback, started once per session.

The same steps as tools/kube-apiserver/smoke.sh (throw-away PKI, a static admin token, RBAC), but
with free ports picked at start, a private temp dir, and everything stopped and removed when the
session ends. There is no kubelet and no scheduler: pods never run.

The binaries come from scripts/build-kube-apiserver.sh (cached in /var/cache/io-orch/kube/<v>/);
the session fails, with the reason, when they are absent and cannot be built.
KUBE_BIN_DIR and ETCD_BIN override where they are looked for. KUBE_IT_KEEP=1 keeps the temp dir
(logs) after the session.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS = os.path.join(ROOT, "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
_TIMINGS = {}


def _free_ports(count):
    """``count`` distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    socks = []
    try:
        for unused in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent():
    """In the child: get SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def _locate_binaries():
    """(kube bin dir, etcd path), or fail with the reason: these tests never skip silently."""
    bin_dir = os.environ.get("KUBE_BIN_DIR")
    if not bin_dir:
        script = os.path.join(ROOT, "scripts", "build-kube-apiserver.sh")
        try:
            proc = subprocess.run(["bash", script], capture_output=True, text=True, timeout=3600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.fail("cannot build the control plane with %s: %s" % (script, exc))
        if proc.returncode != 0:
            pytest.fail("scripts/build-kube-apiserver.sh failed (rc %d), no kube-apiserver to test "
                        "against:\n%s" % (proc.returncode, proc.stderr[-2000:]))
        bin_dir = proc.stdout.strip().splitlines()[-1]
    for name in ("kube-apiserver", "kube-controller-manager", "kubectl"):
        if not os.access(os.path.join(bin_dir, name), os.X_OK):
            pytest.fail("%s not found in %s" % (name, bin_dir))
    etcd = os.environ.get("ETCD_BIN")
    if not etcd:
        etcd = os.path.join(bin_dir, "etcd")
        if not os.access(etcd, os.X_OK):
            etcd = shutil.which("etcd")
    if not etcd:
        pytest.fail("no etcd binary (on PATH or in %s)" % bin_dir)
    return bin_dir, etcd


class ControlPlane:
    """A running etcd + kube-apiserver + kube-controller-manager."""

    def __init__(self, bin_dir, etcd):
        self.bin_dir = bin_dir
        self.etcd = etcd
        self.kubectl_bin = os.path.join(bin_dir, "kubectl")
        self.tmp = tempfile.mkdtemp(prefix="kube-it.")
        self.kubeconfig = os.path.join(self.tmp, "kubeconfig")
        self.procs = []
        self.etcd_port, self.etcd_peer_port, self.api_port = _free_ports(3)
        self.server = "https://127.0.0.1:%d" % self.api_port

    # -- lifecycle
    def start(self):
        t0 = time.time()
        self._pki()
        self._spawn("etcd", [
            self.etcd, "--name", "it", "--data-dir", os.path.join(self.tmp, "etcd"),
            "--listen-client-urls", "http://127.0.0.1:%d" % self.etcd_port,
            "--advertise-client-urls", "http://127.0.0.1:%d" % self.etcd_port,
            "--listen-peer-urls", "http://127.0.0.1:%d" % self.etcd_peer_port,
            "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % self.etcd_peer_port,
            "--initial-cluster", "it=http://127.0.0.1:%d" % self.etcd_peer_port,
        ])
        self._wait("etcd", 30, self._etcd_healthy)

        def p(name):
            return os.path.join(self.tmp, name)
        self._spawn("apiserver", [
            os.path.join(self.bin_dir, "kube-apiserver"),
            "--etcd-servers=http://127.0.0.1:%d" % self.etcd_port,
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            "--secure-port=%d" % self.api_port,
            "--tls-cert-file=" + p("apiserver.crt"), "--tls-private-key-file=" + p("apiserver.key"),
            "--client-ca-file=" + p("ca.crt"),
            "--service-account-issuer=https://kubernetes.default.svc",
            "--service-account-key-file=" + p("sa.pub"),
            "--service-account-signing-key-file=" + p("sa.key"),
            "--token-auth-file=" + p("tokens.csv"),
            "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.96.0.0/24",
            "--endpoint-reconciler-type=none",
            "--profiling=false",
        ])
        self._wait("kube-apiserver", 120, lambda: self.kubectl("get", "--raw", "/readyz", check=False).returncode == 0)
        self._spawn("kcm", [
            os.path.join(self.bin_dir, "kube-controller-manager"),
            "--kubeconfig=" + self.kubeconfig, "--leader-elect=false", "--secure-port=0",
            "--service-account-private-key-file=" + p("sa.key"), "--root-ca-file=" + p("ca.crt"),
            "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle",
        ])
        self.startup_seconds = time.time() - t0

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for proc in self.procs:
            proc.log.close()
        if os.environ.get("KUBE_IT_KEEP") == "1":
            sys.stderr.write("kept %s\n" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers
    def kubectl(self, *args, check=True, env=None, input=None):
        """Run kubectl against this control plane; returns the CompletedProcess."""
        full_env = dict(os.environ, KUBECONFIG=self.kubeconfig)
        full_env.update(env or {})
        proc = subprocess.run([self.kubectl_bin] + list(args), capture_output=True, text=True,
                              env=full_env, input=input, timeout=120, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("kubectl %s failed (rc %d):\n%s%s"
                                 % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def logs(self, name, lines=40):
        with open(os.path.join(self.tmp, "%s.log" % name)) as f:
            return "".join(f.readlines()[-lines:])

    def _spawn(self, name, cmd):
        log = open(os.path.join(self.tmp, "%s.log" % name), "w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp,
                                start_new_session=True, preexec_fn=_die_with_parent)
        proc.log = log
        proc.name = name
        self.procs.append(proc)

    def _wait(self, what, seconds, ready):
        deadline = time.time() + seconds
        while time.time() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError("%s exited (rc %s) while waiting for %s:\n%s"
                                       % (proc.name, proc.returncode, what, self.logs(proc.name)))
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError("%s not ready after %d s:\n%s" % (what, seconds, self.logs(self.procs[-1].name)))

    def _etcd_healthy(self):
        try:
            with socket.create_connection(("127.0.0.1", self.etcd_port), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
                return b'"health":"true"' in s.recv(4096)
        except OSError:
            return False

    def _pki(self):
        t = self.tmp
        ssl = ["openssl"]
        _run(ssl + ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=it-ca",
                    "-keyout", "ca.key", "-out", "ca.crt"], cwd=t)
        _run(ssl + ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
                    "-keyout", "apiserver.key", "-out", "apiserver.csr"], cwd=t)
        with open(os.path.join(t, "san.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n"
                    "extendedKeyUsage=serverAuth\n")
        _run(ssl + ["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "apiserver.crt"], cwd=t)
        _run(ssl + ["genrsa", "-out", "sa.key", "2048"], cwd=t)
        _run(ssl + ["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], cwd=t)
        token = _run(ssl + ["rand", "-hex", "16"]).stdout.strip()
        with open(os.path.join(t, "tokens.csv"), "w") as f:
            f.write("%s,admin,admin,system:masters\n" % token)
        for name in ("ca.key", "apiserver.key", "sa.key", "tokens.csv"):
            os.chmod(os.path.join(t, name), 0o600)
        with open(self.kubeconfig, "w") as f:
            f.write("""apiVersion: v1
kind: Config
clusters:
- name: it
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: it
  context: {cluster: it, user: admin}
current-context: it
""" % (self.server, os.path.join(t, "ca.crt"), token))
        os.chmod(self.kubeconfig, 0o600)


@pytest.fixture(scope="session")
def cluster():
    """The running control plane (see ControlPlane); stopped and removed at session end."""
    bin_dir, etcd = _locate_binaries()
    plane = ControlPlane(bin_dir, etcd)

    def on_term(signum, frame):  # a killed test run still stops what it started
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        plane.start()
        yield plane
    finally:
        plane.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def timings():
    """name -> seconds; printed at the end of the run."""
    return _TIMINGS


def pytest_terminal_summary(terminalreporter):
    if _TIMINGS:
        terminalreporter.section("manifest_apply timings (wall time of ansible-playbook)")
        for name, seconds in _TIMINGS.items():
            terminalreporter.write_line("%-66s %6.2f s" % (name, seconds))
