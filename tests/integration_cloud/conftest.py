"""A local moto server (127.0.0.1, dummy credentials) for the plan 3 EKS tests.

Every AWS call of the tests goes to it: AWS_ENDPOINT_URL (boto3, awscli) and AWS_URL (the
amazon.aws/community.aws modules) point at it, and HTTPS_PROXY/HTTP_PROXY point at a closed local
port, so a call that ignored the endpoint would fail instead of leaving the machine.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
if os.path.join(ROOT, "collections") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import sandbox_run  # noqa: E402  (tests/lib is not a package: kill_tree)

ALLOWED = ["198.51.100.7/32", "203.0.113.0/24"]
PLAYBOOK = """
- name: managed_cluster against moto
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: investment.orchestration.managed_cluster
"""


def _die_with_parent():
    """In the child: get SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    endpoint = "http://127.0.0.1:%d" % port
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "moto_server.py"), str(port)],
                                stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    try:
        for unused in range(120):
            try:
                urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("moto server exited: %s" % log.read_text())
                time.sleep(0.5)
        else:
            raise RuntimeError("moto server did not answer on %s" % endpoint)
        env = dict(os.environ)
        for key in list(env):
            if key.startswith("AWS_"):
                del env[key]
        env.update({
            "AWS_ENDPOINT_URL": endpoint, "AWS_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-northeast-2", "AWS_REGION": "ap-northeast-2",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        })
        yield {"endpoint": endpoint, "env": env, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def aws(moto):
    import boto3

    def client(service):
        return boto3.client(service, endpoint_url=moto["endpoint"], region_name="ap-northeast-2",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    return client


@pytest.fixture(scope="module")
def network(aws):
    """A VPC of the module's own: two subnets and a security group for the cluster."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.%d.0/24" % i,
                                 AvailabilityZone="ap-northeast-2" + az)["Subnet"]["SubnetId"]
               for i, az in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="plan3-cluster", Description="plan 3")["GroupId"]
    return {"subnets": subnets, "security_groups": [sg]}


@pytest.fixture(scope="module")
def run(moto, network, tmp_path_factory):
    """run(**vars): the managed_cluster role (EKS) against moto, to its end: rc 0 asserted,
    returns {"changed", "stdout"}. run.interrupted(banner, **vars): the same run killed, as a dead
    controller (sandbox_run.kill_tree), when its output reaches the task banner; returns
    (rc, whether the banner came)."""
    work = tmp_path_factory.mktemp("eks")
    playbook = work / "site.yml"
    playbook.write_text(PLAYBOOK)
    kubedir = work / "kube"
    times = []

    def command(extra):
        variables = {
            "managed_cluster_provider": "eks", "managed_cluster_region": "ap-northeast-2",
            "managed_cluster_api_allowed_cidrs": ALLOWED,
            "managed_cluster_eks_subnets": network["subnets"],
            "managed_cluster_eks_security_groups": network["security_groups"],
            "managed_cluster_kubeconfig_dir": str(kubedir),
        }
        variables.update(extra)
        (work / "vars.json").write_text(json.dumps(variables))
        return ["ansible-playbook", str(playbook), "-e", "@" + str(work / "vars.json")]

    def run(**extra):
        start = time.monotonic()
        proc = subprocess.run(command(extra), cwd=ROOT, env=moto["env"], capture_output=True, text=True,
                              timeout=600, check=False)
        times.append(round(time.monotonic() - start, 1))
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        recap = re.search(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)", proc.stdout)
        return {"changed": int(recap.group(2)), "stdout": proc.stdout}

    def interrupted(banner, **extra):
        environ = dict(moto["env"], ANSIBLE_NOCOLOR="1")
        environ.pop("ANSIBLE_FORCE_COLOR", None)
        return sandbox_run.streamed(command(extra), environ, banner, sandbox_run.kill_tree, timeout=600)

    run.kubedir = kubedir
    run.times = times
    run.interrupted = interrupted
    yield run
    print("\nansible-playbook run times (s):", times)
