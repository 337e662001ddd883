"""k8s_apply: the API client without the kubernetes package (DirectClient) and the choice of
client in connect(): which kubeconfigs direct_settings() takes and how it reads them, TLS with a
CA and a client certificate against a local HTTPS server, keep-alive, retries and errors as
urllib3 (the kubernetes client's transport) has them."""
import base64
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading

import pytest
import yaml

from ansible_collections.investment.orchestration.plugins.module_utils import k8s_apply
from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import (
    ApiError,
    ApplyError,
    DirectClient,
    connect,
    direct_client,
    direct_settings,
)


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch):
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


def kubeconfig(path, cluster=None, user=None, context_user="u", extra=None):
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k",
                      "cluster": cluster if cluster is not None else {"server": "https://127.0.0.1:6443/"}}],
        "users": [{"name": "u", "user": user if user is not None else {"token": "abc"}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": context_user}}],
    }
    config.update(extra or {})
    path.write_text(yaml.safe_dump(config))
    return str(path)


def b64(data):
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------------------------
# direct_settings: what it takes


def test_token_and_ca_file_relative_to_the_kubeconfig(tmp_path):
    (tmp_path / "sub").mkdir()
    path = kubeconfig(tmp_path / "sub" / "config",
                      {"server": "https://10.0.0.1:6443/", "certificate-authority": "../ca.crt"})
    assert direct_settings(path) == {
        "server": "https://10.0.0.1:6443", "token": "abc", "insecure": False,
        "ca_file": str(tmp_path / "ca.crt"), "ca_data": None, "cert_file": None, "cert_data": None,
        "key_file": None, "key_data": None}


def test_data_before_files_and_decoded(tmp_path):
    path = kubeconfig(tmp_path / "config",
                      {"server": "https://h", "certificate-authority-data": b64(b"CA"), "certificate-authority": "/x",
                       "extensions": [{"name": "x", "extension": {}}]},
                      {"client-certificate-data": b64(b"CERT"), "client-key": "key.pem"})
    settings = direct_settings(path)
    assert (settings["ca_data"], settings["ca_file"]) == (b"CA", None)
    assert (settings["cert_data"], settings["key_file"]) == (b"CERT", str(tmp_path / "key.pem"))
    assert settings["token"] is None


def test_kubeconfig_from_the_environment_and_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".kube").mkdir()
    kubeconfig(tmp_path / ".kube" / "config")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    assert direct_settings()["token"] == "abc"
    monkeypatch.setenv("KUBECONFIG", kubeconfig(tmp_path / "other", user={"token": "env"}))
    assert direct_settings()["token"] == "env"


def test_named_context_and_no_user(tmp_path):
    path = kubeconfig(tmp_path / "config", extra={"contexts": [
        {"name": "c", "context": {"cluster": "k", "user": "u"}},
        {"name": "anonymous", "context": {"cluster": "k"}}]})
    assert direct_settings(path, "anonymous")["token"] is None
    assert direct_settings(path)["token"] == "abc"
    assert direct_settings(path, "nope") is None


@pytest.mark.parametrize("cluster, user", [
    ({"server": "https://h", "tls-server-name": "x"}, None),
    ({"server": "https://h", "proxy-url": "http://p:3128"}, None),
    ({"server": "http://h"}, None),
    ({"server": "https://h", "insecure-skip-tls-verify": "true"}, None),
    ({"server": "https://h", "certificate-authority-data": "QQ"}, None),  # bad padding
    ({"server": "https://h", "certificate-authority": ""}, None),
    ({"server": 6443}, None),
    (None, {"exec": {"command": "aws"}}),
    (None, {"auth-provider": {"name": "oidc"}}),
    (None, {"username": "a", "password": "b"}),
    (None, {"tokenFile": "/var/run/token"}),
    (None, {"token": ""}),
    (None, {"token": "abc\n"}),
    (None, {"token": "a b"}),
    (None, {"client-certificate-data": b64(b"CERT")}),
    (None, {"client-key": "key.pem"}),
    (None, {"as": "admin", "token": "abc"}),
])
def test_left_to_the_kubernetes_client(tmp_path, cluster, user):
    assert direct_settings(kubeconfig(tmp_path / "config", cluster, user)) is None


def test_odd_files_are_left_to_the_kubernetes_client(tmp_path, monkeypatch):
    assert direct_settings(str(tmp_path / "absent")) is None
    (tmp_path / "bad").write_text("a: [")
    assert direct_settings(str(tmp_path / "bad")) is None
    (tmp_path / "list").write_text("- 1\n")
    assert direct_settings(str(tmp_path / "list")) is None
    good = kubeconfig(tmp_path / "config")
    assert direct_settings(good + os.pathsep + good) is None  # several files: merged by the kubernetes client
    monkeypatch.setenv("KUBECONFIG", "")
    assert direct_settings() is None
    twice = kubeconfig(tmp_path / "twice", extra={"clusters": [{"name": "k", "cluster": {"server": "https://a"}},
                                                               {"name": "k", "cluster": {"server": "https://b"}}]})
    assert direct_settings(twice) is None
    assert direct_settings(kubeconfig(tmp_path / "nouser", context_user="ghost")) is None
    assert direct_settings(kubeconfig(tmp_path / "ctx", extra={"contexts": [{"name": "c", "context": "k"}]})) is None


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_a_proxy_in_the_environment_is_left_to_the_kubernetes_client(tmp_path, monkeypatch, name):
    path = kubeconfig(tmp_path / "config")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")  # not for https
    assert direct_settings(path) is not None
    monkeypatch.setenv(name, "http://proxy:3128")
    assert direct_settings(path) is None


# --------------------------------------------------------------------------------------------
# A local HTTPS server with a throw-away PKI


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the test certificates")
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, subject in (("server", "/CN=server"), ("client", "/CN=tester/O=system:masters")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", name + ".key",
                 "-out", name + ".csr", cwd=d)
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "1", "-extfile", name + ".ext", "-out", name + ".crt", cwd=d)
    return d


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        peer = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        cn = [v for rdn in (peer or {}).get("subject", ()) for k, v in rdn if k == "commonName"]
        self.server.seen.append({"method": self.command, "path": self.path, "port": self.client_address[1],
                                 "headers": dict(self.headers), "body": body.decode(), "cn": cn[0] if cn else None})
        path = self.path.split("?")[0][len("/base"):]
        if path == "/drop":
            self.close_connection = True
            return
        status, payload, headers = 200, {"kind": "Thing", "path": self.path}, []
        if path == "/warn":
            headers = [("Warning", '299 - "deprecated \\"x\\""'), ("Warning", "299 - plain")]
        elif path == "/missing":
            status, payload = 404, {"kind": "Status", "reason": "NotFound", "message": "thing not found"}
        elif path == "/text":
            status, payload = 502, None
        elif path == "/empty":
            payload = None
        raw = json.dumps(payload).encode() if payload is not None else (b"bad gateway" if status == 502 else b"")
        if path == "/html":
            raw = ("<html>" + "x" * 300 + "</html>").encode()
        if path.startswith("/busy/"):  # /busy/<times>/<Retry-After>: throttled <times> times
            times, after = path.split("/")[2:4]
            if len([s for s in self.server.seen if s["path"] == self.path]) <= int(times):
                status, raw = 429, json.dumps({"kind": "Status", "reason": "TooManyRequests",
                                               "message": "too many requests"}).encode()
                headers = [("Retry-After", after)] if after != "-" else []
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if path == "/close":
            self.send_header("Connection", "close")
        if path == "/hangup":  # keep-alive announced, then the server closes the idle connection
            self.close_connection = True
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_PATCH = do_DELETE = _answer


@pytest.fixture(scope="module")
def server(pki):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pki / "server.crt"), str(pki / "server.key"))
    ctx.load_verify_locations(str(pki / "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def seen(server):
    del server.seen[:]
    return server.seen


def url(server, host="127.0.0.1"):
    return "https://%s:%d" % (host, server.server_address[1])


def client_for(tmp_path, server, **kw):
    cluster = dict({"server": url(server) + "/base/"}, **kw.pop("cluster", {}))
    path = kubeconfig(tmp_path / "config", cluster, kw.pop("user", None))
    return connect(path)


def test_ca_file_and_token(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    assert isinstance(client, DirectClient)
    assert client.request("GET", "/api/v1/things", query=[("labelSelector", "a/b=c d")]) == {
        "kind": "Thing", "path": "/base/api/v1/things?labelSelector=a%2Fb%3Dc%20d"}
    assert seen[0]["headers"]["Authorization"] == "Bearer abc"
    assert seen[0]["headers"]["Accept"] == "application/json"
    assert "Content-Type" not in seen[0]["headers"] and seen[0]["cn"] is None


def test_ca_and_client_certificate_as_data(tmp_path, pki, server, seen, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    client = client_for(tmp_path, server, cluster={"certificate-authority-data": b64((pki / "ca.crt").read_bytes())},
                        user={"client-certificate-data": b64((pki / "client.crt").read_bytes()),
                              "client-key-data": b64((pki / "client.key").read_bytes())})
    assert isinstance(client, DirectClient)
    client.request("PATCH", "/x", body='{"a": 1}', content_type="application/apply-patch+yaml")
    client.request("DELETE", "/y", body={"kind": "DeleteOptions"})
    assert [(s["method"], s["cn"], s["body"], s["headers"]["Content-Type"]) for s in seen] == [
        ("PATCH", "tester", '{"a": 1}', "application/apply-patch+yaml"),
        ("DELETE", "tester", '{"kind": "DeleteOptions"}', "application/json")]
    assert "Authorization" not in seen[0]["headers"]
    assert not [p for p in os.listdir(str(tmp_path)) if p.startswith("manifest-apply.")]  # key copies removed
    assert seen[0]["port"] == seen[1]["port"]  # one connection, kept alive


def test_client_certificate_files_and_insecure(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"insecure-skip-tls-verify": True},
                        user={"client-certificate": str(pki / "client.crt"), "client-key": str(pki / "client.key")})
    client.request("GET", "/x")
    assert seen[0]["cn"] == "tester"


def test_the_server_certificate_is_verified(tmp_path, pki, server):
    other = tmp_path / "other-ca"
    other.mkdir()
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=other)
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(other / "ca.crt")})
    with pytest.raises(ApiError) as exc:
        client.request("GET", "/x")
    assert exc.value.status == 0 and "certificate verify failed" in exc.value.message
    assert exc.value.message.startswith("cannot reach the API server at %s/base: " % url(server))


def test_the_server_name_is_verified(tmp_path, pki):
    """The certificate is for 127.0.0.1 and localhost, not for 127.0.0.2."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pki / "server.crt"), str(pki / "server.key"))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        settings = direct_settings(kubeconfig(tmp_path / "config", {"server": url(httpd, "127.0.0.2"),
                                                                    "certificate-authority": str(pki / "ca.crt")}))
        with pytest.raises(ApiError, match="certificate verify failed: IP address mismatch"):
            direct_client(settings, timeout=(2, 2)).request("GET", "/x")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_default_trust_store_when_no_ca(tmp_path, server):
    client = client_for(tmp_path, server)
    with pytest.raises(ApiError, match="certificate verify failed"):
        client.request("GET", "/x")


def test_responses_warnings_and_errors(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    client.request("GET", "/warn")
    client.request("GET", "/warn")
    assert client.warnings == ['deprecated "x"', "plain"]
    assert client.request("GET", "/empty") == {}
    with pytest.raises(ApiError) as exc:
        client.request("GET", "/missing")
    assert exc.value.is_not_found and exc.value.describe() == "NotFound (HTTP 404): thing not found"
    with pytest.raises(ApiError) as exc:
        client.request("GET", "/text")
    assert exc.value.describe() == "Bad Gateway (HTTP 502): bad gateway"
    assert len(set(s["port"] for s in seen)) == 1


def test_connections_closed_by_the_server_are_not_reused(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    client.request("GET", "/close")  # Connection: close
    client.request("GET", "/hangup")  # closed by the server while idle
    client.request("GET", "/x")
    ports = [s["port"] for s in seen]
    assert len(set(ports)) == 3
    client.close()
    assert client._idle == []


def test_a_failed_request_is_resent_only_when_idempotent(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    with pytest.raises(ApiError) as exc:
        client.request("PATCH", "/drop", body="{}", content_type="application/merge-patch+json")
    assert exc.value.status == 0 and exc.value.reason == "RemoteDisconnected"
    assert len(seen) == 1
    with pytest.raises(ApiError):
        client.request("GET", "/drop")
    assert len(seen) == 1 + 4  # urllib3's Retry(3): the first try and three more
    # a server-side apply gives the same object however often it is sent: resent as well
    with pytest.raises(ApiError):
        client.request("PATCH", "/drop", body="{}", content_type="application/apply-patch+yaml")
    assert len(seen) == 1 + 4 + 4


def test_throttled_requests_are_sent_again_after_the_wait(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    waited = []
    client.sleep = waited.append
    assert client.request("PATCH", "/busy/2/3", body="{}", content_type="application/apply-patch+yaml")["kind"] == "Thing"
    assert len(seen) == 3 and waited == [3, 3]
    client.request("GET", "/busy/1/3600")
    assert waited[2:] == [k8s_apply.THROTTLE_MAX_WAIT]  # capped
    with pytest.raises(ApiError) as exc:  # no Retry-After: no retry
        client.request("GET", "/busy/1/-")
    assert exc.value.describe() == "TooManyRequests (HTTP 429): too many requests" and len(waited) == 3
    del waited[:]
    with pytest.raises(ApiError):  # throttled every time: given up after THROTTLE_RETRIES waits
        client.request("GET", "/busy/99/0")
    assert waited == [0] * k8s_apply.THROTTLE_RETRIES


def test_an_answer_that_is_not_json(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    with pytest.raises(ApiError) as exc:
        client.request("GET", "/html")
    assert exc.value.describe() == ("InvalidResponse (HTTP 200): GET /html at %s/base: the answer is not JSON: "
                                    "<html>%s...") % (url(server), "x" * 194)


def test_idle_connections_are_checked_with_select_without_poll(tmp_path, pki, server, seen, monkeypatch):
    monkeypatch.delattr(k8s_apply.select, "poll")
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    client.request("GET", "/hangup")  # closed by the server while idle: not reused
    client.request("GET", "/x")
    client.request("GET", "/y")  # kept alive: reused
    assert len(set(s["port"] for s in seen)) == 2 and seen[1]["port"] == seen[2]["port"]


def test_unreachable_server_is_tried_four_times(tmp_path, monkeypatch):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    client = direct_client(direct_settings(kubeconfig(tmp_path / "config", {
        "server": "https://127.0.0.1:%d" % port, "insecure-skip-tls-verify": True})), timeout=(1, 1))
    tries = []
    real = client._new_connection

    def counting():
        tries.append(1)
        return real()
    monkeypatch.setattr(client, "_new_connection", counting)
    with pytest.raises(ApiError) as exc:
        client.request("GET", "/api/v1")
    assert exc.value.status == 0 and len(tries) == 4
    assert exc.value.message.startswith("cannot reach the API server at https://127.0.0.1:%d: " % port)


def test_the_pool_keeps_at_most_pool_size_connections(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    client.pool_size = 1
    conns = [client._new_connection(), client._new_connection()]
    for conn in conns:
        conn.request("GET", "/base/x")
        conn.getresponse().read()
    for conn in conns:
        client._give_back(conn)
    assert client._idle == conns[:1] and conns[1].sock is None
    client.request("GET", "/x")
    assert client._idle == conns[:1]


def test_requests_from_several_threads(tmp_path, pki, server, seen):
    client = client_for(tmp_path, server, cluster={"certificate-authority": str(pki / "ca.crt")})
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: client.request("GET", "/n/%d" % i)["path"], range(40)))
    assert results == ["/base/n/%d" % i for i in range(40)]
    assert len(set(s["port"] for s in seen)) <= 4 and len(client._idle) <= 4


# --------------------------------------------------------------------------------------------
# connect(): which client


def test_connect_falls_back_when_ssl_refuses_the_material(tmp_path):
    pytest.importorskip("kubernetes")
    path = kubeconfig(tmp_path / "config", {"server": "https://127.0.0.1:1", "certificate-authority-data": b64(b"no")})
    assert direct_settings(path) is not None
    client = connect(path)
    assert isinstance(client, k8s_apply.KubeClient) and not isinstance(client, DirectClient)
    assert client.api_client.configuration.host == "https://127.0.0.1:1"


def test_connect_gives_other_kubeconfigs_to_the_kubernetes_client(tmp_path):
    pytest.importorskip("kubernetes")
    path = kubeconfig(tmp_path / "config", {"server": "https://127.0.0.1:1", "tls-server-name": "kubernetes"})
    client = connect(path)
    assert isinstance(client, k8s_apply.KubeClient)
    assert client.api_client.configuration.tls_server_name == "kubernetes"
    with pytest.raises(ApplyError, match="cannot load the API server configuration from kubeconfig %s context nope"
                       % path):
        connect(path, "nope")


def test_connect_without_the_kubernetes_client(tmp_path, monkeypatch):
    path = kubeconfig(tmp_path / "config", user={"username": "a", "password": "b"})
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    with pytest.raises(ApplyError, match="cannot import the kubernetes Python client"):
        connect(path)
    # a kubeconfig DirectClient reads needs no kubernetes package
    direct = kubeconfig(tmp_path / "direct", {"server": "https://h", "insecure-skip-tls-verify": True})
    assert isinstance(connect(direct), DirectClient)


def test_warning_texts_from_a_plain_mapping():
    assert k8s_apply._warning_texts({"Warning": '299 - "x"'}) == ["x"]
    assert k8s_apply._warning_texts(None) == []
