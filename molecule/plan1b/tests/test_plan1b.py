"""Verify plan 1-B after the cutover: the app runs on aws-seoul's single-node Kubernetes beside
the edge, which stays on Compose and sends api. to the pods; oracle2's Compose app retired with
its volumes kept; no Kubernetes on the other hosts; data from oracle1, logs in /LOG."""
import json
import uuid

import pytest
from conftest import APP_PORT, DOMAIN, EDGE, SERVICES, app_runtime, compose_ps, through_edge
from kubernetes import client


def test_node_ready_on_seoul_only(api):
    nodes = client.CoreV1Api(api).list_node().items
    assert [n.metadata.name for n in nodes] == ["aws-seoul"]
    assert [c.status for c in nodes[0].status.conditions if c.type == "Ready"] == ["True"]


@pytest.mark.parametrize("name", ["oracle1", "oracle2"])
def test_no_kubernetes_elsewhere(fleet, name):
    assert not fleet[name].file("/etc/systemd/system/kube-apiserver.service").exists


def test_app_deployments_ready(api):
    deps = client.AppsV1Api(api).list_namespaced_deployment("investment-app").items
    assert sorted(d.metadata.name for d in deps) == sorted(SERVICES["app"])
    for d in deps:
        assert d.status.ready_replicas == d.spec.replicas, d.metadata.name
    names = {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items}
    assert not names & {"investment-data", "investment-macro", "investment-edge"}


def test_app_retired_from_oracle2_its_project_kept(fleet):
    host = fleet["oracle2"]
    assert compose_ps(host, "app") == {}
    # The project (and its secrets file) stays for rollback.yml; the app has no named volume.
    assert host.file("/opt/investment/app/compose.yml").exists
    assert host.file("/opt/investment/app/secrets.env").mode == 0o600


@pytest.mark.parametrize("name,role", [("oracle1", "data"), ("aws-seoul", "edge")])
def test_other_stacks_still_on_compose(fleet, name, role):
    ps = compose_ps(fleet[name], role)
    assert sorted(ps) == sorted(SERVICES[role])
    for svc, c in ps.items():
        assert c["State"] == "running" and c["Health"] == "healthy", (svc, c)


def test_api_through_the_edge_from_the_pods_beside_it_with_data(fleet):
    edge = fleet["aws-seoul"]
    probe = uuid.uuid4().hex
    values, body = through_edge(edge, "/api/quotes?probe=%s" % probe)
    assert values == ["kubernetes", "compose"], values
    first = json.loads(body)
    second = json.loads(through_edge(edge, "/api/quotes?probe=%s" % probe)[1])
    assert first["service"] == "backend"
    assert first["rows"] >= 1, "no row in PostgreSQL (oracle1)"
    assert first["redis_last_tick"]["id"] >= 1, "no tick in Redis (oracle1)"
    assert second["hits"] == first["hits"] + 1, "Redis counter did not move"
    # The edge's upstream is the pods' port on this host, not oracle2.
    conf = edge.file("/opt/investment/edge/nginx.conf").content_string
    assert "proxy_pass http://%s:%d;" % (EDGE, APP_PORT) in conf, conf


def test_pods_published_beside_the_edge(fleet):
    out = fleet["oracle1"].check_output(
        "curl -fsS -i --max-time 10 -H 'Host: api.%s' http://%s:%s/predict", DOMAIN, EDGE, str(APP_PORT))
    headers, body = out.split("\r\n\r\n", 1)
    assert "X-Served-By: kubernetes" in headers, headers
    assert json.loads(body)["service"] == "prediction-service"


def test_frontend_through_the_edge(fleet):
    values, _ = through_edge(fleet["aws-seoul"], "/", host="app")
    assert values == ["compose"], values
    assert app_runtime(fleet["aws-seoul"]) == "kubernetes"


@pytest.mark.parametrize("svc", ["backend", "prediction-service", "data-collector"])
def test_pods_log_to_LOG(fleet, svc):
    files = fleet["aws-seoul"].check_output(
        "find /LOG/%s -type f -size +0 -newer /etc/kubernetes/kubelet.yaml" % svc).split()
    assert files, "no log written under /LOG/%s on aws-seoul since its node was installed" % svc
