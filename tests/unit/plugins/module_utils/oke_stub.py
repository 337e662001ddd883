"""A stand-in for oci.container_engine.ContainerEngineClient: answers with the recorded-shaped
responses of fixtures/oke/, deserialized by the OCI SDK into oci.container_engine.models, and
keeps clusters and node pools in memory. A resource created or deleted is CREATING/DELETING on
the first read and ACTIVE/DELETED on the next ones, like the service; lists come one item per
page (opc-next-page) so paging is exercised. Every call is recorded in ``calls``."""
import copy
import json
import os

import oci
from oci.response import Response

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "oke")


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read() if name.endswith(".yaml") else json.load(f)


class _NoSigner(oci.signer.AbstractBaseSigner):
    def __init__(self):
        pass


_CONFIG = {"region": "ap-chuncheon-1", "user": "ocid1.user.oc1..aaaaaaaatest",
           "tenancy": "ocid1.tenancy.oc1..aaaaaaaatest", "key_file": "/nonexistent",
           "fingerprint": "11:22:33:44:55:66:77:88:99:00:aa:bb:cc:dd:ee:ff"}
_BASE = oci.base_client.BaseClient("container_engine", _CONFIG, _NoSigner(),
                                   oci.container_engine.models.container_engine_type_mapping)


def deserialize(body, type_name):
    return _BASE.deserialize_response_data(json.dumps(body).encode("utf-8"), type_name)


def _camel(details):
    """An SDK request model -> the camelCase JSON the service receives."""
    return _BASE.sanitize_for_serialization(details)


class _Text(object):
    def __init__(self, text):
        self.text = text


class ServiceError(oci.exceptions.ServiceError):
    pass


class StubContainerEngine(object):
    def __init__(self):
        self.clusters = {}
        self.pools = {}
        self.calls = []
        self.reads = {}
        self.counter = 0

    # state machine: CREATING -> ACTIVE, UPDATING -> ACTIVE, DELETING -> DELETED on the 2nd read
    def _advance(self, body):
        key = body["id"]
        self.reads[key] = self.reads.get(key, 0) + 1
        if self.reads[key] >= 2:
            if body["lifecycleState"] in ("CREATING", "UPDATING"):
                body["lifecycleState"] = "ACTIVE"
            elif body["lifecycleState"] == "DELETING":
                body["lifecycleState"] = "DELETED"

    def _page(self, items, type_name, page):
        start = int(page or 0)
        headers = {"opc-request-id": "stub"}
        if start + 1 < len(items):
            headers["opc-next-page"] = str(start + 1)
        return Response(200, headers, deserialize(items[start:start + 1], type_name), None)

    def _new_id(self, kind):
        self.counter += 1
        return "ocid1.%s.oc1.ap-chuncheon-1.aaaaaaaastub%d" % (kind, self.counter)

    def _work_request(self):
        return Response(202, {"opc-work-request-id": self._new_id("clustersworkrequest")}, None, None)

    # -- clusters
    def list_clusters(self, compartment_id, name=None, page=None, **kwargs):
        self.calls.append(("list_clusters", name))
        items = []
        for body in self.clusters.values():
            self._advance(body)
            if body["compartmentId"] == compartment_id and (name is None or body["name"] == name):
                items.append(body)
        return self._page(items, "list[ClusterSummary]", page)

    def get_cluster(self, cluster_id, **kwargs):
        self.calls.append(("get_cluster", cluster_id))
        if cluster_id not in self.clusters or self.clusters[cluster_id]["lifecycleState"] == "DELETED":
            raise ServiceError(404, "NotAuthorizedOrNotFound", {}, "cluster not found")
        self._advance(self.clusters[cluster_id])
        return Response(200, {}, deserialize(self.clusters[cluster_id], "Cluster"), None)

    def create_cluster(self, details, **kwargs):
        self.calls.append(("create_cluster", _camel(details)))
        body = copy.deepcopy(load("cluster.json"))
        sent = _camel(details)
        body.update({"id": self._new_id("cluster"), "name": sent["name"], "compartmentId": sent["compartmentId"],
                     "vcnId": sent["vcnId"], "kubernetesVersion": sent["kubernetesVersion"], "type": sent["type"],
                     "lifecycleState": "CREATING"})
        self.clusters[body["id"]] = body
        return self._work_request()

    def update_cluster(self, cluster_id, details, **kwargs):
        sent = _camel(details)
        self.calls.append(("update_cluster", sent))
        body = self.clusters[cluster_id]
        body.update(sent)
        body["lifecycleState"] = "UPDATING"
        self.reads[cluster_id] = 0
        return self._work_request()

    def delete_cluster(self, cluster_id, **kwargs):
        self.calls.append(("delete_cluster", cluster_id))
        if any(p["clusterId"] == cluster_id and p["lifecycleState"] != "DELETED" for p in self.pools.values()):
            raise ServiceError(409, "Conflict", {}, "cluster still has node pools")
        self.clusters[cluster_id]["lifecycleState"] = "DELETING"
        self.reads[cluster_id] = 0
        return self._work_request()

    def get_cluster_options(self, cluster_option_id, **kwargs):
        self.calls.append(("get_cluster_options", cluster_option_id))
        return Response(200, {}, deserialize(load("cluster_options.json"), "ClusterOptions"), None)

    def create_kubeconfig(self, cluster_id, create_cluster_kubeconfig_content_details=None, **kwargs):
        self.calls.append(("create_kubeconfig", _camel(create_cluster_kubeconfig_content_details)))
        text = load("kubeconfig.yaml").replace("ocid1.cluster.oc1.ap-chuncheon-1.aaaaaaaatestcluster", cluster_id)
        return Response(200, {}, _Text(text), None)

    # -- node pools
    def list_node_pools(self, compartment_id, cluster_id=None, name=None, page=None, **kwargs):
        self.calls.append(("list_node_pools", name))
        items = []
        for body in self.pools.values():
            self._advance(body)
            if body["compartmentId"] == compartment_id and body["clusterId"] == cluster_id \
                    and (name is None or body["name"] == name):
                items.append(body)
        return self._page(items, "list[NodePoolSummary]", page)

    def get_node_pool(self, node_pool_id, **kwargs):
        self.calls.append(("get_node_pool", node_pool_id))
        if node_pool_id not in self.pools or self.pools[node_pool_id]["lifecycleState"] == "DELETED":
            raise ServiceError(404, "NotAuthorizedOrNotFound", {}, "node pool not found")
        self._advance(self.pools[node_pool_id])
        return Response(200, {}, deserialize(self.pools[node_pool_id], "NodePool"), None)

    def create_node_pool(self, details, **kwargs):
        sent = _camel(details)
        self.calls.append(("create_node_pool", sent))
        body = copy.deepcopy(load("node_pool.json"))
        copied = ("compartmentId", "clusterId", "name", "kubernetesVersion", "nodeShape", "nodeShapeConfig",
                  "nodeSourceDetails", "nodeConfigDetails")
        body.update({key: sent[key] for key in copied if key in sent})
        body.update({"id": self._new_id("nodepool"), "lifecycleState": "CREATING",
                     "nodeImageId": sent["nodeSourceDetails"]["imageId"]})
        self.pools[body["id"]] = body
        return self._work_request()

    def update_node_pool(self, node_pool_id, details, **kwargs):
        sent = _camel(details)
        self.calls.append(("update_node_pool", sent))
        body = self.pools[node_pool_id]
        body.update(sent)
        body["lifecycleState"] = "UPDATING"
        self.reads[node_pool_id] = 0
        return self._work_request()

    def delete_node_pool(self, node_pool_id, **kwargs):
        self.calls.append(("delete_node_pool", node_pool_id))
        self.pools[node_pool_id]["lifecycleState"] = "DELETING"
        self.reads[node_pool_id] = 0
        return self._work_request()

    def mutations(self):
        return [c[0] for c in self.calls if c[0].split("_")[0] in ("create", "update", "delete")
                and c[0] != "create_kubeconfig"]
