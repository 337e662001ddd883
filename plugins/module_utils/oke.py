# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OKE (Oracle Container Engine for Kubernetes) cluster and node pools, find-or-create, over
the OCI Python SDK (behind the oke_cluster module).

``OkeManager(client, models, compartment_id, check_mode, wait, wait_timeout)`` works with any
object that answers like ``oci.container_engine.ContainerEngineClient`` (list_clusters,
get_cluster, create_cluster, update_cluster, delete_cluster, list_node_pools, get_node_pool,
create_node_pool, update_node_pool, delete_node_pool, create_kubeconfig, get_cluster_options)
and the ``oci.container_engine.models`` module; the unit tests give it a stub answering with
recorded-shaped API responses deserialized by the SDK itself.

- ``ensure_cluster(spec)``: finds the cluster by name in the compartment (ignoring DELETED and
  DELETING ones), creates it (BASIC_CLUSTER by default) or updates the fields that differ
  (Kubernetes version upgrade, cluster type), and waits for ACTIVE.
- ``ensure_node_pool(cluster, spec)``: the same for a node pool: shape, shape config (OCPUs,
  memory), size, image, placement, version; waits for ACTIVE.
- ``kubeconfig(cluster)``: the kubeconfig OKE generates (token version 2.0.0: the
  ``oci ce cluster generate-token`` exec plugin), public endpoint.
- ``ensure_absent(name)``: deletes the node pools, then the cluster; waits for DELETED.

Every change is recorded in ``diff`` (before/after of the managed fields); in check mode nothing
is created, updated or deleted. Node pools under 2 GB of memory are refused before any call.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.investment.orchestration.plugins.module_utils.managed_placement import (
    MIN_WORKER_GB,
    ManagedPlacementError,
    shape_memory_gb,
)

GONE = ("DELETED", "DELETING")
FAILED = ("FAILED",)
CLUSTER_TYPES = ("BASIC_CLUSTER", "ENHANCED_CLUSTER")


class OkeError(Exception):
    pass


def _version_tuple(version):
    parts = []
    for part in str(version).lstrip("v").split("."):
        try:
            parts.append(int(part))
        except ValueError:
            parts.append(0)
    return tuple(parts)


def check_node_pool(spec):
    """Refuse a node pool under 2 GB or without its placement, before any API call."""
    label = "node_pools[%s]" % spec.get("name")
    for key in ("name", "shape", "size"):
        if spec.get(key) in (None, ""):
            raise OkeError("%s: %s is required" % (label, key))
    try:
        memory = shape_memory_gb("oke", spec["shape"], spec.get("memory_gb"), spec.get("ocpus"), "%s shape" % label)
    except ManagedPlacementError as exc:
        raise OkeError(str(exc))
    if memory < MIN_WORKER_GB:
        raise OkeError("%s shape %s has %s GB of memory; plan 3 workers need at least %d GB"
                       % (label, spec["shape"], memory, MIN_WORKER_GB))
    if int(spec["size"]) < 1:
        raise OkeError("%s: size must be at least 1" % label)
    return memory


class OkeManager(object):
    def __init__(self, client, models, compartment_id, check_mode=False, wait=True, wait_timeout=1800,
                 poll_interval=15, sleep=None, clock=None):
        self.client = client
        self.models = models
        self.compartment_id = compartment_id
        self.check_mode = check_mode
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.changed = False
        self.actions = []
        self.diff = {"before": {}, "after": {}}
        self.cluster_version = None

    # -- listing ---------------------------------------------------------------------------
    def _all(self, method, *args, **kwargs):
        items, page = [], None
        while True:
            if page:
                kwargs["page"] = page
            response = method(*args, **kwargs)
            items.extend(response.data or [])
            page = response.next_page if response.has_next_page else None
            if not page:
                return items

    def find_cluster(self, name):
        found = [c for c in self._all(self.client.list_clusters, self.compartment_id, name=name)
                 if c.name == name and c.lifecycle_state not in GONE]
        if len(found) > 1:
            raise OkeError("%d clusters named %s in the compartment; names must be unique" % (len(found), name))
        return found[0] if found else None

    def find_node_pool(self, cluster_id, name):
        found = [p for p in self._all(self.client.list_node_pools, self.compartment_id, cluster_id=cluster_id,
                                      name=name)
                 if p.name == name and p.lifecycle_state not in GONE]
        return found[0] if found else None

    def node_pools(self, cluster_id):
        return [p for p in self._all(self.client.list_node_pools, self.compartment_id, cluster_id=cluster_id)
                if p.lifecycle_state not in GONE]

    def resolve_version(self, version):
        """``1.34`` -> the newest offered ``v1.34.x``; an exact ``v1.34.1`` is kept."""
        wanted = "v" + str(version).lstrip("v")
        if wanted.count(".") >= 2:
            return wanted
        offered = self.client.get_cluster_options("all").data.kubernetes_versions or []
        matching = [v for v in offered if v.startswith(wanted + ".")]
        if not matching:
            raise OkeError("kubernetes_version %s is not offered by OKE (offered: %s)" % (version, ", ".join(offered)))
        return max(matching, key=_version_tuple)

    # -- waiting ---------------------------------------------------------------------------
    def _wait_for(self, what, fetch, states):
        if not self.wait or self.check_mode:
            return fetch()
        deadline = self.clock() + self.wait_timeout
        while True:
            current = fetch()
            state = current.lifecycle_state if current is not None else "ABSENT"
            if state in states:
                return current
            if state in FAILED:
                raise OkeError("%s is %s: %s" % (what, state, getattr(current, "lifecycle_details", "")))
            if self.clock() >= deadline:
                raise OkeError("%s is still %s after %ss" % (what, state, self.wait_timeout))
            self.sleep(self.poll_interval)

    # -- cluster -----------------------------------------------------------------------------
    @staticmethod
    def _cluster_view(cluster):
        if cluster is None:
            return None
        return {"name": cluster.name, "kubernetes_version": cluster.kubernetes_version, "type": cluster.type,
                "vcn_id": cluster.vcn_id, "lifecycle_state": cluster.lifecycle_state}

    def ensure_cluster(self, spec):
        m = self.models
        if spec.get("type", "BASIC_CLUSTER") not in CLUSTER_TYPES:
            raise OkeError("cluster_type must be one of %s" % ", ".join(CLUSTER_TYPES))
        cluster = self.find_cluster(spec["name"])
        version = self.resolve_version(spec["kubernetes_version"])
        self.cluster_version = version
        wanted = {"name": spec["name"], "kubernetes_version": version, "type": spec.get("type", "BASIC_CLUSTER"),
                  "vcn_id": spec["vcn_id"], "lifecycle_state": "ACTIVE"}
        self.diff["before"]["cluster"] = self._cluster_view(cluster)
        self.diff["after"]["cluster"] = wanted
        if cluster is None:
            details = m.CreateClusterDetails(
                name=spec["name"], compartment_id=self.compartment_id, vcn_id=spec["vcn_id"],
                kubernetes_version=version, type=wanted["type"], freeform_tags=spec.get("freeform_tags") or None,
                endpoint_config=m.CreateClusterEndpointConfigDetails(
                    subnet_id=spec["endpoint_subnet_id"], is_public_ip_enabled=spec.get("endpoint_public_ip", True))
                if spec.get("endpoint_subnet_id") else None,
                options=m.ClusterCreateOptions(service_lb_subnet_ids=spec.get("service_lb_subnet_ids") or None))
            self._change("create cluster %s (%s, %s)" % (spec["name"], wanted["type"], version))
            if self.check_mode:
                return None
            self.client.create_cluster(details)
        else:
            update = {}
            if _version_tuple(version) > _version_tuple(cluster.kubernetes_version):
                update["kubernetes_version"] = version
            elif _version_tuple(version) < _version_tuple(cluster.kubernetes_version):
                raise OkeError("cluster %s runs %s; OKE cannot downgrade to %s"
                               % (spec["name"], cluster.kubernetes_version, version))
            if cluster.type != wanted["type"]:
                if cluster.type == "ENHANCED_CLUSTER":
                    raise OkeError("cluster %s is ENHANCED_CLUSTER; OKE cannot turn it back into BASIC_CLUSTER"
                                   % spec["name"])
                update["type"] = wanted["type"]
            if cluster.vcn_id != spec["vcn_id"]:
                raise OkeError("cluster %s is in VCN %s, not %s; a cluster cannot move" %
                               (spec["name"], cluster.vcn_id, spec["vcn_id"]))
            if not update:
                self.diff["after"]["cluster"] = self._cluster_view(cluster)
                if cluster.lifecycle_state == "ACTIVE":
                    return cluster
            else:
                self._change("update cluster %s: %s" % (spec["name"], ", ".join(sorted(update))))
                if self.check_mode:
                    return cluster
                self.client.update_cluster(cluster.id, m.UpdateClusterDetails(**update))
        return self._wait_for("cluster %s" % spec["name"], lambda: self.find_cluster(spec["name"]), ("ACTIVE",))

    # -- node pools --------------------------------------------------------------------------
    @staticmethod
    def _pool_view(pool):
        if pool is None:
            return None
        config = pool.node_config_details
        placement = (config.placement_configs or [None])[0] if config else None
        shape_config = pool.node_shape_config
        return {"name": pool.name, "shape": pool.node_shape, "kubernetes_version": pool.kubernetes_version,
                "ocpus": shape_config.ocpus if shape_config else None,
                "memory_gb": shape_config.memory_in_gbs if shape_config else None,
                "size": config.size if config else None,
                "image_id": getattr(pool.node_source_details, "image_id", None),
                "boot_volume_gb": getattr(pool.node_source_details, "boot_volume_size_in_gbs", None),
                "subnet_id": placement.subnet_id if placement else None,
                "availability_domain": placement.availability_domain if placement else None}

    def _pool_wanted(self, spec, version):
        flex = spec["shape"].endswith(".Flex")
        return {"name": spec["name"], "shape": spec["shape"], "kubernetes_version": version,
                "ocpus": float(spec.get("ocpus") or 1) if flex else None,
                "memory_gb": float(spec["memory_gb"]) if flex else None,
                "size": int(spec["size"]), "image_id": spec["image_id"],
                "boot_volume_gb": int(spec["boot_volume_gb"]) if spec.get("boot_volume_gb") else None,
                "subnet_id": spec["subnet_id"], "availability_domain": spec["availability_domain"]}

    def ensure_node_pool(self, cluster, spec):
        m = self.models
        check_node_pool(spec)
        version = cluster.kubernetes_version if cluster is not None else self.cluster_version
        wanted = self._pool_wanted(spec, version)
        pool = self.find_node_pool(cluster.id, spec["name"]) if cluster is not None else None
        key = "node_pool %s" % spec["name"]
        self.diff["before"][key] = self._pool_view(pool)
        self.diff["after"][key] = wanted
        placement = [m.NodePoolPlacementConfigDetails(availability_domain=wanted["availability_domain"],
                                                      subnet_id=wanted["subnet_id"])]
        shape_config = m.CreateNodeShapeConfigDetails(ocpus=wanted["ocpus"], memory_in_gbs=wanted["memory_gb"]) \
            if wanted["ocpus"] is not None else None
        source = m.NodeSourceViaImageDetails(source_type="IMAGE", image_id=wanted["image_id"],
                                             boot_volume_size_in_gbs=wanted["boot_volume_gb"])
        if pool is None:
            self._change("create node pool %s (%d x %s)" % (spec["name"], wanted["size"], wanted["shape"]))
            if self.check_mode:
                return None
            self.client.create_node_pool(m.CreateNodePoolDetails(
                compartment_id=self.compartment_id, cluster_id=cluster.id, name=spec["name"],
                kubernetes_version=version, node_shape=wanted["shape"], node_shape_config=shape_config,
                node_source_details=source, initial_node_labels=[
                    m.KeyValue(key=k, value=str(v)) for k, v in sorted((spec.get("labels") or {}).items())] or None,
                node_config_details=m.CreateNodePoolNodeConfigDetails(size=wanted["size"], placement_configs=placement),
                freeform_tags=spec.get("freeform_tags") or None))
        else:
            current = self._pool_view(pool)
            differs = sorted(k for k in wanted if k != "boot_volume_gb" and wanted[k] != current[k]
                             and not (k in ("ocpus", "memory_gb") and current[k] is not None and wanted[k] is not None
                                      and float(current[k]) == float(wanted[k])))
            if wanted["boot_volume_gb"] and wanted["boot_volume_gb"] != current["boot_volume_gb"]:
                differs.append("boot_volume_gb")
            if not differs:
                self.diff["after"][key] = current
                if pool.lifecycle_state == "ACTIVE":
                    return pool
            else:
                self._change("update node pool %s: %s" % (spec["name"], ", ".join(differs)))
                if self.check_mode:
                    return pool
                update = {}
                if set(differs) & {"size", "subnet_id", "availability_domain"}:
                    update["node_config_details"] = m.UpdateNodePoolNodeConfigDetails(
                        size=wanted["size"], placement_configs=placement)
                if set(differs) & {"ocpus", "memory_gb"}:
                    update["node_shape_config"] = m.UpdateNodeShapeConfigDetails(
                        ocpus=wanted["ocpus"], memory_in_gbs=wanted["memory_gb"])
                if "shape" in differs:
                    update["node_shape"] = wanted["shape"]
                    if shape_config is not None:
                        update["node_shape_config"] = m.UpdateNodeShapeConfigDetails(
                            ocpus=wanted["ocpus"], memory_in_gbs=wanted["memory_gb"])
                if set(differs) & {"image_id", "boot_volume_gb"}:
                    update["node_source_details"] = source
                if "kubernetes_version" in differs:
                    update["kubernetes_version"] = version
                self.client.update_node_pool(pool.id, m.UpdateNodePoolDetails(**update))
        return self._wait_for("node pool %s" % spec["name"], lambda: self.find_node_pool(cluster.id, spec["name"]),
                              ("ACTIVE",))

    # -- kubeconfig --------------------------------------------------------------------------
    def kubeconfig(self, cluster, endpoint="PUBLIC_ENDPOINT"):
        response = self.client.create_kubeconfig(
            cluster.id, create_cluster_kubeconfig_content_details=self.models.CreateClusterKubeconfigContentDetails(
                token_version="2.0.0", endpoint=endpoint))
        data = response.data
        text = data.text if hasattr(data, "text") else data
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return text

    # -- removal -----------------------------------------------------------------------------
    def ensure_absent(self, name):
        cluster = self.find_cluster(name)
        self.diff["before"]["cluster"] = self._cluster_view(cluster)
        self.diff["after"]["cluster"] = None
        if cluster is None:
            return
        for pool in self.node_pools(cluster.id):
            self.diff["before"]["node_pool %s" % pool.name] = self._pool_view(pool)
            self.diff["after"]["node_pool %s" % pool.name] = None
            self._change("delete node pool %s" % pool.name)
            if not self.check_mode:
                self.client.delete_node_pool(pool.id)
                self._wait_for("node pool %s" % pool.name, lambda p=pool: self._get_or_none(
                    self.client.get_node_pool, p.id), ("DELETED", "ABSENT"))
        self._change("delete cluster %s" % name)
        if not self.check_mode:
            self.client.delete_cluster(cluster.id)
            self._wait_for("cluster %s" % name, lambda: self._get_or_none(self.client.get_cluster, cluster.id),
                           ("DELETED", "ABSENT"))

    @staticmethod
    def _get_or_none(method, ocid):
        try:
            return method(ocid).data
        except Exception as exc:  # oci.exceptions.ServiceError 404 once gone
            if getattr(exc, "status", None) == 404:
                return None
            raise

    def _change(self, action):
        self.changed = True
        self.actions.append(action)
