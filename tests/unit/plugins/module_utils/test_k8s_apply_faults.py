"""k8s_apply: the failure paths of a run (API errors while reading the ApplySet parent,
pruning, waiting; conflicts on the parent; unreadable manifests) and the rarer readiness and
client branches. The in-memory API server and helpers come from test_k8s_apply.py."""
import json

import pytest

from ansible_collections.investment.orchestration.plugins.module_utils import k8s_apply
from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import (
    ApiError,
    ApplyError,
    Discovery,
    Resource,
    comparable,
    load_sources,
    readiness,
    secret_values,
    without_managed_fields,
)
from ansible_collections.investment.orchestration.plugins.module_utils.k8s_applyset import ApplySet

from test_k8s_apply import CRD, FakeApi, actions, applier, cm, deployment, run  # pylint: disable=import-error

PARENT = "/api/v1/namespaces/default/secrets/p"


def aset():
    return ApplySet("p", "default", tooling="investment.orchestration/0.1.0")


# --------------------------------------------------------------------------------------------
# Small pieces


def test_api_error_long_body_is_cut():
    exc = ApiError.from_response(500, "x" * 600, "Internal Server Error")
    assert exc.message == "x" * 500 + "..."
    assert exc.body == "x" * 600  # the whole body is kept for debugging


def test_load_sources_unreadable_file_names_it(tmp_path, monkeypatch):
    f = tmp_path / "a.yml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")

    def refuse(name, *args, **kwargs):
        raise IOError(13, "Permission denied")
    monkeypatch.setattr(k8s_apply, "open", refuse, raising=False)
    with pytest.raises(ApplyError, match=r"cannot read %s: .*Permission denied" % f):
        load_sources([str(tmp_path)])


def test_resource_repr_and_crd_without_names():
    assert repr(Resource("apps", "v1", "Deployment", "deployments", True)) == \
        "Resource(apps/v1, deployments, namespaced=True)"
    disc = Discovery(FakeApi())
    disc.register_crd({"spec": {"group": "example.com", "versions": [{"name": "v1"}]}})  # no names: ignored
    assert disc.from_crd("example.com/v1", "Widget") is None


def test_discovery_of_a_group_fails_with_a_server_error():
    api = FakeApi()
    api.errors[("GET", "/apis/example.com")] = ApiError(500, "InternalError", "etcd is down")
    with pytest.raises(ApplyError, match=r"discovery of /apis/example.com failed: InternalError \(HTTP 500\): "
                                         r"etcd is down"):
        Discovery(api).preferred("example.com", "Widget")


def test_secret_values_skip_null_and_managed_fields_of_none():
    values = secret_values([{"apiVersion": "v1", "kind": "Secret", "data": {"a": None, "b": "c2VjcmV0LXZhbHVl"}}])
    assert values == {"c2VjcmV0LXZhbHVl", "secret-value"}
    assert without_managed_fields(None) is None
    assert comparable(None, "m") is None


def _sts(spec, status):
    status = dict(status, observedGeneration=1)
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s", "generation": 1},
            "spec": spec, "status": status}


@pytest.mark.parametrize("obj, expected", [
    (_sts({"replicas": 2, "updateStrategy": {"type": "OnDelete"}},
          {"readyReplicas": 2, "updateRevision": "b", "currentRevision": "a"}),
     ("ready", "2 of 2 replicas ready")),
    (_sts({"replicas": 3, "updateStrategy": {"rollingUpdate": {"partition": 1}}},
          {"readyReplicas": 3, "updatedReplicas": 1}),
     ("pending", "1 of 2 replicas updated (partition 1)")),
    ({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d", "generation": 1},
      "spec": {}, "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 1,
                             "numberAvailable": 3}},
     ("pending", "1 of 3 scheduled pods updated")),
])
def test_readiness_rollouts(obj, expected):
    assert readiness(obj) == expected


# --------------------------------------------------------------------------------------------
# KubeClient.request through a stand-in DynamicClient


class _Headers(dict):
    pass


class _Resp(object):
    def __init__(self, data, headers=None):
        self.data = data
        self.headers = headers


class _HttpError(Exception):
    def __init__(self, status, body, reason, headers=None):
        super(_HttpError, self).__init__(reason)
        self.status, self.body, self.reason, self.headers = status, body, reason, headers


class _Dynamic(object):
    def __init__(self, outcome):
        self.outcome = outcome
        self.calls = []

    def request(self, method, path, body=None, **params):
        self.calls.append((method, path, body, params))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def _client(outcome):
    client = k8s_apply.KubeClient.__new__(k8s_apply.KubeClient)
    client.dynamic = _Dynamic(outcome)
    client.timeout = (1, 1)
    client.warnings = []
    return client


def test_kube_client_decodes_bytes_and_passes_the_content_type():
    client = _client(_Resp(b'{"kind": "ConfigMap"}', _Headers({"Warning": '299 - "deprecated"'})))
    assert client.request("PATCH", "/x", query=[("a", "b")], body="{}", content_type="application/json") == \
        {"kind": "ConfigMap"}
    method, path, body, params = client.dynamic.calls[0]
    assert (method, path, body) == ("patch", "/x", "{}")
    assert params["content_type"] == "application/json" and params["query_params"] == [("a", "b")]
    assert client.warnings == ["deprecated"]
    assert _client(_Resp(b"")).request("DELETE", "/x") == {}


def test_kube_client_http_error_becomes_api_error_with_its_status():
    body = json.dumps({"kind": "Status", "reason": "Forbidden", "message": "configmaps is forbidden"}).encode()
    client = _client(_HttpError(403, body, "Forbidden", _Headers({"Warning": "plain warning"})))
    with pytest.raises(ApiError) as exc:
        client.request("GET", "/api/v1/configmaps")
    assert exc.value.describe() == "Forbidden (HTTP 403): configmaps is forbidden"
    assert client.warnings == ["plain warning"]
    client._collect_warnings(_Headers({"Warning": ""}))  # an empty header adds nothing
    assert client.warnings == ["plain warning"]


def test_connect_in_cluster_failure_names_the_service_account(tmp_path, monkeypatch):
    pytest.importorskip("kubernetes")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    with pytest.raises(ApplyError, match="cannot load the API server configuration from the in-cluster service account"):
        k8s_apply.connect()


# --------------------------------------------------------------------------------------------
# ApplySet parent and prune failures


def test_parent_that_cannot_be_read_stops_before_any_write():
    api = FakeApi()
    api.errors[("GET", PARENT)] = ApiError(403, "Forbidden", "secrets is forbidden")
    result = run(api, [cm("a")], applyset=aset())
    assert result["errors"] == ["Secret default/p: read the ApplySet parent failed: Forbidden (HTTP 403): "
                                "secrets is forbidden"]
    assert api.writes() == [] and result["objects"] == []
    assert result["applyset"]["action"] == "not updated"


def test_parent_that_cannot_be_written_stops_before_the_members():
    api = FakeApi()
    api.errors[("PATCH", PARENT)] = ApiError(403, "Forbidden", "no")
    result = run(api, [cm("a")], applyset=aset())
    assert result["errors"] == ["Secret default/p: update the ApplySet parent failed: Forbidden (HTTP 403): no"]
    assert [c[1] for c in api.writes()] == [PARENT]


def test_parent_conflict_is_retried_with_force():
    api = FakeApi()
    calls = []
    original = api.request

    def request(method, path, query=None, body=None, content_type=None):
        if method == "PATCH" and path == PARENT and not calls:
            calls.append(dict(query))
            raise ApiError(409, "Conflict", "Apply failed with 1 conflict")
        if method == "PATCH" and path == PARENT:
            calls.append(dict(query))
        return original(method, path, query, body, content_type)
    api.request = request
    result = run(api, [cm("a")], applyset=aset())
    assert result["errors"] == []
    assert calls[0].get("force") is None and calls[1]["force"] == "true"
    assert result["applyset"]["action"] == "created"


def test_parent_update_after_prune_fails():
    api = FakeApi()
    run(api, [cm("a"), cm("b")], applyset=aset())
    state = {"patches": 0}
    original = api.request

    def request(method, path, query=None, body=None, content_type=None):
        if method == "PATCH" and path == PARENT:
            state["patches"] += 1
            if state["patches"] == 2:  # the second parent update: after pruning
                raise ApiError(500, "InternalError", "boom")
        return original(method, path, query, body, content_type)
    api.request = request
    result = run(api, [cm("a")], applyset=aset())
    assert result["errors"] == ["Secret default/p: update the ApplySet parent failed: InternalError (HTTP 500): boom"]
    assert ("ConfigMap", "b", "pruned") in actions(result)


def test_prune_failures_are_named_and_a_vanished_object_is_skipped():
    api = FakeApi()
    run(api, [cm("a"), cm("b"), cm("c")], applyset=aset())
    api.errors[("DELETE", "/api/v1/namespaces/default/configmaps/b")] = ApiError(404, "NotFound", "gone")
    api.errors[("DELETE", "/api/v1/namespaces/default/configmaps/c")] = ApiError(403, "Forbidden", "no delete")
    result = run(api, [cm("a")], applyset=aset())
    assert result["errors"] == ["ConfigMap default/c: prune (delete) failed: Forbidden (HTTP 403): no delete"]
    assert ("ConfigMap", "c", "failed") in actions(result)
    assert not [e for e in result["objects"] if e["name"] == "b"]  # already gone: neither pruned nor failed
    assert result["applyset"]["action"] == "not updated"


def test_prune_listing_fails_and_unserved_kinds_are_warned():
    api = FakeApi()
    run(api, [cm("a"), deployment("web")], applyset=aset())
    parent = api.store[PARENT]
    parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"] += ",Gadget.gone.example.com"
    api.errors[("GET", "/apis/apps/v1/namespaces/default/deployments")] = ApiError(500, "InternalError", "list")
    result = run(api, [cm("a")], applyset=aset())
    assert any("lists Gadget.gone.example.com, which the API server does not serve" in w for w in result["warnings"])
    assert result["errors"] == ["Deployment.apps in default: list for pruning failed: InternalError (HTTP 500): list"]


# --------------------------------------------------------------------------------------------
# Waiting


def test_crd_names_not_accepted_or_unreadable():
    api = FakeApi()
    a = applier(api)
    items = a.prepare([(CRD, "crd")])
    api.store["/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"] = dict(
        CRD, metadata={"name": "widgets.example.com", "uid": "u"})

    def get_with_conflict(path, query, body):
        return dict(CRD, status={"conditions": [{"type": "NamesAccepted", "status": "False", "reason": "KindConflict",
                                                 "message": "Widget is already in use"}]})
    api._get, original = get_with_conflict, api._get
    a.wait_established(items)
    assert a.errors == ["CustomResourceDefinition widgets.example.com: wait for Established failed: "
                        "NamesAccepted=False KindConflict: Widget is already in use"]
    api._get = original
    b = applier(api)
    api.errors[("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")] = \
        ApiError(403, "Forbidden", "no")
    b.wait_established(b.prepare([(CRD, "crd")]))
    assert b.errors == ["CustomResourceDefinition widgets.example.com: wait for Established failed: "
                        "Forbidden (HTTP 403): no"]


def test_wait_reports_unreadable_and_deleted_workloads():
    api = FakeApi()
    a = applier(api, wait=True, wait_timeout=4, wait_sleep=2)
    items = a.prepare([(deployment("web"), "o"), (deployment("api"), "o")])
    for item in items:
        a.apply_item(item)
    api.errors[("GET", "/apis/apps/v1/namespaces/default/deployments/web")] = ApiError(403, "Forbidden", "no")
    del api.store["/apis/apps/v1/namespaces/default/deployments/api"]
    not_ready = a.wait_ready(items)
    assert [(e["name"], e["state"], e["reason"]) for e in not_ready] == [
        ("api", "pending", "it does not exist (any more)"),
        ("web", "pending", "cannot read it: Forbidden (HTTP 403): no")]
    assert a.test_clock.now >= 4


def test_kube_client_answer_that_is_not_json():
    client = _client(_Resp(b"<html>proxy login</html>"))
    client.api_client = type("A", (), {"configuration": type("C", (), {"host": "https://10.0.0.1:6443"})()})()
    with pytest.raises(ApiError) as exc:
        client.request("GET", "/api/v1")
    assert exc.value.describe() == ("InvalidResponse (HTTP 200): GET /api/v1 at https://10.0.0.1:6443: "
                                    "the answer is not JSON: <html>proxy login</html>")
