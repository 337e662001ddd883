"""Verify plan 3's workload half on the stand-in of the managed cluster: the API and the edge's
frontend run in the cluster, reached through the ingress by host name (api., app.), with data
from PostgreSQL and Redis that stay outside on Compose in Osaka; the secrets are Kubernetes
Secrets; /LOG is filled; the data ports admit the cluster's egress address and the fleet only."""
import base64
import json
import os
import time
import uuid

import pytest
from conftest import CACHE, DATA, DOMAIN, NETWORK, STACKS, WORKER, probe_tcp
from kubernetes import client


def curl(host, name, path):
    """A request to the ingress for NAME.<domain>, from HOST (the data host: outside the cluster)."""
    return host.run("curl -sS -i --max-time 10 -H 'Host: %s.%s' 'http://%s%s'", name, DOMAIN, WORKER, path)


def split(out):
    head, body = (out.replace("\r\n", "\n") + "\n\n").split("\n\n", 1)
    return head, body.rstrip("\n")


def test_one_node_of_2_gib(api):
    nodes = client.CoreV1Api(api).list_node().items
    assert [n.metadata.name for n in nodes] == ["plan3-worker"]
    assert [c.status for c in nodes[0].status.conditions if c.type == "Ready"] == ["True"]


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_stacks_run_in_the_cluster(api, stack):
    deps = client.AppsV1Api(api).list_namespaced_deployment("investment-" + stack).items
    assert sorted(d.metadata.name for d in deps) == sorted(STACKS[stack])
    assert all(d.status.ready_replicas == d.spec.replicas for d in deps)


def test_data_tier_stays_outside(api, hosts):
    namespaces = {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items}
    assert "investment-data" not in namespaces
    # The data-tier Service has no selector: its EndpointSlice names the data host's public IP.
    slices = client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(
        "investment-app", label_selector="kubernetes.io/service-name=data-tier").items
    assert [a for s in slices for e in s.endpoints for a in e.addresses] == [DATA]
    out = hosts["oracle1"].check_output("docker compose -p investment-data ps --format '{{.Service}} {{.Health}}'")
    assert sorted(out.split("\n")) == ["redis healthy", "timescaledb healthy"]


def test_api_through_the_ingress_with_data_from_outside(hosts):
    probe = uuid.uuid4().hex
    first = curl(hosts["oracle1"], "api", "/api/quotes?probe=%s" % probe)
    assert first.rc == 0, first.stderr
    head, body = split(first.stdout)
    assert head.startswith("HTTP/1.1 200"), head
    data = json.loads(body)
    assert data["rows"] >= 1 and data["redis_last_tick"]["id"] >= 1
    second = json.loads(split(curl(hosts["oracle1"], "api", "/api/quotes").stdout)[1])
    assert second["hits"] == data["hits"] + 1
    # Traefik's access log on the node names the route and the backend it chose.
    log = hosts["plan3-worker"].file("/LOG/traefik/access.log").content_string
    assert probe in log


def test_prediction_path_goes_to_the_prediction_service(hosts):
    out = curl(hosts["oracle1"], "api", "/predict")
    head, body = split(out.stdout)
    assert out.rc == 0 and head.startswith("HTTP/1.1 200"), out.stdout[:500]
    answer = json.loads(body)
    assert answer["service"] == "prediction-service" and answer["next_price"] is not None


def test_frontend_through_the_ingress(hosts):
    out = curl(hosts["oracle1"], "app", "/")
    head, body = split(out.stdout)
    assert head.startswith("HTTP/1.1 200"), head
    assert "investment frontend" in body


def test_unknown_host_is_not_routed(hosts):
    head = split(curl(hosts["oracle1"], "nope", "/").stdout)[0]
    assert head.startswith("HTTP/1.1 404"), head


def test_ingresses_are_served_by_traefik(api):
    ings = client.NetworkingV1Api(api).list_ingress_for_all_namespaces().items
    hosts = sorted(r.host for i in ings for r in i.spec.rules)
    assert hosts == ["api.%s" % DOMAIN, "app.%s" % DOMAIN]
    assert {i.spec.ingress_class_name for i in ings} == {"traefik"}
    # Traefik published the entry point's address in each Ingress's status.
    assert all([lb.ip for lb in i.status.load_balancer.ingress] == [WORKER] for i in ings)


def test_secrets_are_kubernetes_secrets_and_in_no_configmap(api, hosts):
    core = client.CoreV1Api(api)
    secret = core.read_namespaced_secret("investment-app-env", "investment-app")
    values = [base64.b64decode(v).decode() for k, v in secret.data.items() if "PASSWORD" in k.upper()]
    assert values and all(len(v) >= 8 for v in values)
    for ns in ("investment-app", "investment-edge"):
        for cm in core.list_namespaced_config_map(ns).items:
            text = json.dumps(cm.data or {})
            assert not any(v in text for v in values), "a secret value in ConfigMap %s/%s" % (ns, cm.metadata.name)
    # The data host's Compose env file holds the same password, readable by root only.
    env = hosts["oracle1"].file("/opt/investment/data/secrets.env")
    assert env.mode == 0o600 and env.user == "root"


def test_pods_log_to_LOG(hosts):
    # Every service the routes reach; the nginx of both stacks is bypassed by the ingress (it
    # logs requests only, and none reach it).
    for svc in sorted(set(STACKS["app"] + STACKS["edge"]) - {"nginx"}):
        files = hosts["plan3-worker"].check_output(
            "find /LOG/%s -type f -size +0 -newer /etc/kubernetes/kubelet.yaml" % svc).split()
        assert files, "nothing written under /LOG/%s since the node was installed" % svc
    assert hosts["plan3-worker"].file("/LOG/traefik/access.log").size > 0


@pytest.mark.parametrize("port", [5432, 6379])
def test_data_ports_admit_the_cluster_egress_only(hosts, port):
    # From the cluster's node (the pods' egress address, masqueraded): open.
    assert hosts["plan3-worker"].run("timeout 4 bash -c '</dev/tcp/%s/%d'" % (DATA, port)).rc == 0
    # From any other address on the network: dropped.
    assert not probe_tcp("172.29.40.99", DATA, port, network=NETWORK)


def test_worker_memory_fits_its_2_gib(hosts):
    """The node's working set (cgroup usage less inactive page cache), kept for the closing notes
    in $IO_CACHE/logs/plan3-memory.json; it must leave the kubelet's eviction margin free."""
    worker = hosts["plan3-worker"]
    limit = int(worker.check_output("cat /sys/fs/cgroup/memory/memory.limit_in_bytes"))
    usage = int(worker.check_output("cat /sys/fs/cgroup/memory/memory.usage_in_bytes"))
    stat = dict(line.split() for line in worker.check_output("cat /sys/fs/cgroup/memory/memory.stat").splitlines())
    working_set = usage - int(stat["total_inactive_file"])
    result = {"limit_mib": limit >> 20, "working_set_mib": working_set >> 20, "rss_mib": int(stat["total_rss"]) >> 20,
              "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    log = os.path.join(CACHE, "logs", "plan3-memory.json")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as f:
        json.dump(result, f)
    print(result)
    assert limit == 2 << 30
    assert working_set < limit - (100 << 20), result
