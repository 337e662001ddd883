#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oke_cluster
short_description: An OKE cluster and its node pools, found or created, and its kubeconfig
version_added: 0.1.0
author: investment platform team (!UNKNOWN)
description:
  - Finds the Oracle Container Engine for Kubernetes (OKE) cluster O(name) in the compartment,
    creates it (a C(BASIC_CLUSTER), whose control plane is free, by default) or updates what may
    change (Kubernetes upgrade, basic to enhanced), then the same for each of O(node_pools)
    (shape, OCPUs and memory of flexible shapes, size, image, placement). Waits for C(ACTIVE).
  - Node pools under 2 GB of memory per node are refused before any call.
  - With O(kubeconfig_path), writes the kubeconfig OKE generates (token version 2.0.0, which
    runs C(oci ce cluster generate-token); the OCI CLI is needed where kubectl runs), mode 0600,
    only when its content changes.
  - O(state=absent) deletes the node pools, then the cluster, and the kubeconfig file.
  - Uses the OCI Python SDK directly; the C(oracle.oci) collection is not required.
options:
  name:
    description: Name of the cluster, unique in the compartment.
    type: str
    required: true
  compartment_id:
    description: OCID of the compartment.
    type: str
    required: true
  state:
    description: Present or absent.
    type: str
    choices: [present, absent]
    default: present
  cluster_type:
    description: C(BASIC_CLUSTER) (free control plane) or C(ENHANCED_CLUSTER) (paid per cluster-hour).
    type: str
    choices: [BASIC_CLUSTER, ENHANCED_CLUSTER]
    default: BASIC_CLUSTER
  kubernetes_version:
    description: C(1.34) (the newest C(v1.34.x) OKE offers) or an exact C(v1.34.1). Required to build.
    type: str
  vcn_id:
    description: OCID of the VCN. Required to build.
    type: str
  endpoint_subnet_id:
    description: Subnet of the Kubernetes API endpoint.
    type: str
  endpoint_public_ip:
    description: Give the API endpoint a public IP (restrict it with the subnet's security list).
    type: bool
    default: true
  service_lb_subnet_ids:
    description: Subnets of the load balancers of LoadBalancer Services.
    type: list
    elements: str
    default: []
  freeform_tags:
    description: Free-form tags of the cluster and its node pools.
    type: dict
    default: {}
  node_pools:
    description: The node pools.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the pool.
        type: str
        required: true
      shape:
        description: Node shape, for example C(VM.Standard.E4.Flex) or C(VM.Standard.A1.Flex).
        type: str
        required: true
      ocpus:
        description: OCPUs per node of a flexible shape.
        type: float
        default: 1
      memory_gb:
        description: Memory per node of a flexible shape, in GB; at least 2.
        type: float
      size:
        description: Number of nodes.
        type: int
        required: true
        aliases: [count]
      image_id:
        description: OCID of the node image.
        type: str
        required: true
      boot_volume_gb:
        description: Boot volume size in GB (OCI default when not set).
        type: int
      subnet_id:
        description: Subnet of the nodes.
        type: str
        required: true
      availability_domain:
        description: Availability domain of the nodes.
        type: str
        required: true
      labels:
        description: Initial Kubernetes labels of the nodes.
        type: dict
        default: {}
  kubeconfig_path:
    description: Where to write the kubeconfig (mode 0600).
    type: path
  wait:
    description: Wait for the cluster and pools to be active (or deleted).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each resource.
    type: int
    default: 1800
  config_file:
    description: OCI SDK configuration file.
    type: path
    default: ~/.oci/config
  config_profile:
    description: Profile in O(config_file).
    type: str
    default: DEFAULT
  region:
    description: Region, instead of the profile's.
    type: str
requirements:
  - oci (the OCI Python SDK)
notes:
  - Check mode reads the compartment and reports what would change; it creates nothing.
  - Supports diff mode (the managed fields of the cluster and each pool, before and after).
"""

EXAMPLES = r"""
- name: An OKE basic cluster in Chuncheon with two 4 GB workers
  investment.orchestration.oke_cluster:
    name: investment-plan3
    compartment_id: "{{ oci_compartment_id }}"
    kubernetes_version: "1.34"
    vcn_id: "{{ oci_vcn_id }}"
    endpoint_subnet_id: "{{ oci_api_subnet_id }}"
    service_lb_subnet_ids: ["{{ oci_lb_subnet_id }}"]
    node_pools:
      - name: pool1
        shape: VM.Standard.E4.Flex
        ocpus: 1
        memory_gb: 4
        size: 2
        image_id: "{{ oci_oke_image_id }}"
        subnet_id: "{{ oci_node_subnet_id }}"
        availability_domain: "Uocm:AP-CHUNCHEON-1-AD-1"
    kubeconfig_path: ~/.kube/investment/investment-plan3.yaml
"""

RETURN = r"""
cluster:
  description: The cluster (C(id), C(name), C(kubernetes_version), C(type), C(lifecycle_state),
    C(endpoints)); empty when absent or in check mode before creation.
  returned: always
  type: dict
node_pools:
  description: The node pools (C(id), C(name), C(node_shape), C(lifecycle_state)).
  returned: always
  type: list
  elements: dict
actions:
  description: What was (or in check mode would be) done.
  returned: always
  type: list
  elements: str
kubeconfig_path:
  description: The kubeconfig written, if any.
  returned: when O(kubeconfig_path) is set
  type: str
"""

import os
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.investment.orchestration.plugins.module_utils.oke import (
    OkeError,
    OkeManager,
    check_node_pool,
)

try:
    import oci
    HAS_OCI = True
    OCI_IMPORT_ERROR = None
except ImportError:
    HAS_OCI = False
    OCI_IMPORT_ERROR = traceback.format_exc()


def _client(params):
    config = oci.config.from_file(params["config_file"], params["config_profile"])
    if params.get("region"):
        config["region"] = params["region"]
    return oci.container_engine.ContainerEngineClient(config), oci.container_engine.models


def _view(obj, keys):
    if obj is None:
        return {}
    out = {}
    for key in keys:
        value = getattr(obj, key, None)
        out[key] = oci.util.to_dict(value) if HAS_OCI and hasattr(value, "swagger_types") else value
    return out


def _write_kubeconfig(path, text, check_mode):
    """Write ``text`` to ``path`` (0600) when it differs; returns whether it changed."""
    try:
        with open(path) as f:
            same = f.read() == text
        mode_ok = (os.stat(path).st_mode & 0o777) == 0o600
    except (IOError, OSError):
        same, mode_ok = False, False
    if same and mode_ok:
        return False
    if check_mode:
        return True
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".kubeconfig-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def run(params, client, models, check_mode):
    """The module's work, given an SDK client (the unit tests give a stub)."""
    mgr = OkeManager(client, models, params["compartment_id"], check_mode=check_mode, wait=params["wait"],
                     wait_timeout=params["wait_timeout"])
    result = {"changed": False, "cluster": {}, "node_pools": [], "actions": []}
    path = params.get("kubeconfig_path")
    if params["state"] == "absent":
        mgr.ensure_absent(params["name"])
        if path and os.path.exists(path):
            mgr.changed = True
            mgr.actions.append("remove %s" % path)
            if not check_mode:
                os.unlink(path)
    else:
        for key in ("kubernetes_version", "vcn_id"):
            if not params.get(key):
                raise OkeError("%s is required with state=present" % key)
        pools = [dict(p, labels=p.get("labels") or {}, freeform_tags=params["freeform_tags"]) for p in params["node_pools"]]
        for pool in pools:
            check_node_pool(pool)
        names = [p["name"] for p in pools]
        if len(set(names)) != len(names):
            raise OkeError("node_pools names a pool twice: %s" % ", ".join(names))
        cluster = mgr.ensure_cluster({
            "name": params["name"], "kubernetes_version": params["kubernetes_version"],
            "type": params["cluster_type"], "vcn_id": params["vcn_id"],
            "endpoint_subnet_id": params.get("endpoint_subnet_id"),
            "endpoint_public_ip": params["endpoint_public_ip"],
            "service_lb_subnet_ids": params["service_lb_subnet_ids"], "freeform_tags": params["freeform_tags"]})
        for pool in pools:
            created = mgr.ensure_node_pool(cluster, pool)
            if created is not None:
                result["node_pools"].append(_view(created, ("id", "name", "node_shape", "lifecycle_state")))
        if cluster is not None:
            result["cluster"] = _view(cluster, ("id", "name", "kubernetes_version", "type", "lifecycle_state",
                                                "endpoints"))
            if path:
                if _write_kubeconfig(path, mgr.kubeconfig(cluster), check_mode):
                    mgr.changed = True
                    mgr.actions.append("write %s" % path)
                result["kubeconfig_path"] = path
        elif path:
            mgr.actions.append("write %s once the cluster exists" % path)
            result["kubeconfig_path"] = path
    result["changed"] = mgr.changed
    result["actions"] = mgr.actions
    result["diff"] = mgr.diff
    return result


def main():
    pool_spec = dict(
        name=dict(type="str", required=True),
        shape=dict(type="str", required=True),
        ocpus=dict(type="float", default=1),
        memory_gb=dict(type="float"),
        size=dict(type="int", required=True, aliases=["count"]),
        image_id=dict(type="str", required=True),
        boot_volume_gb=dict(type="int"),
        subnet_id=dict(type="str", required=True),
        availability_domain=dict(type="str", required=True),
        labels=dict(type="dict", default={}),
    )
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            compartment_id=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            cluster_type=dict(type="str", choices=["BASIC_CLUSTER", "ENHANCED_CLUSTER"], default="BASIC_CLUSTER"),
            kubernetes_version=dict(type="str"),
            vcn_id=dict(type="str"),
            endpoint_subnet_id=dict(type="str"),
            endpoint_public_ip=dict(type="bool", default=True),
            service_lb_subnet_ids=dict(type="list", elements="str", default=[]),
            freeform_tags=dict(type="dict", default={}),
            node_pools=dict(type="list", elements="dict", default=[], options=pool_spec),
            kubeconfig_path=dict(type="path"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
            config_file=dict(type="path", default="~/.oci/config"),
            config_profile=dict(type="str", default="DEFAULT"),
            region=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    if not HAS_OCI:
        module.fail_json(msg=missing_required_lib("oci"), exception=OCI_IMPORT_ERROR)
    try:
        for pool in module.params["node_pools"]:
            check_node_pool(pool)
        client, models = _client(module.params)
        result = run(module.params, client, models, module.check_mode)
    except OkeError as exc:
        module.fail_json(msg=str(exc))
    except oci.exceptions.ServiceError as exc:
        module.fail_json(msg="OKE API error %s %s: %s" % (exc.status, exc.code, exc.message))
    except (oci.exceptions.ConfigFileNotFound, oci.exceptions.InvalidConfig) as exc:
        module.fail_json(msg="OCI configuration (%s, profile %s): %s"
                         % (module.params["config_file"], module.params["config_profile"], exc))
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
