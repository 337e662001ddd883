import base64
import copy
import json
import os
import threading

import pytest

from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import (
    REDACTED,
    REDACTED_NEW,
    REDACTED_OLD,
    ApiError,
    Applier,
    ApplyError,
    Discovery,
    Item,
    Resource,
    check_definition,
    comparable,
    decide_action,
    install_order,
    load_sources,
    load_text,
    prune_key,
    readiness,
    redact,
    redact_pair,
    secret_values,
)
from ansible_collections.investment.orchestration.plugins.module_utils.k8s_applyset import PART_OF_LABEL, ApplySet

# --------------------------------------------------------------------------------------------
# A small in-memory API server: discovery, GET / list by label, server-side apply (whole-object,
# no field ownership), DELETE. Real semantics are tested against kube-apiserver in
# tests/integration_k8s; this one checks the run's flow and what it sends.

DISCOVERY = {
    "/api/v1": [("namespaces", "Namespace", False), ("namespaces/status", "Namespace", False),
                ("configmaps", "ConfigMap", True), ("secrets", "Secret", True), ("services", "Service", True)],
    "/apis/apps/v1": [("deployments", "Deployment", True), ("deployments/scale", "Scale", True),
                      ("statefulsets", "StatefulSet", True), ("daemonsets", "DaemonSet", True)],
    "/apis/batch/v1": [("jobs", "Job", True)],
    "/apis/apiextensions.k8s.io/v1": [("customresourcedefinitions", "CustomResourceDefinition", False)],
}
GROUPS = {"apps": "v1", "batch": "v1", "apiextensions.k8s.io": "v1"}


class FakeApi(object):
    def __init__(self, namespaces=("default",)):
        self.store = {}
        self.calls = []
        self.errors = {}
        self.rv = 100
        self.uid = 0
        self.crds = {}  # "/apis/<g>/<v>" -> [(plural, kind, namespaced)]
        self.established_after = 0  # GETs of a CRD before it reports Established
        self.crd_gets = {}
        self.lock = threading.RLock()
        for ns in namespaces:
            self._store("/api/v1/namespaces/%s" % ns, {"apiVersion": "v1", "kind": "Namespace",
                                                       "metadata": {"name": ns}})

    def _store(self, path, obj):
        self.rv += 1
        self.uid += 1
        obj = copy.deepcopy(obj)
        obj["metadata"].setdefault("uid", "uid-%d" % self.uid)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.store[path] = obj
        return obj

    def _discovery(self):
        docs = dict(DISCOVERY)
        docs.update(self.crds)
        return docs

    def request(self, method, path, query=None, body=None, content_type=None):
        query = dict(query or [])
        with self.lock:  # the Applier sends a kind's applies from several threads
            self.calls.append((method, path, query, body))
            if (method, path) in self.errors:
                raise self.errors[(method, path)]
            handler = getattr(self, "_" + method.lower())
            return handler(path, query, body)

    def _get(self, path, query, body):
        docs = self._discovery()
        if path in docs:
            return {"resources": [{"name": p, "kind": k, "namespaced": n} for p, k, n in docs[path]]}
        if path.startswith("/apis/") and path.count("/") == 2:
            group = path.split("/")[2]
            version = GROUPS.get(group) or next((p.split("/")[3] for p in self.crds if p.split("/")[2] == group), None)
            if not version:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return {"preferredVersion": {"version": version}, "versions": [{"version": version}]}
        if path in self.store:
            obj = copy.deepcopy(self.store[path])
            if obj["kind"] == "CustomResourceDefinition":
                self.crd_gets[path] = self.crd_gets.get(path, 0) + 1
                established = "True" if self.crd_gets[path] > self.established_after else "False"
                obj["status"] = {"conditions": [{"type": "Established", "status": established}]}
            return obj
        plural = path.rsplit("/", 1)[1]
        if any(plural == entry[0] for res in docs.values() for entry in res):
            items = [copy.deepcopy(o) for p, o in sorted(self.store.items())
                     if p.startswith(path + "/") and "/" not in p[len(path) + 1:]]
            if "labelSelector" in query:
                key, value = query["labelSelector"].split("=", 1)
                items = [o for o in items if (o["metadata"].get("labels") or {}).get(key) == value]
            return {"items": items}
        raise ApiError(404, "NotFound", "%s not found" % path, details={"name": plural})

    def _patch(self, path, query, body):
        assert json.loads(body)  # the apply body is JSON text
        obj = json.loads(body)
        parts = path.split("/")
        if "namespaces" in parts[:-2] and "/api/v1/namespaces/%s" % parts[parts.index("namespaces") + 1] not in self.store:
            ns = parts[parts.index("namespaces") + 1]
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, details={"name": ns, "kind": "namespaces"})
        base = "/".join(parts[:4]) if parts[1] == "apis" else "/api/v1"
        if base not in self._discovery():
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if obj.get("kind") == "Secret" and "stringData" in obj:
            data = obj.setdefault("data", {})
            for k, v in obj.pop("stringData").items():
                data[k] = base64.b64encode(v.encode()).decode()
        existing = self.store.get(path)
        obj["metadata"]["managedFields"] = [{"manager": query["fieldManager"], "operation": "Apply",
                                             "time": "t%d" % len(self.calls)}]
        if existing:
            obj["metadata"]["uid"] = existing["metadata"]["uid"]
            if comparable(existing, query["fieldManager"]) == comparable(
                    dict(obj, metadata=dict(obj["metadata"], resourceVersion="x")), query["fieldManager"]):
                return copy.deepcopy(existing)
        if query.get("dryRun") == "All":
            obj["metadata"].setdefault("uid", "dry-run-uid")
            if existing:
                obj["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
            return obj
        stored = self._store(path, obj)
        if obj["kind"] == "CustomResourceDefinition":
            spec = obj["spec"]
            for v in spec["versions"]:
                self.crds["/apis/%s/%s" % (spec["group"], v["name"])] = [
                    (spec["names"]["plural"], spec["names"]["kind"], spec["scope"] == "Namespaced")]
        return copy.deepcopy(stored)

    def _delete(self, path, query, body):
        if path not in self.store:
            raise ApiError(404, "NotFound", "not found")
        if (body or {}).get("dryRun") != ["All"]:
            del self.store[path]
        return {"kind": "Status", "status": "Success"}

    def writes(self):
        return [c for c in self.calls if c[0] in ("PATCH", "DELETE")]


def cm(name, namespace=None, **data):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"k": "v"}}


def deployment(name, replicas=1):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": "nginx"}]}}}}


def secret(name, **string_data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": string_data}


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"kind": "Widget", "plural": "widgets"},
             "versions": [{"name": "v1", "served": True, "storage": True}]},
}
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}}


class Clock(object):
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def applier(api, **kw):
    clock = Clock()
    kw.setdefault("default_namespace", "default")
    a = Applier(api, sleep=clock.sleep, clock=clock, **kw)
    a.test_clock = clock
    return a


def run(api, objects, **kw):
    a = applier(api, **kw)
    items = a.prepare([(o, "definitions[%d]" % i) for i, o in enumerate(objects)])
    return a.run(items)


def actions(result):
    return [(e["kind"], e["name"], e["action"]) for e in result["objects"]]


# --------------------------------------------------------------------------------------------
# Loading


def test_load_text_multi_document_and_lists():
    text = """
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
# only a comment
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
  - apiVersion: v1
    kind: ConfigMapList
    items:
      - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
"""
    loaded = load_text(text, "f.yaml")
    assert [(o["metadata"]["name"], origin) for o, origin in loaded] == [
        ("a", "f.yaml (document 1)"),
        ("b", "f.yaml (document 3) items[0]"),
        ("c", "f.yaml (document 3) items[1] items[0]"),
    ]


def test_load_text_errors_name_the_origin():
    with pytest.raises(ApplyError, match=r"^f.yaml is not valid YAML"):
        load_text("a: [", "f.yaml")
    with pytest.raises(ApplyError, match=r"^f.yaml \(document 2\): a Kubernetes object must be a mapping, got list"):
        load_text("a: 1\n---\n- x\n", "f.yaml")


def test_load_sources_files_directories_and_definitions(tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    (d / "b.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    (d / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (d / "c.json").write_text(json.dumps(cm("c")))
    (d / "README.md").write_text("not a manifest")
    (d / "sub").mkdir()
    (d / "sub" / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    single = tmp_path / "single.yaml"
    single.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n")
    loaded = load_sources([str(d), str(single)], [cm("inline"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n"])
    assert [o["metadata"]["name"] for o, origin in loaded] == ["a", "b", "c", "s", "inline", "t"]
    assert [origin for o, origin in loaded] == [
        os.path.join(str(d), "a.yaml"), os.path.join(str(d), "b.yml"), os.path.join(str(d), "c.json"),
        str(single), "definitions[0]", "definitions[1]"]
    with pytest.raises(ApplyError, match="src /nonexistent.yaml does not exist"):
        load_sources(["/nonexistent.yaml"])


@pytest.mark.parametrize("obj,message", [
    ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "o: ConfigMap x lacks apiVersion"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "o: ConfigMap lacks metadata.name"),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "p-"}},
     "o: Pod lacks metadata.name (generateName cannot be applied)"),
    ({"apiVersion": "v1", "kind": "Pod"}, "o: Pod lacks metadata"),
])
def test_check_definition(obj, message):
    with pytest.raises(ApplyError) as exc:
        check_definition(obj, "o")
    assert str(exc.value) == message


# --------------------------------------------------------------------------------------------
# Ordering


def _item(kind, name, api_version="v1", index=0):
    return Item({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}, "o",
                Resource("", "v1", kind, kind.lower() + "s", False), index)


def test_install_order():
    kinds = [("Widget", "example.com/v1"), ("Deployment", "apps/v1"), ("Service", "v1"),
             ("CustomResourceDefinition", "apiextensions.k8s.io/v1"), ("Gadget", "example.com/v1"),
             ("ConfigMap", "v1"), ("Namespace", "v1"), ("Secret", "v1"), ("PriorityClass", "scheduling.k8s.io/v1"),
             ("Deployment", "apps/v1"), ("Job", "batch/v1"), ("ServiceAccount", "v1"), ("Ingress", "networking.k8s.io/v1")]
    items = [_item(k, "%s-%d" % (k.lower(), i), av, i) for i, (k, av) in enumerate(kinds)]
    assert [(i.kind, i.index) for i in install_order(items)] == [
        ("Namespace", 6), ("CustomResourceDefinition", 3),
        ("PriorityClass", 8), ("ServiceAccount", 11), ("Secret", 7), ("ConfigMap", 5), ("Service", 2),
        ("Deployment", 1), ("Deployment", 9), ("Job", 10), ("Ingress", 12),
        ("Gadget", 4), ("Widget", 0),
    ]


def test_prune_order_custom_resources_first_namespaces_last():
    entries = [{"kind": k, "namespace": None, "name": n} for k, n in
               [("Namespace", "a"), ("ConfigMap", "c"), ("CustomResourceDefinition", "crd"), ("Widget", "w"),
                ("Deployment", "d"), ("Service", "s")]]
    assert [e["kind"] for e in sorted(entries, key=prune_key)] == [
        "Widget", "Service", "Deployment", "CustomResourceDefinition", "ConfigMap", "Namespace"]


# --------------------------------------------------------------------------------------------
# Redaction


def test_redact_secret_values_everywhere():
    obj = {"apiVersion": "v1", "kind": "Secret",
           "metadata": {"name": "s", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"data":1}',
                                                     "other": "kept"}},
           "data": {"a": "c2VjcmV0"}, "stringData": {"b": "secret"}, "type": "Opaque"}
    original = copy.deepcopy(obj)
    red = redact(obj)
    assert obj == original  # not modified in place
    assert red["data"] == {"a": REDACTED} and red["stringData"] == {"b": REDACTED}
    assert red["metadata"]["annotations"] == {"kubectl.kubernetes.io/last-applied-configuration": REDACTED,
                                              "other": "kept"}
    assert red["type"] == "Opaque"
    lst = redact({"apiVersion": "v1", "kind": "List", "items": [obj, cm("c")]})
    assert lst["items"][0]["data"] == {"a": REDACTED} and lst["items"][1] == cm("c")
    assert redact(cm("c")) == cm("c")
    # a Secret-like object of another API group is not a Secret
    other = {"apiVersion": "example.com/v1", "kind": "Secret", "data": {"a": "x"}}
    assert redact(other) == other


def test_redact_pair_marks_changed_keys_only():
    before = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "data": {"same": "YQ==", "changed": "Yg==", "gone": "Yw=="}}
    after = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
             "data": {"same": "YQ==", "changed": "Yg2==", "new": "ZA=="}}
    b, a = redact_pair(before, after)
    assert b["data"] == {"same": REDACTED, "changed": REDACTED_OLD, "gone": REDACTED}
    assert a["data"] == {"same": REDACTED, "changed": REDACTED_NEW, "new": REDACTED}
    # stringData counts as its base64 data
    b, a = redact_pair(before, dict(after, data={}, stringData={"same": "a", "changed": "b"}))
    assert a["stringData"] == {"same": REDACTED, "changed": REDACTED}
    assert redact_pair(None, after)[1]["data"]["changed"] == REDACTED


def test_secret_values_for_no_log():
    values = secret_values([secret("s", password="hunter2-long"),
                            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t"},
                             "data": {"token": base64.b64encode(b"tok-en-123").decode(), "bin": "////", "x": "eA=="}},
                            cm("c", password="not-a-secret")])
    assert "hunter2-long" in values and base64.b64encode(b"hunter2-long").decode() in values
    assert "tok-en-123" in values and base64.b64encode(b"tok-en-123").decode() in values
    assert "////" in values  # not text once decoded: only the base64 form
    assert "x" not in values and "eA==" in values  # too short to mask
    assert "not-a-secret" not in values


# --------------------------------------------------------------------------------------------
# Changed or not


LIVE = {"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "d", "uid": "u1", "resourceVersion": "7",
                     "managedFields": [{"manager": "me", "operation": "Apply", "time": "2026-01-01T00:00:00Z",
                                        "fieldsV1": {"f:data": {"f:k": {}}}},
                                       {"manager": "someone", "operation": "Update", "time": "2026-01-01T00:00:00Z"}]},
        "data": {"k": "v"}}


def _changed(obj, **meta):
    out = copy.deepcopy(obj)
    out["metadata"].update(meta)
    return out


def test_decide_action():
    assert decide_action(None, LIVE, "me") == "created"
    assert decide_action(LIVE, copy.deepcopy(LIVE), "me") == "unchanged"
    # a dry run stamps a new time on our managedFields entry, nothing else
    dry = copy.deepcopy(LIVE)
    dry["metadata"]["managedFields"][0]["time"] = "2026-02-02T00:00:00Z"
    assert decide_action(LIVE, dry, "me") == "unchanged"
    # a controller wrote status (new resourceVersion, its own managedFields) in between
    busy = _changed(LIVE, resourceVersion="9")
    busy["status"] = {"replicas": 1}
    busy["metadata"]["managedFields"][1]["time"] = "2026-03-03T00:00:00Z"
    assert decide_action(LIVE, busy, "me") == "unchanged"
    # real changes
    assert decide_action(LIVE, dict(copy.deepcopy(LIVE), data={"k": "w"}), "me") == "configured"
    assert decide_action(LIVE, _changed(LIVE, labels={"a": "b"}), "me") == "configured"
    owned = copy.deepcopy(LIVE)
    owned["metadata"]["managedFields"][0]["fieldsV1"] = {"f:data": {"f:k": {}, "f:k2": {}}}
    assert decide_action(LIVE, owned, "me") == "configured"
    # first apply by a new manager: it now owns fields
    assert decide_action(LIVE, LIVE, "newcomer") == "unchanged"
    taken = copy.deepcopy(LIVE)
    taken["metadata"]["managedFields"].append({"manager": "newcomer", "operation": "Apply", "time": "x"})
    assert decide_action(LIVE, taken, "newcomer") == "configured"


# --------------------------------------------------------------------------------------------
# Readiness


def _obj(kind, spec=None, status=None, generation=1):
    return {"kind": kind, "metadata": {"name": "x", "generation": generation}, "spec": spec or {}, "status": status or {}}


@pytest.mark.parametrize("obj,state,why", [
    (_obj("Deployment", {"replicas": 2}, {"observedGeneration": 0}), "pending",
     "the controller has not observed generation 1 yet (observed 0)"),
    (_obj("Deployment", {"replicas": 1}, {
        "observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "unavailableReplicas": 1,
        "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                        "message": "Deployment does not have minimum availability."},
                       {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}]}),
     "pending", "0 of 1 updated replicas available (Available=False MinimumReplicasUnavailable: "
                "Deployment does not have minimum availability.)"),
    (_obj("Deployment", {"replicas": 3}, {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 1}),
     "pending", "1 of 3 replicas updated"),
    (_obj("Deployment", {"replicas": 2}, {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 2}),
     "pending", "1 old replicas are pending termination"),
    (_obj("Deployment", {"replicas": 2}, {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                                          "availableReplicas": 2}), "ready", "2 of 2 replicas available"),
    (_obj("Deployment", {"replicas": 0}, {"observedGeneration": 1}), "ready", "0 of 0 replicas available"),
    (_obj("Deployment", {}, {"observedGeneration": 1, "conditions": [
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
         "message": 'ReplicaSet "x-1" has timed out progressing.'}]}),
     "failed", 'progress deadline exceeded: ReplicaSet "x-1" has timed out progressing.'),
    (_obj("StatefulSet", {"replicas": 2}, {"observedGeneration": 1, "readyReplicas": 1}), "pending",
     "1 of 2 replicas ready"),
    (_obj("StatefulSet", {"replicas": 1}, {"observedGeneration": 1, "readyReplicas": 1, "updateRevision": "b",
                                           "currentRevision": "a", "updatedReplicas": 0}),
     "pending", "revision b not rolled out yet (0 of 1 replicas updated)"),
    (_obj("StatefulSet", {"replicas": 1}, {"observedGeneration": 1, "readyReplicas": 1, "updateRevision": "a",
                                           "currentRevision": "a"}), "ready", "1 of 1 replicas ready"),
    (_obj("StatefulSet", {"replicas": 3, "updateStrategy": {"rollingUpdate": {"partition": 2}}},
          {"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 1}), "ready", "partitioned roll out complete"),
    (_obj("DaemonSet", {}, {"observedGeneration": 1, "desiredNumberScheduled": 0}), "ready",
     "0 of 0 scheduled pods available"),
    (_obj("DaemonSet", {}, {"observedGeneration": 1, "desiredNumberScheduled": 2, "updatedNumberScheduled": 2,
                            "numberAvailable": 1}), "pending", "1 of 2 scheduled pods available"),
    (_obj("Job", {"completions": 3}, {"succeeded": 1, "active": 2}), "pending",
     "1 succeeded of 3 completions, 2 active, 0 failed"),
    (_obj("Job", {}, {"conditions": [{"type": "Complete", "status": "True"}]}), "ready", "complete"),
    (_obj("Job", {}, {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                      "message": "Job has reached the specified backoff limit"}]}),
     "failed", "job failed: Failed=True BackoffLimitExceeded: Job has reached the specified backoff limit"),
    (_obj("Job", {"suspend": True}), "pending", "the job is suspended"),
])
def test_readiness(obj, state, why):
    assert readiness(obj) == (state, why)


# --------------------------------------------------------------------------------------------
# Errors


def test_api_error_from_status_and_from_text():
    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Invalid", "code": 422,
              "message": 'ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad"',
              "details": {"name": "Bad", "kind": "configmaps"}}
    exc = ApiError.from_response(422, json.dumps(status), "Unprocessable Entity")
    assert exc.describe() == 'Invalid (HTTP 422): ConfigMap "Bad" is invalid: metadata.name: Invalid value: "Bad"'
    assert exc.details["name"] == "Bad"
    assert ApiError.from_response(502, "<html>bad gateway</html>", "Bad Gateway").describe() == \
        "Bad Gateway (HTTP 502): <html>bad gateway</html>"
    assert ApiError.from_response(500, "", None).describe() == "Error (HTTP 500): (no response body)"
    assert ApiError(0, "MaxRetryError", "cannot reach the API server").describe() == \
        "MaxRetryError: cannot reach the API server"


# --------------------------------------------------------------------------------------------
# Discovery


def test_discovery_reads_each_group_version_once():
    api = FakeApi()
    disc = Discovery(api)
    assert disc.resolve("apps/v1", "Deployment").path("ns", "web") == "/apis/apps/v1/namespaces/ns/deployments/web"
    assert disc.resolve("apps/v1", "StatefulSet").plural == "statefulsets"
    assert disc.resolve("v1", "Namespace").path("ignored", "a") == "/api/v1/namespaces/a"
    assert disc.resolve("v1", "ConfigMap").path("ns") == "/api/v1/namespaces/ns/configmaps"
    assert disc.resolve("v1", "Scale") is None  # only a subresource
    assert disc.resolve("example.com/v1", "Widget") is None
    assert disc.resolve("example.com/v1", "Widget") is None
    gets = [c[1] for c in api.calls]
    assert gets == ["/apis/apps/v1", "/api/v1", "/apis/example.com/v1"]
    disc.register_crd(CRD)
    assert disc.resolve("example.com/v1", "Widget").path("ns", "w") == "/apis/example.com/v1/namespaces/ns/widgets/w"
    assert disc.preferred("apps", "Deployment").api_version == "apps/v1"
    assert disc.preferred("", "ConfigMap").namespaced is True
    assert disc.preferred("gone.example.com", "Thing") is None


def test_discovery_failure_is_reported():
    api = FakeApi()
    api.errors[("GET", "/apis/apps/v1")] = ApiError(403, "Forbidden", "no")
    with pytest.raises(ApplyError, match=r"discovery of /apis/apps/v1 failed: Forbidden \(HTTP 403\): no"):
        Discovery(api).resolve("apps/v1", "Deployment")


# --------------------------------------------------------------------------------------------
# The run


def test_prepare_defaults_namespaces_and_names_bad_objects():
    api = FakeApi()
    a = applier(api, default_namespace="team")
    items = a.prepare([(cm("a"), "o1"), (cm("b", "other"), "o2"),
                       (dict(namespace("n"), metadata={"name": "n", "namespace": "x"}), "o3")])
    assert [(i.kind, i.namespace, i.name) for i in items] == [("ConfigMap", "team", "a"), ("ConfigMap", "other", "b"),
                                                              ("Namespace", None, "n")]
    assert "namespace" not in items[2].body["metadata"]
    assert a.warnings == ["o3: Namespace is cluster-scoped, its metadata.namespace 'x' is ignored"]
    with pytest.raises(ApplyError) as exc:
        applier(api).prepare([(cm("a"), "o1"), (WIDGET, "o2"), (cm("a"), "o3"), ({"kind": "X"}, "o4")])
    assert str(exc.value) == (
        "o4: X lacks apiVersion, metadata; "
        "o2: Widget w: the API server has no resource type for kind Widget in apiVersion example.com/v1 "
        "(and no CustomResourceDefinition of this set defines it); "
        "ConfigMap default/a is defined twice: in o1 and in o3")


def test_first_apply_then_nothing_changes():
    api = FakeApi()
    objs = [deployment("web"), cm("cfg"), namespace("team"), secret("s", password="pw-12345")]
    first = run(api, objs)
    assert actions(first) == [("Namespace", "team", "created"), ("Secret", "s", "created"),
                              ("ConfigMap", "cfg", "created"), ("Deployment", "web", "created")]
    assert first["changed"] is True and first["errors"] == []
    assert first["summary"] == {"created": 4, "configured": 0, "unchanged": 0, "pruned": 0, "failed": 0}
    # what was sent: server-side apply, our field manager, strict validation, no dry run
    patch = [c for c in api.writes() if c[1].endswith("/deployments/web")][0]
    assert patch[0] == "PATCH" and patch[2] == {"fieldManager": "investment-orchestration", "fieldValidation": "Strict"}
    secret_entry = first["objects"][1]
    assert secret_entry["object"]["data"] == {"password": REDACTED}
    assert "managedFields" not in secret_entry["object"]["metadata"]
    again = run(api, objs)
    assert [entry[2] for entry in actions(again)] == ["unchanged"] * 4
    assert again["changed"] is False
    changed = run(api, [deployment("web", replicas=2), cm("cfg"), namespace("team"), secret("s", password="pw-12345")])
    assert actions(changed)[-1] == ("Deployment", "web", "configured") and changed["changed"] is True


def test_force_conflicts_and_conflict_message():
    api = FakeApi()
    api.errors[("PATCH", "/api/v1/namespaces/default/configmaps/cfg")] = ApiError(
        409, "Conflict", 'Apply failed with 1 conflict: conflict with "kubectl": .data.k')
    result = run(api, [cm("cfg")])
    assert result["errors"] == [
        'ConfigMap default/cfg: apply failed: Conflict (HTTP 409): Apply failed with 1 conflict: conflict with '
        '"kubectl": .data.k (set force_conflicts=true to take these fields over from their managers)']
    assert result["objects"][0]["action"] == "failed" and result["objects"][0]["error"] == result["errors"][0]
    del api.errors[("PATCH", "/api/v1/namespaces/default/configmaps/cfg")]
    run(api, [cm("cfg")], force_conflicts=True)
    assert api.writes()[-1][2]["force"] == "true"


def test_errors_name_the_object_and_stop_before_pruning():
    api = FakeApi()
    aset = ApplySet("applyset-x", "default", tooling="t/1")
    run(api, [cm("old"), cm("keep")], applyset=aset)
    api.errors[("PATCH", "/apis/apps/v1/namespaces/default/deployments/web")] = ApiError(
        422, "Invalid", 'Deployment.apps "web" is invalid: spec.template.spec.containers: Required value')
    result = run(api, [cm("keep"), deployment("web")], applyset=ApplySet("applyset-x", "default", tooling="t/1"))
    assert result["errors"] == ['Deployment default/web: apply failed: Invalid (HTTP 422): Deployment.apps "web" is '
                                'invalid: spec.template.spec.containers: Required value']
    assert "/api/v1/namespaces/default/configmaps/old" in api.store  # not pruned
    assert result["applyset"]["action"] == "not updated"


def test_namespace_failure_stops_before_the_rest():
    api = FakeApi()
    api.errors[("PATCH", "/api/v1/namespaces/team")] = ApiError(403, "Forbidden", "no namespaces for you")
    objs = [namespace("team"), dict(cm("c"), metadata={"name": "c", "namespace": "team"})]
    result = run(api, objs)
    assert [e["action"] for e in result["objects"]] == ["failed"]
    assert result["errors"] == ["Namespace team: apply failed: Forbidden (HTTP 403): no namespaces for you"]


def test_applyset_prune_and_parent():
    api = FakeApi(namespaces=("default", "team"))

    def aset():
        return ApplySet("applyset-app", "team", tooling="investment.orchestration/0.1.0")
    objs = [cm("a", "team"), cm("b", "team"), deployment("web"), namespace("extra")]
    first = run(api, objs, applyset=aset())
    parent = api.store["/api/v1/namespaces/team/secrets/applyset-app"]
    assert parent["metadata"]["labels"] == {"applyset.kubernetes.io/id": aset().id}
    assert parent["metadata"]["annotations"] == {
        "applyset.kubernetes.io/tooling": "investment.orchestration/0.1.0",
        "applyset.kubernetes.io/contains-group-kinds": "ConfigMap,Deployment.apps,Namespace",
        "applyset.kubernetes.io/additional-namespaces": "default",
    }
    assert parent["metadata"]["managedFields"][0]["manager"] == "investment.orchestration-applyset"
    assert first["applyset"]["action"] == "created"
    assert first["applyset"]["additional_namespaces"] == ["default"]
    for path, obj in api.store.items():
        if "/secrets/" not in path and obj["metadata"]["name"] in ("a", "b", "web", "extra"):
            assert obj["metadata"]["labels"][PART_OF_LABEL] == aset().id

    # b, web and the namespace leave the set: pruned, custom-first / namespace-last order
    second = run(api, [cm("a", "team")], applyset=aset())
    assert actions(second) == [("ConfigMap", "a", "unchanged"), ("Deployment", "web", "pruned"),
                               ("ConfigMap", "b", "pruned"), ("Namespace", "extra", "pruned")]
    assert second["changed"] is True
    assert "/api/v1/namespaces/team/configmaps/b" not in api.store
    assert api.store["/api/v1/namespaces/team/secrets/applyset-app"]["metadata"]["annotations"][
        "applyset.kubernetes.io/contains-group-kinds"] == "ConfigMap"
    assert second["applyset"]["action"] == "configured"
    deletes = [c for c in api.calls if c[0] == "DELETE"]
    assert all(c[3]["propagationPolicy"] == "Background" and "dryRun" not in c[3] for c in deletes)
    third = run(api, [cm("a", "team")], applyset=aset())
    assert actions(third) == [("ConfigMap", "a", "unchanged")] and third["changed"] is False
    assert third["applyset"]["action"] == "unchanged"


def test_applyset_refuses_a_parent_of_another_tool():
    api = FakeApi()
    run(api, [cm("a")], applyset=ApplySet("p", "default", tooling="kubectl/v1.34.4"))
    result = run(api, [cm("a")], applyset=ApplySet("p", "default", tooling="investment.orchestration/0.1.0"))
    assert result["errors"] == [
        "Secret default/p: read the ApplySet parent failed: ApplySet parent Secret default/p already exists and "
        "is managed by tooling 'kubectl' instead of 'investment.orchestration'"]
    assert result["objects"] == []


def test_applyset_member_of_another_set_is_refused():
    labelled = cm("a")
    labelled["metadata"]["labels"] = {PART_OF_LABEL: "applyset-zzz-v1"}
    with pytest.raises(ApplyError, match="definitions: ConfigMap a: it is labelled applyset.kubernetes.io/part-of="
                                         "applyset-zzz-v1, a member of another ApplySet"):
        applier(FakeApi(), applyset=ApplySet("p", "default", tooling="t/1")).prepare([(labelled, "definitions")])


def test_check_mode_writes_are_all_dry_runs():
    api = FakeApi(namespaces=("default", "team"))

    def aset():
        return ApplySet("applyset-app", "team", tooling="t/1")
    run(api, [cm("a", "team"), cm("b", "team")], applyset=aset())
    before = copy.deepcopy(api.store)
    del api.calls[:]
    result = run(api, [cm("a", "team", k="changed"), cm("new", "team")], applyset=aset(), check_mode=True, diff=True)
    assert api.store == before
    assert actions(result) == [("ConfigMap", "a", "configured"), ("ConfigMap", "new", "created"),
                               ("ConfigMap", "b", "pruned")]
    for method, path, query, body in api.writes():
        if method == "PATCH":
            assert query["dryRun"] == "All", path
        else:
            assert body["dryRun"] == ["All"], path  # the API server reads DeleteOptions from the body
    assert [d["before_header"] for d in result["diff"]] == [
        "ConfigMap team/a (configured)", "ConfigMap team/new (created)", "ConfigMap team/b (pruned)"]
    assert "k: changed" in result["diff"][0]["after"] and "k: v" in result["diff"][0]["before"]
    assert result["diff"][2]["after"] == ""


def test_check_mode_objects_in_a_new_namespace_or_of_a_new_crd():
    api = FakeApi()
    widget = dict(WIDGET, metadata={"name": "w", "namespace": "fresh"})
    objs = [dict(cm("c"), metadata={"name": "c", "namespace": "fresh"}), namespace("fresh"), CRD, widget]
    result = run(api, objs, check_mode=True, applyset=ApplySet("p", "fresh", tooling="t/1"))
    assert actions(result) == [
        ("Namespace", "fresh", "created"), ("CustomResourceDefinition", "widgets.example.com", "created"),
        ("ConfigMap", "c", "created"), ("Widget", "w", "created")]
    assert [e.get("validated", True) for e in result["objects"]] == [True, True, False, False]
    assert result["applyset"]["validated"] is False
    assert "check mode: ConfigMap fresh/c not validated by the API server: its namespace fresh would be created " \
           "by this run" in result["warnings"]
    assert result["errors"] == []
    assert list(api.store) == ["/api/v1/namespaces/default"]


def test_crd_and_its_objects_in_one_run():
    api = FakeApi()
    api.established_after = 2
    a = applier(api)
    items = a.prepare([(WIDGET, "w"), (CRD, "crd")])
    result = a.run(items)
    assert result["errors"] == []
    assert actions(result) == [("CustomResourceDefinition", "widgets.example.com", "created"), ("Widget", "w", "created")]
    crd_gets = [c for c in api.calls if c[0] == "GET" and c[1].endswith("widgets.example.com")]
    assert len(crd_gets) == 4  # before apply, then 3 polls until Established
    assert "/apis/example.com/v1/namespaces/default/widgets/w" in api.store


def test_crd_not_established_names_it():
    api = FakeApi()
    api.established_after = 10 ** 6
    result = run(api, [CRD, WIDGET], wait_timeout=5)
    assert result["errors"] == ["CustomResourceDefinition widgets.example.com: wait for Established failed: "
                                "not Established after 30 s (Established=False)"]
    assert [e["kind"] for e in result["objects"]] == ["CustomResourceDefinition"]


def test_wait_polls_all_workloads_together_and_reports_why():
    api = FakeApi()
    a = applier(api, wait=True, wait_timeout=10, wait_sleep=2)
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
           "spec": {"template": {"spec": {"containers": [{"name": "j", "image": "x"}]}}}}
    items = a.prepare([(deployment("web"), "o"), (deployment("api"), "o"), (job, "o"), (cm("c"), "o")])
    result = a.run(items)
    assert result["not_ready"] == [
        {"kind": "Deployment", "namespace": "default", "name": "api", "state": "pending",
         "reason": "0 of 1 replicas updated"},
        {"kind": "Deployment", "namespace": "default", "name": "web", "state": "pending",
         "reason": "0 of 1 replicas updated"},
        {"kind": "Job", "namespace": "default", "name": "j", "state": "pending",
         "reason": "0 succeeded of 1 completions, 0 active, 0 failed"},
    ]
    assert a.test_clock.sleeps == [2, 2, 2, 2, 2]
    polls = [c[1] for c in api.calls if c[0] == "GET"][-18:]
    # one round = the three workloads, one after another, then a sleep
    assert polls[:3] == ["/apis/apps/v1/namespaces/default/deployments/web",
                         "/apis/apps/v1/namespaces/default/deployments/api",
                         "/apis/batch/v1/namespaces/default/jobs/j"]
    assert polls[:3] * 6 == polls


def test_wait_ends_when_ready_or_failed():
    api = FakeApi()
    a = applier(api, wait=True, wait_timeout=60, wait_sleep=1)
    items = a.prepare([(deployment("web"), "o")])
    a.run([])  # nothing applied yet; then make the deployment exist and become ready on the 3rd poll
    for item in items:
        a.apply_item(item)
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    polls = {"n": 0}
    real_get = api._get

    def get(p, q, b):
        obj = real_get(p, q, b)
        if p == path:
            polls["n"] += 1
            if polls["n"] >= 3:
                obj["status"] = {"observedGeneration": 0, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}
        return obj
    api._get = get
    assert a.wait_ready(items) == []
    assert polls["n"] == 3 and a.test_clock.sleeps == [1, 1]
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {}}
    jitems = a.prepare([(job, "o")])
    a.apply_item(jitems[0])
    api.store["/apis/batch/v1/namespaces/default/jobs/j"]["status"] = {
        "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}
    assert a.wait_ready(jitems) == [{"kind": "Job", "namespace": "default", "name": "j", "state": "failed",
                                     "reason": "job failed: Failed=True BackoffLimitExceeded"}]


def test_check_mode_does_not_wait():
    result = run(FakeApi(), [deployment("web")], wait=True, check_mode=True)
    assert "not_ready" not in result


# --------------------------------------------------------------------------------------------
# The kubernetes client adapter (no API server: errors only)


def _closed_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_kube_client_unreachable_server():
    kubernetes = pytest.importorskip("kubernetes")
    from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import KubeClient
    conf = kubernetes.client.Configuration()
    conf.host = "https://127.0.0.1:%d" % _closed_port()
    conf.retries = 0
    client = KubeClient(kubernetes.client.ApiClient(conf), timeout=(2, 2))
    with pytest.raises(ApiError) as exc:
        client.request("GET", "/api/v1")
    assert exc.value.status == 0
    assert exc.value.message.startswith("cannot reach the API server at %s: " % conf.host)


def test_kube_client_collects_warnings():
    pytest.importorskip("kubernetes")
    from urllib3 import HTTPHeaderDict
    from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import KubeClient
    client = KubeClient.__new__(KubeClient)
    client.warnings = []
    headers = HTTPHeaderDict()
    headers.add("Warning", '299 - "unknown field \\"spec.replicass\\""')
    headers.add("Warning", '299 - "batch/v1beta1 CronJob is deprecated"')
    client._collect_warnings(headers)
    client._collect_warnings(headers)
    assert client.warnings == ['unknown field "spec.replicass"', "batch/v1beta1 CronJob is deprecated"]


def test_connect_names_a_bad_kubeconfig(tmp_path):
    pytest.importorskip("kubernetes")
    from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import connect
    missing = str(tmp_path / "nope")
    with pytest.raises(ApplyError, match="cannot load the API server configuration from kubeconfig %s context x: "
                       % missing):
        connect(missing, "x")


def test_objects_owned_by_a_controller_are_never_prune_candidates():
    from ansible_collections.investment.orchestration.plugins.module_utils.k8s_apply import (
        controlled_by_another,
    )
    slice_meta = {"name": "backend-fxfvt", "ownerReferences": [
        {"apiVersion": "v1", "kind": "Service", "name": "backend", "controller": True}]}
    assert controlled_by_another(slice_meta)
    assert not controlled_by_another({"name": "x", "ownerReferences": [{"kind": "X", "name": "y"}]})
    assert not controlled_by_another({"name": "x"})


# --------------------------------------------------------------------------------------------
# Bulk "before" reads and concurrent applies

def cms(count, namespace="default", prefix="c"):
    return [cm("%s%02d" % (prefix, i), namespace) for i in range(count)]


def test_before_states_one_list_per_type_and_namespace():
    api = FakeApi(namespaces=("default", "team"))
    objs = cms(5) + cms(4, "team") + [cm("lone", "other-ns-less")] + [secret("s", password="pw-12345")]
    api._store("/api/v1/namespaces/other-ns-less", namespace("other-ns-less"))
    first = run(api, objs)
    assert first["errors"] == [] and [e["action"] for e in first["objects"]] == ["created"] * 11
    gets = [(c[1], c[2]) for c in api.calls if c[0] == "GET"]
    lists = [path for path, query in gets if query.get("limit")]
    # one LIST per namespace, sent concurrently
    assert sorted(lists) == ["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/team/configmaps"]
    singles = sorted(path for path, query in gets if "/configmaps/" in path or "/secrets/" in path)
    # groups smaller than BULK_BEFORE_MIN are read one by one
    assert singles == ["/api/v1/namespaces/default/secrets/s", "/api/v1/namespaces/other-ns-less/configmaps/lone"]
    del api.calls[:]
    again = run(api, objs)
    assert [e["action"] for e in again["objects"]] == ["unchanged"] * 11 and again["changed"] is False
    assert not [c for c in api.calls if c[0] == "GET" and "/configmaps/c" in c[1]]
    changed = objs[:]
    changed[2] = cm("c02", k="new")
    result = run(api, changed)
    assert [e["action"] for e in result["objects"]].count("configured") == 1
    assert [(e["namespace"], e["name"]) for e in result["objects"] if e["action"] == "configured"] == [("default", "c02")]


def test_before_states_pages_and_falls_back_to_get(monkeypatch):
    from ansible_collections.investment.orchestration.plugins.module_utils import k8s_apply
    api = FakeApi()
    run(api, cms(6))

    class Paging(FakeApi):
        """Serves LISTs two items at a time with continue tokens."""

    paged = Paging()
    paged.store = api.store
    original = paged._get

    def page(path, query, body):
        out = original(path, query, body)
        if "limit" in query and "items" in out:
            start = int(query.get("continue") or 0)
            size = int(query["limit"])
            items = out["items"][start:start + size]
            more = start + size < len(out["items"])
            return {"items": items, "metadata": {"continue": str(start + size)} if more else {}}
        return out
    paged._get = page
    monkeypatch.setattr(k8s_apply, "LIST_PAGE_SIZE", 2)
    result = run(paged, cms(6))
    assert [e["action"] for e in result["objects"]] == ["unchanged"] * 6
    assert [c[2].get("continue") for c in paged.calls if c[2].get("limit")] == [None, "2", "4"]

    # a LIST the server refuses (no list permission): GET each, same result
    api.errors[("GET", "/api/v1/namespaces/default/configmaps")] = ApiError(403, "Forbidden", "no list for you")
    del api.calls[:]
    result = run(api, cms(6))
    assert result["errors"] == [] and [e["action"] for e in result["objects"]] == ["unchanged"] * 6
    assert len([c for c in api.calls if c[0] == "GET" and "/configmaps/c" in c[1]]) == 6


def test_check_mode_diff_with_bulk_before():
    api = FakeApi()
    run(api, cms(5))
    before = copy.deepcopy(api.store)
    del api.calls[:]
    objs = cms(5)
    objs[1] = cm("c01", k="changed")
    result = run(api, objs + [cm("new")], check_mode=True, diff=True)
    assert api.store == before
    assert [e["action"] for e in result["objects"]] == ["unchanged", "configured"] + ["unchanged"] * 3 + ["created"]
    assert [d["before_header"] for d in result["diff"]] == ["ConfigMap default/c01 (configured)",
                                                            "ConfigMap default/new (created)"]
    assert "k: v" in result["diff"][0]["before"] and "k: changed" in result["diff"][0]["after"]
    assert all(c[2]["dryRun"] == "All" for c in api.writes())


def test_concurrent_applies_keep_order_and_report_every_error():
    api = FakeApi()
    objs = cms(12)
    for i in (3, 7, 11):
        api.errors[("PATCH", "/api/v1/namespaces/default/configmaps/c%02d" % i)] = ApiError(
            422, "Invalid", "c%02d is invalid" % i)
    result = run(api, objs + [deployment("web")], workers=4)
    assert [(e["name"], e["action"]) for e in result["objects"]] == \
        [("c%02d" % i, "failed" if i in (3, 7, 11) else "created") for i in range(12)] + [("web", "created")]
    assert result["errors"] == ["ConfigMap default/c%02d: apply failed: Invalid (HTTP 422): c%02d is invalid" % (i, i)
                                for i in (3, 7, 11)]
    # kinds one after another: every ConfigMap was sent before the Deployment
    patched = [c[1] for c in api.writes()]
    assert patched.index("/apis/apps/v1/namespaces/default/deployments/web") == len(patched) - 1


def test_applies_of_one_kind_run_concurrently():
    api = FakeApi()
    barrier = threading.Barrier(4, timeout=10)
    plain = api.request

    def request(method, path, query=None, body=None, content_type=None):
        if method == "PATCH":
            barrier.wait()  # passes only when 4 applies are in flight together
        return plain(method, path, query, body, content_type)
    api.request = request
    result = run(api, cms(8), workers=4)
    assert result["errors"] == [] and len(result["objects"]) == 8


def test_decide_a_controller_change_between_list_and_apply():
    a = applier(FakeApi())
    mine = {"manager": "investment-orchestration", "operation": "Apply", "time": "2026-01-01T00:00:00Z",
            "fieldsV1": {"f:data": {}}}
    other = {"manager": "kube-controller-manager", "operation": "Update", "time": "2026-01-01T00:00:05Z"}
    before = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "d", "resourceVersion": "1", "managedFields": [mine]}, "spec": {"x": 1}}
    after = copy.deepcopy(before)
    after["metadata"].update(resourceVersion="2", annotations={"deployment.kubernetes.io/revision": "1"},
                             managedFields=[mine, other])
    assert a._decide(before, copy.deepcopy(before), "investment-orchestration") == "unchanged"
    assert a._decide(before, after, "investment-orchestration") == "unchanged"
    stamped = copy.deepcopy(after)
    stamped["metadata"]["managedFields"][0]["time"] = "2026-01-01T00:00:09Z"
    stamped["spec"]["x"] = 2
    assert a._decide(before, stamped, "investment-orchestration") == "configured"
    assert a._decide(None, after, "investment-orchestration") == "created"
    assert applier(FakeApi(), check_mode=True)._decide(before, after, "investment-orchestration") == "configured"
