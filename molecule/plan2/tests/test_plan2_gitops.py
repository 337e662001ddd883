"""Flux in every cluster of plan 2: each cluster holds the fleet-placement ConfigMap of its own
overlay (k8s/clusters/<region> in the fleet's repository on oracle3); a change committed for
Korea only is reconciled on Korea and on no other cluster, and pruned when it leaves the repo."""
import os
import subprocess
import time
import uuid

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CACHE = os.environ.get("IO_CACHE", "/var/cache/io-orch")
REGIONS = ("osaka", "korea", "mumbai", "seoul")


def core(region):
    path = os.path.join(CACHE, "kubeconfigs", "%s.conf" % region)
    return client.CoreV1Api(client.ApiClient(config.new_client_from_config(path).configuration))


def configmap(region, name):
    try:
        return core(region).read_namespaced_config_map(name, "investment-config")
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def commit(tmp_path, extra_korea):
    """Render the overlays as plan2.yml does, plus extra objects for Korea, and commit them."""
    play = [
        {"name": "Place", "hosts": "fleet", "gather_facts": False,
         "roles": [{"role": "investment.orchestration.placement", "placement_plan": "plan2"}]},
        {"name": "Commit", "hosts": "role_macro", "gather_facts": True,
         "roles": [{"role": "investment.orchestration.gitops_repo",
                    "gitops_repo_clusters": "{{ placement_cluster_config | combine({'korea': "
                                            "placement_cluster_config.korea + extra_korea}) }}"}]},
    ]
    (tmp_path / "commit.yml").write_text(yaml.safe_dump(play))
    (tmp_path / "extra.yml").write_text(yaml.safe_dump({"extra_korea": extra_korea}))
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-playbook", "-i", inventory, str(tmp_path / "commit.yml"),
                           "-e", "@" + str(tmp_path / "extra.yml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]


def wait_for(predicate, timeout=240):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return time.time() - t0
        time.sleep(3)
    return None


@pytest.mark.parametrize("region", REGIONS)
def test_each_cluster_holds_its_own_overlay(region):
    cm = configmap(region, "fleet-placement")
    assert cm is not None, "Flux did not apply the overlay of %s" % region
    assert cm.data["cluster"] == region and cm.data["plan"] == "plan2"
    assert cm.metadata.labels.get("kustomize.toolkit.fluxcd.io/name"), "not applied by Flux"


def test_a_commit_for_korea_reaches_korea_only(tmp_path):
    token = uuid.uuid4().hex
    probe = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "flux-probe", "namespace": "investment-config"}, "data": {"token": token}}
    commit(tmp_path, [probe])
    took = wait_for(lambda: (configmap("korea", "flux-probe") or client.V1ConfigMap(data={})).data.get("token") == token)
    assert took is not None, "Flux on korea did not apply the commit"
    print("commit -> object on korea: %.0f s" % took)
    for other in ("osaka", "mumbai", "seoul"):
        assert configmap(other, "flux-probe") is None, other
    # Gone from the repository: pruned from korea.
    commit(tmp_path, [])
    assert wait_for(lambda: configmap("korea", "flux-probe") is None) is not None, "not pruned"
