"""A local moto server (127.0.0.1, dummy credentials) for the plan 3 EKS tests.

Every AWS call of the tests goes to it: AWS_ENDPOINT_URL (boto3, awscli) and AWS_URL (the
amazon.aws/community.aws modules) point at it, and HTTPS_PROXY/HTTP_PROXY point at a closed local
port, so a call that ignored the endpoint would fail instead of leaving the machine.
"""
import os
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
                                stdout=out, stderr=subprocess.STDOUT)
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
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def aws(moto):
    import boto3

    def client(service):
        return boto3.client(service, endpoint_url=moto["endpoint"], region_name="ap-northeast-2",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    return client
