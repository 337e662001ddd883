import json
import os
import stat
import sys

import oci
import pytest
from ansible.module_utils.testing import patch_module_args

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "module_utils"))
from oke_stub import StubContainerEngine  # noqa: E402

from ansible_collections.investment.orchestration.plugins.modules import oke_cluster  # noqa: E402

ARGS = {
    "name": "investment-plan3", "compartment_id": "ocid1.compartment.oc1..aaaaaaaatestcompartment",
    "kubernetes_version": "1.34", "vcn_id": "ocid1.vcn.oc1.ap-chuncheon-1.aaaaaaaatestvcn",
    "endpoint_subnet_id": "ocid1.subnet.oc1.ap-chuncheon-1.aaaaaaaatestapi",
    "node_pools": [{"name": "pool1", "shape": "VM.Standard.E4.Flex", "ocpus": 1, "memory_gb": 4, "size": 2,
                    "image_id": "ocid1.image.oc1.ap-chuncheon-1.aaaaaaaatestimage",
                    "subnet_id": "ocid1.subnet.oc1.ap-chuncheon-1.aaaaaaaatestnodes",
                    "availability_domain": "Uocm:AP-CHUNCHEON-1-AD-1"}],
}


@pytest.fixture
def stub(monkeypatch):
    stub = StubContainerEngine()
    monkeypatch.setattr(oke_cluster, "_client", lambda params: (stub, oci.container_engine.models))
    monkeypatch.setattr("ansible_collections.investment.orchestration.plugins.module_utils.oke.time.sleep",
                        lambda s: None)
    return stub


def call(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            oke_cluster.main()
    return json.loads(capsys.readouterr().out)


def test_create_then_idempotent_then_absent(stub, capsys, tmp_path):
    kubeconfig = str(tmp_path / "kube" / "plan3.yaml")
    first = call(capsys, kubeconfig_path=kubeconfig, **ARGS)
    assert first["changed"] is True, first
    assert first["cluster"]["lifecycle_state"] == "ACTIVE"
    assert first["cluster"]["endpoints"]["public_endpoint"] == "203.0.113.40:6443"
    assert first["actions"][-1] == "write %s" % kubeconfig
    assert stat.S_IMODE(os.stat(kubeconfig).st_mode) == 0o600
    assert first["cluster"]["id"] in open(kubeconfig).read()

    second = call(capsys, kubeconfig_path=kubeconfig, **ARGS)
    assert second["changed"] is False and second["actions"] == []

    gone = call(capsys, state="absent", kubeconfig_path=kubeconfig, name=ARGS["name"],
                compartment_id=ARGS["compartment_id"])
    assert gone["changed"] is True and not os.path.exists(kubeconfig)
    assert gone["actions"][-1] == "remove %s" % kubeconfig


def test_check_mode_and_diff(stub, capsys):
    result = call(capsys, _ansible_check_mode=True, _ansible_diff=True, **ARGS)
    assert result["changed"] is True
    assert result["diff"]["before"]["cluster"] is None
    assert result["diff"]["after"]["node_pool pool1"]["memory_gb"] == 4.0
    assert stub.mutations() == []


def test_node_pool_under_2gb_refused_before_any_call(stub, capsys):
    args = dict(ARGS)
    args["node_pools"] = [dict(ARGS["node_pools"][0], memory_gb=1)]
    result = call(capsys, **args)
    assert result["failed"] is True
    assert "at least 2 GB" in result["msg"]
    assert stub.calls == []


def test_missing_vcn_refused(stub, capsys):
    args = dict(ARGS)
    del args["vcn_id"]
    result = call(capsys, **args)
    assert result["failed"] and result["msg"] == "vcn_id is required with state=present"
