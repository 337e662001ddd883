"""Verify plan 1 after the cutover: oracle2's app stack runs on its single-node Kubernetes (not on
Compose any more), answers through nginx with data from PostgreSQL and Redis on oracle1, writes
its logs to /LOG, and every other stack still runs on Compose."""
import json
import os
import uuid

import pytest
from conftest import DOMAIN, ROLES, SERVICES, compose_ps
from kubernetes import client, config

APP_SERVICES = SERVICES["app"]
KUBECONFIG = os.path.join(os.environ.get("IO_CACHE", "/var/cache/io-orch"), "kubeconfigs", "korea.conf")


@pytest.fixture(scope="module")
def api():
    return client.ApiClient(config.new_client_from_config(KUBECONFIG).configuration)


def test_kubeconfig_on_controller_is_private():
    st = os.stat(KUBECONFIG)
    assert st.st_mode & 0o777 == 0o600


def test_node_ready_on_oracle2_only(api):
    nodes = client.CoreV1Api(api).list_node().items
    assert [n.metadata.name for n in nodes] == ["oracle2"]
    ready = [c.status for c in nodes[0].status.conditions if c.type == "Ready"]
    assert ready == ["True"]


@pytest.mark.parametrize("unit", ["kube-etcd", "kube-apiserver", "kube-controller-manager",
                                  "kube-scheduler", "kubelet", "kube-proxy", "containerd"])
def test_kube_units_running_on_oracle2(fleet, unit):
    svc = fleet["oracle2"].service(unit)
    assert svc.is_running and svc.is_enabled


@pytest.mark.parametrize("name", ["oracle1", "oracle3", "aws-seoul"])
def test_no_kubernetes_elsewhere(fleet, name):
    assert not fleet[name].file("/etc/systemd/system/kube-apiserver.service").exists


def test_app_deployments_ready(api):
    deps = client.AppsV1Api(api).list_namespaced_deployment("investment-app").items
    assert sorted(d.metadata.name for d in deps) == sorted(APP_SERVICES)
    for d in deps:
        assert d.status.ready_replicas == d.spec.replicas, d.metadata.name
    # Only the app stack is on the cluster: no other stack's namespace.
    names = {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items}
    assert not names & {"investment-data", "investment-macro", "investment-edge"}


def test_cluster_dns_ready(api):
    dep = client.AppsV1Api(api).read_namespaced_deployment("coredns", "kube-system")
    assert dep.status.ready_replicas == 1


def test_app_left_compose_but_kept_its_volumes(fleet):
    host = fleet["oracle2"]
    ps = compose_ps(host, "app")
    assert ps == {}, "Compose containers of the app still exist: %s" % sorted(ps)
    # The project (and its secrets file) stays for rollback.yml.
    assert host.file("/opt/investment/app/compose.yml").exists


@pytest.mark.parametrize("name", ["oracle1", "oracle3", "aws-seoul"])
def test_other_stacks_still_on_compose(fleet, name):
    role = ROLES[name]
    ps = compose_ps(fleet[name], role)
    assert sorted(ps) == sorted(SERVICES[role])
    for svc, c in ps.items():
        assert c["State"] == "running" and c["Health"] == "healthy", (svc, c)


def test_api_through_edge_served_by_kubernetes_with_data(fleet):
    edge, app = fleet["aws-seoul"], fleet["oracle2"]
    probe = uuid.uuid4().hex
    url = "http://127.0.0.1/api/quotes?probe=%s" % probe
    first = edge.check_output("curl -fsS -i -H 'Host: api.%s' '%s'", DOMAIN, url)
    headers, body = first.split("\r\n\r\n", 1)
    assert "X-Served-By: kubernetes" in headers, headers
    first = json.loads(body)
    second = json.loads(edge.check_output("curl -fsS -H 'Host: api.%s' '%s'", DOMAIN, url))
    assert first["service"] == "backend"
    assert first["rows"] >= 1, "no row in PostgreSQL (oracle1)"
    assert first["redis_last_tick"]["id"] >= 1, "no tick in Redis (oracle1)"
    assert second["hits"] == first["hits"] + 1, "Redis counter did not move"
    # The request went through the pods' nginx, which logs to oracle2's /LOG (hostPath).
    assert probe in app.file("/LOG/nginx/access.log").content_string


def test_prediction_through_app_nginx(fleet):
    out = fleet["oracle2"].check_output(
        "curl -fsS -H 'Host: api.%s' http://172.29.10.12/predict", DOMAIN)
    assert json.loads(out)["service"] == "prediction-service"


@pytest.mark.parametrize("svc", APP_SERVICES)
def test_pods_log_to_LOG(fleet, svc):
    files = fleet["oracle2"].check_output("find /LOG/%s -type f -size +0 -newer /etc/kubernetes/kubelet.yaml" % svc).split()
    assert files, "no log written under /LOG/%s since the node was installed" % svc


def test_secrets_not_in_configmaps_and_pki_private(api, fleet):
    password = fleet["oracle2"].check_output(
        "sed -n 's/^POSTGRES_PASSWORD=//p' /opt/investment/app/secrets.env")
    assert password
    for cm in client.CoreV1Api(api).list_namespaced_config_map("investment-app").items:
        assert password not in json.dumps(cm.data or {}), cm.metadata.name
    for key in fleet["oracle2"].check_output("ls /etc/kubernetes/pki/*.key").split():
        f = fleet["oracle2"].file(key)
        assert f.mode == 0o600 and f.user == "root", key
