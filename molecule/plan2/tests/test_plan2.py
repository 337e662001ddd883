"""Verify plan 2: a single-node Kubernetes in every region; the app (Korea) and the edge (Seoul)
run on theirs, the data tier (Osaka) and Jenkins (Mumbai) stay on Compose; the API answers
through the edge with data from PostgreSQL and Redis; /LOG is filled; the data ports and the
Kubernetes API admit only the fleet."""
import json
import os
import uuid

import pytest
from conftest import DOMAIN, HOSTS, ROLES, SERVICES, compose_ps, probe_tcp
from kubernetes import client, config

CACHE = os.environ.get("IO_CACHE", "/var/cache/io-orch")
REGIONS = {"oracle1": "osaka", "oracle2": "korea", "oracle3": "mumbai", "aws-seoul": "seoul"}
ON_K8S = {"oracle2": "app", "aws-seoul": "edge"}
ADDRESS = {"oracle1": "172.29.10.11", "oracle2": "172.29.10.12", "oracle3": "172.29.10.13",
           "aws-seoul": "172.29.10.14"}


def api(name):
    path = os.path.join(CACHE, "kubeconfigs", "%s.conf" % REGIONS[name])
    return client.ApiClient(config.new_client_from_config(path).configuration)


@pytest.mark.parametrize("name", HOSTS)
def test_one_ready_node_per_region(name):
    nodes = client.CoreV1Api(api(name)).list_node().items
    assert [n.metadata.name for n in nodes] == [name]
    assert [c.status for c in nodes[0].status.conditions if c.type == "Ready"] == ["True"]


@pytest.mark.parametrize("name", HOSTS)
def test_stacks_where_the_plan_puts_them(fleet, name):
    role = ROLES[name]
    namespaces = {n.metadata.name for n in client.CoreV1Api(api(name)).list_namespace().items}
    stacks = {ns[len("investment-"):] for ns in namespaces if ns.startswith("investment-")} - {"config"}
    ps = compose_ps(fleet[name], role)
    if name in ON_K8S:
        assert stacks == {role}
        deps = client.AppsV1Api(api(name)).list_namespaced_deployment("investment-" + role).items
        assert sorted(d.metadata.name for d in deps) == sorted(SERVICES[role])
        assert all(d.status.ready_replicas == d.spec.replicas for d in deps)
        assert ps == {}, "Compose containers left: %s" % sorted(ps)
    else:
        assert stacks == set()
        assert sorted(ps) == sorted(SERVICES[role])
        assert all(c["State"] == "running" and c["Health"] == "healthy" for c in ps.values())


def test_api_through_edge_on_kubernetes_to_app_on_kubernetes(fleet):
    edge, app = fleet["aws-seoul"], fleet["oracle2"]
    probe = uuid.uuid4().hex
    url = "http://%s/api/quotes?probe=%s" % (ADDRESS["aws-seoul"], probe)
    out = edge.check_output("curl -fsS -i -H 'Host: api.%s' '%s'", DOMAIN, url)
    headers, body = out.split("\r\n\r\n", 1)
    # Both the edge's nginx and the app's nginx served it from Kubernetes.
    assert headers.count("X-Served-By: kubernetes") == 2, headers
    first = json.loads(body)
    second = json.loads(edge.check_output("curl -fsS -H 'Host: api.%s' '%s'", DOMAIN, url))
    assert first["rows"] >= 1 and first["redis_last_tick"]["id"] >= 1
    assert second["hits"] == first["hits"] + 1
    assert probe in app.file("/LOG/nginx/access.log").content_string
    assert probe in edge.file("/LOG/nginx/access.log").content_string


def test_frontend_through_edge(fleet):
    out = fleet["aws-seoul"].check_output(
        "curl -fsS -i -H 'Host: app.%s' http://%s/", DOMAIN, ADDRESS["aws-seoul"])
    assert "X-Served-By: kubernetes" in out and "200 OK" in out


@pytest.mark.parametrize("target,port", [("oracle1", 5432), ("oracle1", 6379), ("oracle2", 6443)])
def test_firewall_admits_only_the_fleet(fleet, target, port):
    # From a fleet host: open.
    assert fleet["oracle3"].run("timeout 4 bash -c '</dev/tcp/%s/%d'" % (ADDRESS[target], port)).rc == 0
    # From an address outside the fleet on the same network: dropped.
    assert not probe_tcp("172.29.10.99", ADDRESS[target], port)
    # The HTTP entry stays open to everyone.
    if target == "oracle2":
        assert probe_tcp("172.29.10.99", ADDRESS[target], 80)


@pytest.mark.parametrize("name", ["oracle2", "aws-seoul"])
def test_pods_log_to_LOG(fleet, name):
    for svc in SERVICES[ON_K8S[name]]:
        files = fleet[name].check_output(
            "find /LOG/%s -type f -size +0 -newer /etc/kubernetes/kubelet.yaml" % svc).split()
        assert files, "%s: nothing written under /LOG/%s since the node was installed" % (name, svc)
